#!/usr/bin/env bash
# Fetch enwik8 (the first 10^8 bytes of the English Wikipedia dump of
# 2006-03-03, the Large Text Compression Benchmark / Hutter Prize corpus) and
# check its md5. Prefixes such as enwik6 are cut from it.
#
#   data/get-enwik8.sh [DIR]                 download into DIR (default: data/)
#   ENWIK8_SOURCE=FILE data/get-enwik8.sh    use a local copy instead: enwik8,
#                                            enwik8.zip, or an .xz/.gz of it
#   data/get-enwik8.sh --prefix N SRC OUT    write the first N bytes of SRC
#                                            (enwik8 or any .xz/.gz/.zip of a
#                                            prefix of it) to OUT
set -euo pipefail

readonly URL="https://mattmahoney.net/dc/enwik8.zip"
readonly MD5="a1fa5ffddb56f4953e226637dabbb36a"
# sha256 of published prefixes (first 10^5, 10^6, 10^7 bytes).
readonly SHA256_ENWIK5="581bee9758c531de3795885a1adb331b9c51bfdeefd9a63407815479e22a9072"
readonly SHA256_ENWIK6="369b688978f649681136198fb96db14c1616756260c55fb4b65e9bc049552cad"
readonly SHA256_ENWIK7="5985c81c39d927ae0e169625790ca4d9e7d1531270c8b09ad73176a375bb3d97"

die() { echo "get-enwik8: $*" >&2; exit 1; }

# cat_any FILE: the decompressed contents of FILE (.xz, .gz, .zip or plain).
cat_any() {
  case "$1" in
    *.xz) xz -dc -- "$1" ;;
    *.gz) gzip -dc -- "$1" ;;
    *.zip) unzip -p -- "$1" ;;
    *) cat -- "$1" ;;
  esac
}

if [[ "${1:-}" == "--prefix" ]]; then
  [[ $# -eq 4 ]] || die "usage: $0 --prefix N SRC OUT"
  n=$2 src=$3 out=$4
  [[ -f "$src" ]] || die "no such file: $src"
  tmp="$out.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  # head closes the pipe early; the decompressor's SIGPIPE is expected.
  { cat_any "$src" || true; } | head -c "$n" > "$tmp"
  got=$(stat -c %s "$tmp")
  [[ "$got" -eq "$n" ]] || die "$src holds only $got bytes, fewer than $n"
  case "$n" in
    100000) want=$SHA256_ENWIK5 ;;
    1000000) want=$SHA256_ENWIK6 ;;
    10000000) want=$SHA256_ENWIK7 ;;
    *) want="" ;;
  esac
  if [[ -n "$want" ]]; then
    have=$(sha256sum "$tmp" | cut -d' ' -f1)
    [[ "$have" == "$want" ]] || die "sha256 of the first $n bytes is $have, expected $want"
    echo "get-enwik8: $out: first $n bytes of enwik8, sha256 verified"
  else
    echo "get-enwik8: $out: first $n bytes of $src (no published checksum for this length)"
  fi
  mv "$tmp" "$out"
  trap - EXIT
  exit 0
fi

dir=${1:-$(dirname "$0")}
mkdir -p "$dir"
out="$dir/enwik8"
if [[ -f "$out" ]] && echo "$MD5  $out" | md5sum -c --status -; then
  echo "get-enwik8: $out already present, md5 verified"
  exit 0
fi
tmp="$out.tmp.$$"
trap 'rm -f "$tmp" "$tmp.zip"' EXIT
if [[ -n "${ENWIK8_SOURCE:-}" ]]; then
  [[ -f "$ENWIK8_SOURCE" ]] || die "ENWIK8_SOURCE: no such file: $ENWIK8_SOURCE"
  cat_any "$ENWIK8_SOURCE" > "$tmp"
else
  command -v curl >/dev/null || die "curl is needed to download (or set ENWIK8_SOURCE)"
  echo "get-enwik8: downloading $URL"
  curl -fL --retry 3 -o "$tmp.zip" "$URL" || die "download failed (set ENWIK8_SOURCE to a local copy)"
  unzip -p "$tmp.zip" enwik8 > "$tmp"
fi
echo "$MD5  $tmp" | md5sum -c --status - ||
  die "md5 mismatch: not enwik8 (expected $MD5, got $(md5sum "$tmp" | cut -d' ' -f1))"
mv "$tmp" "$out"
echo "get-enwik8: $out: md5 verified"
