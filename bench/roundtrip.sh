#!/usr/bin/env bash
# Measure one compress/decompress round trip: sizes, bpc, wall seconds and
# peak RSS each way, coding loss, and (with REPEAT=1) that compressing again
# gives identical bytes. Prints one Markdown table row per run.
#
#   bench/roundtrip.sh INPUT [nncomp compression options...]
#   NNCOMP=build/nncomp REPEAT=1 bench/roundtrip.sh enwik6 -p cpu
set -euo pipefail
nncomp=${NNCOMP:-$(dirname "$0")/../build/nncomp}
[[ $# -ge 1 ]] || { echo "usage: $0 INPUT [options]" >&2; exit 2; }
input=$1; shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run LABEL CMD...: wall seconds and max RSS (KiB) of CMD into $work/LABEL.time
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$label.time" "$@" 2> "$work/$label.err" ||
    { cat "$work/$label.err" >&2; exit 1; }
}
run c "$nncomp" c -q -f "$@" "$input" "$work/a.nnc"
run d "$nncomp" d -q -f "$work/a.nnc" "$work/a.out"
cmp -s "$input" "$work/a.out" || { echo "ROUND TRIP MISMATCH" >&2; exit 1; }
same="-"
if [[ "${REPEAT:-0}" == 1 ]]; then
  run c2 "$nncomp" c -q -f "$@" "$input" "$work/b.nnc"
  cmp -s "$work/a.nnc" "$work/b.nnc" && same="identical" || { echo "NONDETERMINISTIC" >&2; exit 1; }
fi
orig=$(stat -c %s "$input")
comp=$(stat -c %s "$work/a.nnc")
read -r cs crss < "$work/c.time"
read -r ds drss < "$work/d.time"
loss=$("$nncomp" info "$work/a.nnc" | sed -n 's/^coding loss.*: \(.*\) %$/\1/p')
printf '| %s | %s | %d | %d | %.4f | %.1f | %.1f | %.0f | %.0f | %s %% | %s | %s |\n' \
  "$(basename "$input")" "$*" "$orig" "$comp" "$(echo "8*$comp/$orig" | bc -l)" "$cs" "$ds" \
  "$((crss / 1024))" "$((drss / 1024))" "$loss" "$same" "$(uname -m) $(nproc) cores"
