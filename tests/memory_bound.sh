#!/usr/bin/env bash
# memory_bound.sh — the memory estimate that decides whether a file is decoded
# (docs/FORMAT.md, "Memory") is an upper bound of the real peak: for shapes a
# header can ask for (long contexts, many streams, wide and deep models, every
# kind), a compression's peak RSS (--stats peak_rss_bytes) must not exceed the
# estimate it reports (memory_estimate_bytes). Prints one row per shape.
#
# Usage: memory_bound.sh NNCOMP SAMPLE
set -u
NN=$1
SAMPLE=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/nncomp-mem.XXXXXX")
trap 'rm -rf "$T"' EXIT
failed=0
printf '%-58s %10s %10s %6s\n' shape "peak MiB" "bound MiB" ratio
# shape BYTES ARGS...: compress the first BYTES of the sample with ARGS.
shape() {
  local bytes=$1
  shift
  head -c "$bytes" "$SAMPLE" >"$T/in"
  if ! "$NN" c -q -f -t 1 "$@" --stats "$T/s.json" "$T/in" "$T/out.nnc" 2>"$T/err"; then
    echo "FAIL: nncomp c $* failed: $(head -n 1 "$T/err")"
    failed=1
    return
  fi
  read -r peak bound <<<"$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["peak_rss_bytes"], s["memory_estimate_bytes"])' "$T/s.json")"
  printf '%-58s %10.0f %10.0f %6.2f\n' "$bytes B: $*" "$((peak >> 20))" "$((bound >> 20))" \
    "$(echo "$peak / $bound" | bc -l)"
  if [ "$peak" -gt "$bound" ]; then
    echo "FAIL: peak RSS $peak exceeds the estimate $bound"
    failed=1
  fi
}
# (Inputs as short as the shape allows: about two minutes in all on two cores.)
shape 2000 -p tiny
shape 40 -p tiny --n-streams 1 --ctx-len 1048576
shape 500 -p tiny --n-streams 1 --n-layer 2 --ctx-len 4096
shape 131072 -p tiny --n-streams 65536
shape 20000 -p tiny --n-streams 512 --seg-len 64
shape 2000 -p tiny --d-model 512 --n-head 8 --ffn-mult 8
shape 5000 -m ngpt -p tiny --n-layer 2 --d-model 256 --n-head 4 --ctx-len 512
shape 20000 -m rwkv -p tiny --n-streams 256 --seg-len 64 --d-model 128 --n-head 4
shape 5000 -m rwkv -p cpu
shape 5000 -p cpu
exit $failed
