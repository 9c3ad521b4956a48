#!/usr/bin/env bash
# make.sh — regenerates the golden files of the current format version from the
# committed enwik5 sample: one small .nnc per model kind and profile, with its
# original beside it (<name>.orig). Run only when docs/FORMAT.md ("Compatibility")
# says so: after a format version bump, into the new version's folder. Golden
# files of older versions are never regenerated.
#
# A model kind that lands later adds its lines below and makes only those, by
# name, into the current version's folder; the existing files stay as they are.
#
# Usage: tests/golden/make.sh NNCOMP [VERSION [NAME...]]   (VERSION defaults to 2,
#        the version nncomp writes with its defaults (the context mixer on);
#        without NAMEs, every file of the list)
set -euo pipefail
nn=${1:?usage: make.sh NNCOMP [VERSION [NAME...]]}
version=${2:-2}
only=("${@:3}")
here=$(cd "$(dirname "$0")" && pwd)
sample="$here/../../data/enwik5"
out="$here/v$version"
mkdir -p "$out"

# golden NAME OFFSET LENGTH NNCOMP-ARGS...: bytes [OFFSET, OFFSET+LENGTH) of the sample.
golden() {
  local name=$1 offset=$2 length=$3
  shift 3
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then return; fi
  head -c "$((offset + length))" "$sample" | tail -c "$length" >"$out/$name.orig"
  "$nn" c -q -f "$@" "$out/$name.orig" "$out/$name.nnc"
  "$nn" d -q -f "$out/$name.nnc" "$out/$name.check"
  cmp "$out/$name.orig" "$out/$name.check"
  rm -f "$out/$name.check"
  echo "$out/$name.nnc: $(stat -c %s "$out/$name.orig") -> $(stat -c %s "$out/$name.nnc") bytes"
}

golden gpt-tiny 20000 3000 -m gpt -p tiny -t 1
golden gpt-cpu 40000 4096 -m gpt -p cpu -t 2
golden gpt-tiny-1stream 60000 700 -m gpt -p tiny -t 1 --n-streams 1
golden ngpt-tiny 30000 3000 -m ngpt -p tiny -t 1
golden ngpt-cpu 50000 4096 -m ngpt -p cpu -t 2
golden rwkv-tiny 70000 3000 -m rwkv -p tiny -t 1
golden rwkv-cpu 80000 4096 -m rwkv -p cpu -t 2
golden none-cpu 90000 8192 -m none -p cpu
