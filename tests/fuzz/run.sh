#!/usr/bin/env bash
# run.sh — one bounded libFuzzer run of one target, for CTest and by hand.
#
#   run.sh FUZZ_BUILD_DIR TARGET MODE [ARTIFACT_DIR]
#     TARGET        fuzz_container | fuzz_coder | fuzz_mix
#     MODE          -runs=N | -max_total_time=SECONDS
#     ARTIFACT_DIR  where a crashing/leaking/slow input is written
#                   (default: FUZZ_BUILD_DIR/artifacts/TARGET)
#
# The target runs on a temporary copy of its seed corpus (corpus/<name>/ next
# to this script), so the checked-in corpus never changes; the copy and the
# log are removed on exit. Prints libFuzzer's final statistics (executions,
# exec/s, peak RSS) and the wall time; exits non-zero on any finding, printing
# the end of the log and the path of the saved input.
set -euo pipefail

usage() {
  echo "usage: $0 FUZZ_BUILD_DIR fuzz_container|fuzz_coder|fuzz_mix -runs=N|-max_total_time=S" \
    "[ARTIFACT_DIR]" >&2
  exit 2
}
[[ $# -eq 3 || $# -eq 4 ]] || usage
build_dir=$1
target=$2
mode=$3
case $target in
  fuzz_container) corpus=container max_len=4096 ;;
  fuzz_coder) corpus=coder max_len=8192 ;;
  fuzz_mix) corpus=fuzz_mix max_len=8192 ;;
  *) usage ;;
esac
[[ $mode =~ ^-(runs|max_total_time)=[0-9]+$ ]] || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=$build_dir/$target
seeds=$here/corpus/$corpus
artifacts=${4:-$build_dir/artifacts/$target}
[[ -x $binary ]] || { echo "run.sh: $binary not built (see $here/README.md)" >&2; exit 2; }
[[ -d $seeds ]] || { echo "run.sh: seed corpus $seeds missing" >&2; exit 2; }
mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/nncomp_fuzz.XXXXXX")
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP  # e.g. a CTest timeout: stop the fuzzer, then clean up
cp -R "$seeds" "$work/corpus"
marker=$work/started
touch "$marker"

start=$(date +%s.%N)
status=0
# Leak detection stays on (ASan default): the library code must not leak.
"$binary" "$mode" -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$work/corpus" >"$work/log" 2>&1 &
pid=$!
wait "$pid" || status=$?
pid=
end=$(date +%s.%N)

grep -E '^(Done [0-9]+ runs|stat::)' "$work/log" || true
awk -v s="$start" -v e="$end" 'BEGIN { printf "wall_seconds: %.1f\n", e - s }'
new_inputs=$(find "$work/corpus" -type f | wc -l)
echo "corpus: $(find "$seeds" -type f | wc -l) seeds, $new_inputs inputs at the end (not kept)"

if [[ $status -ne 0 ]]; then
  echo "run.sh: $target FAILED (exit status $status); end of the log:" >&2
  tail -n 60 "$work/log" >&2
  found=$(find "$artifacts" -type f -newer "$marker")
  if [[ -n $found ]]; then
    echo "run.sh: input(s) saved:" >&2
    echo "$found" | sed 's/^/  /' >&2
    echo "run.sh: reproduce with: $binary <input>" >&2
  fi
  exit 1
fi
echo "run.sh: $target OK"
