#!/usr/bin/env bash
# cli_test.sh — the nncomp command line on good and hostile input: byte-exact round
# trips (files, stdin/stdout), and for every bad case a non-zero exit, one
# "nncomp: error:" line naming the problem, no output file and no temporary left
# behind (also after Ctrl-C).
#
# Usage: cli_test.sh NNCOMP SAMPLE      (SAMPLE: a text file of >= 8 KB, e.g. data/enwik5)
# Stops at the first failed check, naming it; prints "N passed, 0 failed" at the end.
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 NNCOMP SAMPLE" >&2
  exit 2
fi
NN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SAMPLE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)  # tests/, for craft.py
[ -x "$NN" ] || { echo "not executable: $NN" >&2; exit 2; }
[ -f "$SAMPLE" ] || { echo "no sample: $SAMPLE" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/nncomp-cli-test.XXXXXX")
BG_PID=
cleanup() {
  [ -n "$BG_PID" ] && kill "$BG_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 2

FAST=(-p tiny -t 1 -q)  # options of every compression here
PASSED=0
CHECK=""                # the check being run, for the failure message

fail() {
  echo "FAIL [$CHECK]: $*" >&2
  if [ -s err ]; then
    echo "--- stderr of the last nncomp run:" >&2
    head -c 2000 err >&2
  fi
  echo "$PASSED passed, 1 failed" >&2
  exit 1
}
pass() {  # pass [DETAIL]
  PASSED=$((PASSED + 1))
  echo "ok $PASSED: $CHECK${1:+  ($1)}"
}

# nn ARGS...: runs nncomp with stdout > out.txt, stderr > err; sets RC.
nn() {
  "$NN" "$@" >out.txt 2>err
  RC=$?
}

no_temp_left() {
  local left
  left=$(find "$T" -name '*.nncomp-tmp-*' | head -n 3)
  [ -z "$left" ] || fail "temporary file left behind: $left"
}

# expect_error NAME REGEX OUT ARGS...: nncomp ARGS must exit with status 1 and one
# error line matching REGEX (case-insensitive), leaving neither OUT nor a temporary
# behind. expect_usage: the same for usage errors, which exit with status 2 and may
# print the usage text after the error line.
WANT_RC=1
expect_usage() {
  WANT_RC=2
  expect_error "$@"
  WANT_RC=1
}
expect_error() {
  CHECK=$1
  local regex=$2 out=$3
  shift 3
  nn "$@"
  [ "$RC" -ne 0 ] || fail "exit status 0, expected an error"
  [ "$RC" -lt 128 ] || fail "died of a signal (exit status $RC)"
  [ "$RC" -eq "$WANT_RC" ] || fail "exit status $RC, expected $WANT_RC"
  local first lines
  first=$(head -n 1 err)
  lines=$(wc -l <err)
  case "$first" in
    "nncomp: error:"*) ;;
    *) fail "first stderr line does not start with 'nncomp: error:': '$first'" ;;
  esac
  if [ "$WANT_RC" -ne 2 ] && [ "$lines" -ne 1 ]; then
    fail "stderr has $lines lines, expected exactly one"
  fi
  grep -qiE -- "$regex" <<<"$first" || fail "error line does not match /$regex/: '$first'"
  if [ -n "$out" ] && [ "$out" != - ]; then
    [ ! -e "$out" ] || fail "output file '$out' was created"
  fi
  no_temp_left
  pass "$first"
}

# expect_ok NAME ARGS...: nncomp ARGS must succeed and, being quiet, print nothing
# on stderr.
expect_ok() {
  CHECK=$1
  shift
  nn "$@"
  [ "$RC" -eq 0 ] || fail "exit status $RC, expected 0"
  [ ! -s err ] || fail "-q run printed on stderr: '$(head -n 1 err)'"
  no_temp_left
  pass
}

# round_trip NAME FILE: compress and decompress FILE, compare with cmp.
round_trip() {
  local name=$1 f=$2
  expect_ok "$name: compress" c "${FAST[@]}" "$f" "$f.nnc"
  [ -f "$f.nnc" ] || fail "no compressed file"
  expect_ok "$name: decompress" d -q "$f.nnc" "$f.back"
  CHECK="$name: compare"
  cmp -s "$f" "$f.back" || fail "decompressed file differs from the original"
  pass
}

# patch FILE OFFSET HEXBYTES: overwrite bytes in place (e.g. patch f 8 0200).
patch() {
  # shellcheck disable=SC2001  # sed pairs up the hex digits
  printf '%b' "$(sed 's/../\\x&/g' <<<"$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# byte FILE OFFSET: the byte's value, decimal.
byte() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
# flip FILE OFFSET: invert the low bit of a byte.
flip() { patch "$1" "$2" "$(printf '%02x' $(($(byte "$1" "$2") ^ 1)))"; }
truncate_to() { head -c "$2" "$1" >"$3"; }

# ---- inputs -------------------------------------------------------------------

head -c 4000 "$SAMPLE" >small
head -c 1001 "$SAMPLE" >odd        # not a multiple of n_streams·seg_len (64)
: >empty
printf 'x' >one
head -c 65536 /dev/urandom >random
head -c 65536 /dev/zero >zeros

# ---- round trips ----------------------------------------------------------------

round_trip "empty input" empty
CHECK="empty input: output empty"
[ ! -s empty.back ] || fail "decompressed empty input is not empty"
pass
round_trip "1 byte" one
round_trip "1001 bytes" odd
round_trip "4000 bytes" small
round_trip "64 KiB random" random
round_trip "64 KiB zeros" zeros
CHECK="64 KiB zeros compress well"
[ "$(stat -c %s zeros.nnc)" -lt 2000 ] || fail "zeros.nnc is $(stat -c %s zeros.nnc) bytes"
pass
CHECK="64 KiB random does not expand"
[ "$(stat -c %s random.nnc)" -lt $((65536 + 65536 / 100 + 1024)) ] ||
  fail "random.nnc is $(stat -c %s random.nnc) bytes"
pass

# standard input and output
CHECK="stdin -> file"
"$NN" c "${FAST[@]}" - piped.nnc <small 2>err || fail "exit status $?"
pass
CHECK="file -> stdout"
"$NN" d -q piped.nnc - >piped.out 2>err || fail "exit status $?"
cmp -s small piped.out || fail "stdout differs from the original"
pass
CHECK="stdin -> stdout both ways"
"$NN" c "${FAST[@]}" - - <odd 2>err | "$NN" d -q - - >odd.piped 2>>err || fail "pipeline failed"
cmp -s odd odd.piped || fail "piped round trip differs"
pass
CHECK="same bytes from a file and from stdin"
cmp -s small.nnc piped.nnc || fail "compressing stdin gave other bytes than the file"
pass

# ---- info, help, version, usage ---------------------------------------------------

CHECK="info"
nn info small.nnc
[ "$RC" -eq 0 ] || fail "exit status $RC"
grep -q gpt out.txt || fail "no 'gpt' in: $(cat out.txt)"
grep -q bpc out.txt || fail "no 'bpc' in: $(cat out.txt)"
grep -q "4000 bytes" out.txt || fail "original size not shown"
pass
CHECK="info of an empty input's file"
nn info empty.nnc
[ "$RC" -eq 0 ] || fail "exit status $RC"
pass
CHECK="list"
nn list
[ "$RC" -eq 0 ] || fail "exit status $RC"
grep -qE "^gpt: .*\bcpu\b" out.txt || fail "no 'gpt: ... cpu' line in: $(cat out.txt)"
grep -qE "^gpt: .*\btiny\b" out.txt || fail "no tiny profile in: $(cat out.txt)"
grep -qE "^ngpt: cpu default fast tiny$" out.txt || fail "no 'ngpt: cpu default fast tiny' line in: $(cat out.txt)"
grep -qE "^rwkv: cpu default fast tiny$" out.txt || fail "no 'rwkv: cpu default fast tiny' line in: $(cat out.txt)"
pass
# Every kind besides the default: a round trip, and `info` names the kind.
kind_round_trip() {
  CHECK="$1 round trip, shown by info"
  rm -f kind.nnc kind.out
  nn c -m "$1" -p tiny -t 1 -q small kind.nnc
  [ "$RC" -eq 0 ] || fail "compress: exit status $RC"
  nn d -q kind.nnc kind.out
  [ "$RC" -eq 0 ] && cmp -s small kind.out || fail "round trip differs (exit status $RC)"
  nn info kind.nnc
  grep -qE "model +$1" out.txt || fail "no 'model $1' in: $(cat out.txt)"
  pass
}
kind_round_trip ngpt
kind_round_trip rwkv
# The context mixer: on by default (format 2), off with --mixer none (format
# 1), alone with -m none.
CHECK="the mixer by default, shown by info"
nn info small.nnc
grep -q "^format version   2" out.txt && grep -q "^mixer            context mixing" out.txt ||
  fail "no format 2 mixer in: $(cat out.txt)"
pass
CHECK="--mixer none: format 1"
nn c "${FAST[@]}" --mixer none small small_v1.nnc
[ "$RC" -eq 0 ] || fail "exit status $RC"
nn info small_v1.nnc
grep -q "^format version   1" out.txt && grep -q "^mixer            none" out.txt || fail "info: $(cat out.txt)"
nn d -q small_v1.nnc small_v1.out
cmp -s small small_v1.out || fail "round trip differs"
pass
CHECK="-m none: context mixing alone"
nn c -m none -q small small_none.nnc
[ "$RC" -eq 0 ] || fail "exit status $RC"
nn info small_none.nnc
grep -q "^model            none" out.txt || fail "info: $(cat out.txt)"
nn d -q small_none.nnc small_none.out
cmp -s small small_none.out || fail "round trip differs"
pass
expect_usage "--mixer bogus" "unknown --mixer 'bogus'" x.nnc c "${FAST[@]}" --mixer bogus small x.nnc
expect_usage "-m none --mixer none" "nothing would model" x.nnc c -m none -q --mixer none small x.nnc
expect_usage "d --mixer" "compression" x.out d -q --mixer none small.nnc x.out
expect_usage "-m none on a GPU" "runs on the CPU" x.nnc c -m none -q --device cuda small x.nnc
expect_usage "list with an argument" "list" "" list small
CHECK="--stats"
rm -f st.nnc st.json st.out st2.json
nn c "${FAST[@]}" --stats st.json small st.nnc
[ "$RC" -eq 0 ] || fail "exit status $RC"
python3 - st.json st.nnc <<'PY' || fail "bad statistics: $(cat st.json)"
import json, os, sys
s = json.load(open(sys.argv[1]))
assert s["command"] == "c" and s["original_size"] == 4000, s
assert s["compressed_size"] == os.path.getsize(sys.argv[2]), s
assert s["n_params"] > 0 and s["ideal_bits"] > 0 and s["seconds"] > 0, s
assert s["peak_rss_bytes"] > 1 << 20 and s["torch_version"] and s["device_name"], s
PY
nn d -q --stats st2.json st.nnc st.out
[ "$RC" -eq 0 ] && grep -q '"command": "d"' st2.json || fail "no statistics of the decompression"
pass
expect_error "--stats onto an existing file" "exists" "" c "${FAST[@]}" --stats st.json small st3.nnc
[ -e st3.nnc ] && fail "the output was written although --stats was refused"
expect_usage "--stats names OUT" "stats" "" c "${FAST[@]}" --stats st4.nnc small st4.nnc
CHECK="--help"
nn --help
[ "$RC" -eq 0 ] || fail "exit status $RC"
grep -q "usage" out.txt || fail "no usage text"
pass
CHECK="--version"
nn --version
[ "$RC" -eq 0 ] || fail "exit status $RC"
grep -qE "nncomp [0-9]+\.[0-9]+" out.txt || fail "no version in '$(cat out.txt)'"
pass

expect_usage "unknown option" "bogus" x.nnc c --bogus small x.nnc
expect_usage "no command" "command" ""
expect_usage "unknown command" "unknown command" x.nnc x small x.nnc
expect_usage "missing OUT" "OUT" "" c "${FAST[@]}" small
expect_usage "IN = OUT" "same" "" c "${FAST[@]}" small small
expect_usage "d --model" "compression" x.out d --model gpt small.nnc x.out
expect_usage "d --profile" "compression" x.out d -p tiny small.nnc x.out
expect_usage "unknown profile" "profile" x.nnc c -p huge -t 1 -q small x.nnc
expect_usage "unknown model" "model" x.nnc c -m lstm -p tiny -t 1 -q small x.nnc
expect_usage "rwkv with a context window" "ctx_len" x.nnc c -m rwkv -p tiny --ctx-len 8 -t 1 -q small x.nnc
expect_error "--device cuda" "cuda" x.nnc c --device cuda "${FAST[@]}" small x.nnc
expect_usage "--n-streams 0" "n.streams" x.nnc c --n-streams 0 "${FAST[@]}" small x.nnc
expect_error "info of a missing file" "cannot open|no such" "" info nope.nnc

# ---- bad input files ------------------------------------------------------------

expect_error "compress a missing input" "cannot open|no such" x.nnc c "${FAST[@]}" nope x.nnc
mkdir adir
expect_error "compress a directory" "directory" x.nnc c "${FAST[@]}" adir x.nnc
expect_error "not ours: the sample" "not an nncomp" x.out d -q "$SAMPLE" x.out
gzip -c small >small.gz
expect_error "not ours: gzip" "not an nncomp" x.out d -q small.gz x.out
expect_error "not ours: empty file" "not an nncomp" x.out d -q empty x.out
expect_error "info of a file not ours" "not an nncomp" "" info small.gz

SIZE=$(stat -c %s small.nnc)
for n in 5 20 $((SIZE / 2)) $((SIZE - 1)); do
  truncate_to small.nnc "$n" cut.nnc
  if [ "$n" -lt 8 ]; then want="not an nncomp|truncated"; else want="truncated"; fi
  expect_error "truncated to $n bytes" "$want" x.out d -q cut.nnc x.out
  expect_error "info of a file truncated to $n bytes" "$want" "" info cut.nnc
done
cp small.nnc longer.nnc && printf '\0' >>longer.nnc
expect_error "trailing byte" "trailing|corrupt" x.out d -q longer.nnc x.out

cp small.nnc bad.nnc && flip bad.nnc 30
expect_error "flipped bit in the header" "checksum|corrupt" x.out d -q bad.nnc x.out
cp small.nnc bad.nnc && flip bad.nnc $((SIZE - 1))
expect_error "flipped bit in the payload" "checksum|corrupt" x.out d -q bad.nnc x.out
expect_error "flipped payload bit, to stdout" "checksum|corrupt" - d -q bad.nnc -
[ ! -s out.txt ] || fail "a failed decompression wrote $(stat -c %s out.txt) bytes to stdout"
cp small.nnc bad.nnc && patch bad.nnc 8 0300
expect_error "format version 3" "version" x.out d -q bad.nnc x.out
expect_error "info of format version 3" "version" "" info bad.nnc

# An absurd original_size (2^60). Its offset follows the six fingerprint strings
# (docs/FORMAT.md: B = 153 + S, original_size at B + 8). With a Python XXH64 the
# header checksum is recomputed, so the field check itself must catch the value;
# without one the checksum catches it.
reseal_original_size() {  # FILE VALUE -> rewrites FILE; exit 3 if XXH64 self-check fails
  python3 - "$1" "$2" <<'PY'
import struct, sys
M = (1 << 64) - 1
P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)
rotl = lambda x, r: ((x << r) | (x >> (64 - r))) & M
def rnd(acc, v): return (rotl((acc + v * P2) & M, 31) * P1) & M
def merge(h, v): return (((h ^ rnd(0, v)) * P1) + P4) & M
def xxh64(b):
    n, p = len(b), 0
    if n >= 32:
        v = [(P1 + P2) & M, P2, 0, (-P1) & M]
        while p + 32 <= n:
            for i in range(4):
                v[i] = rnd(v[i], struct.unpack_from('<Q', b, p + 8 * i)[0])
            p += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for x in v: h = merge(h, x)
    else:
        h = P5
    h = (h + n) & M
    while p + 8 <= n:
        h = (rotl(h ^ rnd(0, struct.unpack_from('<Q', b, p)[0]), 27) * P1 + P4) & M; p += 8
    if p + 4 <= n:
        h = (rotl(h ^ ((struct.unpack_from('<I', b, p)[0] * P1) & M), 23) * P2 + P3) & M; p += 4
    while p < n:
        h = (rotl(h ^ ((b[p] * P5) & M), 11) * P1) & M; p += 1
    h ^= h >> 33; h = (h * P2) & M; h ^= h >> 29; h = (h * P3) & M; h ^= h >> 32
    return h
f = bytearray(open(sys.argv[1], 'rb').read())
body_end = 14 + struct.unpack_from('<I', f, 10)[0]
if xxh64(bytes(f[:body_end])) != struct.unpack_from('<Q', f, body_end)[0]:
    sys.exit(3)  # our XXH64 disagrees with the file: do not trust it
off = 141
for _ in range(6):
    off += 2 + struct.unpack_from('<H', f, off)[0]
struct.pack_into('<Q', f, off + 8, int(sys.argv[2]))
struct.pack_into('<Q', f, body_end, xxh64(bytes(f[:body_end])))
open(sys.argv[1], 'wb').write(f)
PY
}
cp small.nnc huge.nnc
if command -v python3 >/dev/null && reseal_original_size huge.nnc $((1 << 60)); then
  expect_error "absurd original_size (resealed)" "original_size|corrupt" x.out d -q huge.nnc x.out
  expect_error "info: absurd original_size" "original_size|corrupt" "" info huge.nnc
  cp small.nnc plus1.nnc && reseal_original_size plus1.nnc 4001
  expect_error "original_size + 1 (resealed)" "corrupt|diverge|truncated|checksum" \
    x.out d -q plus1.nnc x.out
else
  echo "note: no usable python3 XXH64; checking the absurd size against the header checksum" >&2
  cp small.nnc huge.nnc
  off=141
  for _ in 1 2 3 4 5 6; do
    len=$(od -An -tu2 -j "$off" -N2 --endian=little huge.nnc | tr -d ' ')
    off=$((off + 2 + len))
  done
  patch huge.nnc $((off + 8)) 0000000000000010
  expect_error "absurd original_size" "checksum|corrupt" x.out d -q huge.nnc x.out
fi

expect_error "other thread count" "threads" x.out d -q -t 2 small.nnc x.out

# ---- hostile files and odd paths -----------------------------------------------------
# Files are edited field by field from docs/FORMAT.md's table and resealed (both
# checksums recomputed) by tests/craft.py, so that the field checks, not the
# checksums, must catch them.

CRAFT=("python3" "$HERE/craft.py")
python3 -c 'import xxhash' 2>/dev/null || fail "python3 with the xxhash module is needed (bash .ci/setup.sh installs it)"
craft() { "${CRAFT[@]}" "$@" || fail "craft.py $*"; }
seconds_of() {  # seconds_of CMD...: runs it (status in RC), sets SECS
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >out.txt 2>err
  RC=$?
  t1=$(date +%s.%N)
  SECS=$(echo "$t1 - $t0" | bc)
}

# Writing into character devices and FIFOs, never replacing them.
expect_ok "decompress into /dev/null without -f" d -q small.nnc /dev/null
if [ "$(id -u)" -eq 0 ] && mknod devnull c 1 3 2>/dev/null && mknod devfull c 1 7 2>/dev/null; then
  expect_ok "-f into a character device" d -q -f small.nnc devnull
  CHECK="-f leaves a character device in place"
  [ -c devnull ] || fail "devnull is no longer a character device"
  pass
  expect_error "-f into a copy of /dev/full" "No space left" "" d -q -f small.nnc devfull
  CHECK="-f leaves /dev/full's copy in place"
  [ -c devfull ] || fail "devfull is no longer a character device"
  pass
else
  echo "skip: character devices of our own (not root, or mknod refused)"
fi
mkfifo fifo
cat fifo >fifo.out &
CAT_PID=$!
expect_ok "decompress into a FIFO" d -q small.nnc fifo
wait "$CAT_PID"
CHECK="the FIFO got the bytes"
cmp -s small fifo.out || fail "what came out of the FIFO differs from the original"
[ -p fifo ] || fail "fifo is no longer a FIFO"
pass
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock
expect_error "onto a socket, even with -f" "socket" "" d -q -f small.nnc sock
[ -S sock ] || fail "the socket was replaced"

# A file's thread count is bounded by the machine's; so is -t.
craft small.nnc threads64.nnc fingerprint.threads=64
seconds_of "$NN" d -q threads64.nnc x.out
CHECK="a file asking for 64 threads is refused at once"
[ "$RC" -eq 1 ] || fail "exit status $RC"
grep -qE "needs 64 intra-op threads.*may use [0-9]+ hardware threads" err || fail "message: $(head -n1 err)"
[ "$(echo "$SECS < 10" | bc)" -eq 1 ] || fail "took $SECS s"
[ ! -e x.out ] || fail "output written"
pass "$(head -n 1 err)"
expect_usage "-t 1000 on compression" "threads 1000 exceed" x.nnc c -p tiny -q -t 1000 one x.nnc

# Decode bombs: an original_size far past the payload (format 1, and format 2
# up to the mixer's limit of 2^32 - 2 bytes).
"$NN" c "${FAST[@]}" --mixer none small small1.nnc 2>err || fail "compressing without the mixer failed"
craft small1.nnc bomb1.nnc original_size=4294967296 checkpoint_segments=4294967295
expect_error "checkpoint spacing other than the encoder's" "checkpoint_segments 4294967295 is not the" \
  x.out d -q bomb1.nnc x.out
bomb() {  # bomb NAME FILE: decoding must stop early, in little memory
  CHECK=$1
  /usr/bin/time -f "%e %M" -o bomb.time "$NN" d -q "$2" x.out 2>err
  RC=$?
  [ "$RC" -eq 1 ] || fail "exit status $RC"
  grep -qE "diverged|corrupt" err || fail "message: $(head -n1 err)"
  read -r secs kib < <(tail -n 1 bomb.time)
  [ "$(echo "$secs < 30" | bc)" -eq 1 ] || fail "took $secs s"
  [ "$kib" -lt $((1536 * 1024)) ] || fail "peak RSS $kib KiB"
  [ ! -e x.out ] || fail "output written"
  pass "$secs s, $kib KiB: $(head -n 1 err)"
}
craft small1.nnc bomb2.nnc --checkpoints=256 original_size=4294967296 checkpoint_segments=262144
bomb "a 2^32-byte original_size behind a small payload stops early, small" bomb2.nnc
craft small.nnc bomb3.nnc --checkpoints=256 original_size=4294967000 checkpoint_segments=262144
bomb "the same with the mixer (format 2)" bomb3.nnc
craft small.nnc bomb4.nnc --checkpoints=256 original_size=4294967296 checkpoint_segments=262144
expect_error "format 2 past the mixer's limit" "too large for the context mixer" x.out d -q bomb4.nnc x.out

# Rates beyond float32, odd head sizes and unknown devices: corrupt files.
expect_usage "--adam-lr 1e39" "adam_lr" x.nnc c "${FAST[@]}" --adam-lr 1e39 small x.nnc
craft small.nnc lr.nnc optim.muon_lr=1e39
expect_error "muon_lr 1e39 in a file" "muon_lr" x.out d -q lr.nnc x.out
craft small.nnc lr2.nnc optim.muon_lr=3.5e38
expect_error "muon_lr 3.5e38 in a file" "muon_lr" x.out d -q lr2.nnc x.out
craft small.nnc odd_head.nnc model.d_model=33
expect_error "gpt with an odd head_dim" "head_dim 33.*even" x.out d -q odd_head.nnc x.out
expect_error "info: gpt with an odd head_dim" "head_dim 33" "" info odd_head.nnc
craft small.nnc tpu.nnc fingerprint.device_kind=tpu
expect_error "device_kind tpu" "device_kind 'tpu' unknown" x.out d -q tpu.nnc x.out

# Negative and zero option values.
expect_usage "--threads -1" "--threads must be an integer in 1..65536, not '-1'" x.nnc c -p tiny -q --threads -1 small x.nnc
expect_usage "-t 0" "--threads must be an integer" x.nnc c -p tiny -q -t 0 small x.nnc
expect_usage "--n-streams -1" "--n-streams must be an integer.*'-1'" x.nnc c "${FAST[@]}" --n-streams -1 small x.nnc
expect_usage "--seed -1" "--seed must be an integer.*'-1'" x.nnc c "${FAST[@]}" --seed -1 small x.nnc
expect_usage "--ctx-len junk" "--ctx-len must be an integer.*'8x'" x.nnc c "${FAST[@]}" --ctx-len 8x small x.nnc

# Payload bytes that no decoder reads.
craft small.nnc junk.nnc "--append-stream=0:$(head -c 1024 /dev/urandom | od -An -tx1 | tr -d ' \n')ff"
expect_error "junk appended inside a stream" "never read|diverged|corrupt|checksum" x.out d -q junk.nnc x.out
craft empty.nnc empty_junk.nnc "--set-stream=0:$(head -c 637 "$SAMPLE" | od -An -tx1 | tr -d ' \n')"
expect_error "a payload behind original_size 0" "holds no input bytes but has 637 coded bytes" \
  x.out d -q empty_junk.nnc x.out
craft small.nnc zero_end.nnc "--append-stream=1:00"
expect_error "a stream ending in a zero byte" "ends in a zero byte" x.out d -q zero_end.nnc x.out

# Every output path is checked before the work starts.
expect_error "--stats into a missing directory" "nodir/s.json" x.out d -q small.nnc x.out --stats nodir/s.json
expect_error "OUT is a directory" "is a directory" "" d -q small.nnc adir
expect_error "OUT is a directory, with -f" "is a directory" "" d -q -f small.nnc adir
[ -d adir ] || fail "the directory was replaced"
LONG=$(printf 'x%.0s' $(seq 1 5000))
expect_error "OUT of 5000 bytes" "too long" "" d -q small.nnc "$LONG"
expect_usage "d --device foo" "unknown device 'foo'" x.out d -q --device foo small.nnc x.out

# Inputs are read no further than their header announces.
seconds_of timeout 20 "$NN" d -q /dev/zero x.out
CHECK="d /dev/zero: not ours, at once"
[ "$RC" -eq 1 ] && grep -q "not an nncomp file" err || fail "exit status $RC: $(head -n1 err)"
pass "$SECS s"
seconds_of timeout 20 "$NN" info /dev/zero
CHECK="info /dev/zero: not ours, at once"
[ "$RC" -eq 1 ] && grep -q "not an nncomp file" err || fail "exit status $RC: $(head -n1 err)"
pass "$SECS s"

# The same file under another name.
cp small.nnc self.nnc
expect_usage "d -f self.nnc ./self.nnc" "same file" "" d -q -f self.nnc ./self.nnc
ln self.nnc self_link.nnc
expect_usage "a hard link of IN as OUT" "same file" "" d -q -f self.nnc self_link.nnc
cmp -s self.nnc small.nnc || fail "the input was changed"

# ---- existing output ------------------------------------------------------------

echo "precious" >exists
BEFORE=$(cksum <exists)
expect_error "compress onto an existing file" "exists" "" c "${FAST[@]}" small exists
[ "$(cksum <exists)" = "$BEFORE" ] || fail "existing file was changed"
expect_error "decompress onto an existing file" "exists" "" d -q small.nnc exists
[ "$(cksum <exists)" = "$BEFORE" ] || fail "existing file was changed"
expect_ok "decompress with -f replaces" d -q -f small.nnc exists
CHECK="-f result"
cmp -s small exists || fail "replaced file differs from the original"
pass
expect_ok "compress with -f replaces" c "${FAST[@]}" -f odd exists
CHECK="-f result is ours"
nn info exists
[ "$RC" -eq 0 ] || fail "info of the replaced file failed"
pass

# ---- --verify -------------------------------------------------------------------

CHECK="--verify: compresses, decodes in the same process, reports"
nn c -p tiny -t 1 --verify small verified.nnc
[ "$RC" -eq 0 ] || fail "exit status $RC"
grep -q "^verified: decoding gives back all 4000 bytes" err || fail "no verification line: '$(cat err)'"
cmp -s verified.nnc small.nnc || fail "--verify changed the compressed bytes"
pass "$(grep ^verified err)"
expect_usage "--verify is for compression" "--verify applies to compression" x d --verify small.nnc x

# ---- interruption: signals and SIGKILL --------------------------------------------

# interrupt SIGNAL STATUS CMD OUT ARGS...: starts nncomp CMD ... OUT in the
# background, sends SIGNAL once it is at work, expects STATUS and neither OUT nor
# a temporary file left behind. A background job of a non-interactive shell
# starts with SIGINT ignored, and a large (sanitizer) binary may take seconds to
# reach main(): so the signal is sent only after nncomp has installed its handler
# (its caught-signal mask in /proc shows it), and a second after that, mid-work.
interrupt() {
  local sig=$1 want=$2 cmd=$3 out=$4
  shift 4
  CHECK="$sig during $cmd"
  "$NN" "$cmd" "$@" "$out" 2>err &
  BG_PID=$!
  if [ "$sig" != KILL ]; then
    local bit=$(( 1 << ($(kill -l "$sig") - 1) )) waited=0 caught
    while :; do
      caught=$(awk '/^SigCgt:/ {print $2}' "/proc/$BG_PID/status" 2>/dev/null)
      [ -n "$caught" ] || fail "$cmd ended before it installed its signal handlers"
      (( 0x$caught & bit )) && break
      ((waited++ < 600)) || fail "no handler for SIG$sig after 60 s"
      sleep 0.1
    done
  fi
  sleep 1
  local state  # a finished child stays a zombie (Z) until waited for, and takes signals
  state=$(awk '{print $3}' "/proc/$BG_PID/stat" 2>/dev/null)
  [ -n "$state" ] && [ "$state" != Z ] || fail "$cmd ended within 1 s, nothing to interrupt"
  kill -"$sig" "$BG_PID" 2>/dev/null || fail "$cmd ended within 1 s, nothing to interrupt"
  wait "$BG_PID" 2>/dev/null
  RC=$?
  BG_PID=
  [ "$RC" -eq "$want" ] || fail "exit status $RC, expected $want (killed by SIG$sig)"
  [ ! -e "$out" ] || fail "interrupted $cmd left its output"
  no_temp_left
  pass
}
interrupt INT 130 c interrupted.nnc "${FAST[@]}" "$SAMPLE"
interrupt TERM 143 c interrupted.nnc "${FAST[@]}" "$SAMPLE"
interrupt HUP 129 c interrupted.nnc "${FAST[@]}" "$SAMPLE"
interrupt KILL 137 c interrupted.nnc "${FAST[@]}" "$SAMPLE"
"$NN" c "${FAST[@]}" "$SAMPLE" sample.nnc 2>err || fail "compressing the sample failed"
interrupt INT 130 d interrupted.out -q sample.nnc
interrupt KILL 137 d interrupted.out -q sample.nnc

# ---- full disk ----------------------------------------------------------------------

# /dev/full fails every write with ENOSPC.
# full_stdout NAME ARGS...: nncomp ARGS writing to a standard output on /dev/full.
full_stdout() {
  CHECK=$1
  shift
  "$NN" "$@" >/dev/full 2>err
  RC=$?
  [ "$RC" -eq 1 ] || fail "exit status $RC, expected 1"
  [ "$(wc -l <err)" -eq 1 ] || fail "stderr has $(wc -l <err) lines, expected one"
  grep -qiE "^nncomp: error: cannot write 'standard output': No space left on device" err ||
    fail "unexpected message: '$(head -n 1 err)'"
  pass "$(head -n 1 err)"
}
full_stdout "disk full on standard output (compress)" c "${FAST[@]}" small -
full_stdout "disk full on standard output (decompress)" d -q small.nnc -
# A file-size limit makes write() fail part-way (EFBIG) like a full disk does.
CHECK="write fails part-way: file size limit"
(ulimit -f 4 && trap '' XFSZ && exec "$NN" c "${FAST[@]}" "$SAMPLE" limited.nnc) 2>err
RC=$?
[ "$RC" -eq 1 ] || fail "exit status $RC, expected 1"
grep -qiE "^nncomp: error: cannot write 'limited.nnc': File too large" err ||
  fail "unexpected message: '$(head -n 1 err)'"
[ ! -e limited.nnc ] || fail "a partial output file was left"
no_temp_left
pass "$(head -n 1 err)"
# A real full file system, where the test may mount one (root, mount allowed).
CHECK="file system full"
mkdir -p tiny-fs
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=16k tmpfs tiny-fs 2>/dev/null; then
  "$NN" c "${FAST[@]}" "$SAMPLE" tiny-fs/full.nnc 2>err
  RC=$?
  leftover=$(ls -A tiny-fs)
  umount tiny-fs
  [ "$RC" -eq 1 ] || fail "exit status $RC, expected 1"
  grep -qiE "^nncomp: error: cannot write .*No space left on device" err ||
    fail "unexpected message: '$(head -n 1 err)'"
  [ -z "$leftover" ] || fail "left behind on the full file system: $leftover"
  pass "$(head -n 1 err)"
else
  echo "skip: $CHECK (cannot mount a 16 KiB tmpfs here)"
fi

# ---- invalid numbers: a usage error before any work --------------------------------
# (Last, so that a failure here does not hide the checks above.)

expect_usage "negative learning rate" "lr" x.nnc c "${FAST[@]}" --lr -1 small x.nnc
expect_usage "NaN end learning rate" "lr.end" x.nnc c "${FAST[@]}" --lr-end nan small x.nnc

echo "$PASSED passed, 0 failed"
