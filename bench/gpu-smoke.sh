#!/usr/bin/env bash
# gpu-smoke.sh — the GPU path's first run, sized for one command of at most
# 8 minutes on a GPU machine (one short lease). Every step runs under its own
# timeout and is skipped when it could pass the overall budget; a failing step
# is recorded and the next one runs, so one run says as much as it can.
#
#   gpu-smoke.sh BUNDLE OUT PREFIX [GCIDE]
#
# BUNDLE: made by bench/gpu-bundle.sh (programs run through BUNDLE/run), or a
# build folder (programs run from it directly). PREFIX: the 4,154,399-byte
# enwik8 prefix; GCIDE: optional, a large text of which the first 20 MB are
# used. OUT gets two files: summary.txt (one line per step: status, seconds,
# what it measured) and smoke.tar.gz (every step's log, --stats JSON and the
# summary).
#
# Steps: nvidia-smi -L; the start-up self-check (a 4 KB round trip on the
# device); the gpu test programs; per kind (gpt, rwkv, ngpt): the first 1 MB
# with --no-graphs (compress, decompress, cmp), then PREFIX with CUDA graphs:
# compress with --stats, compress again with --phase-timing --stats (the same
# bytes required), decompress, cmp; then the kind with the fastest PREFIX
# compression on the first 20 MB of GCIDE, if given and time is left.
#
# Settings (environment): SMOKE_BUDGET seconds in all (470), SMOKE_STEP
# seconds per command (100), SMOKE_DEVICE (cuda), SMOKE_PROFILE (fast),
# SMOKE_KINDS ("gpt rwkv ngpt"), SMOKE_SMALL bytes for the --no-graphs step
# (1000000), SMOKE_LARGE bytes of GCIDE (20000000). A dry run without a GPU:
# SMOKE_DEVICE=cpu SMOKE_PROFILE=tiny with small inputs.
set -uo pipefail
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: gpu-smoke.sh BUNDLE OUT PREFIX [GCIDE]" >&2
  exit 2
fi
bundle=$(cd "$1" && pwd) || exit 2
mkdir -p "$2" && out=$(cd "$2" && pwd) || exit 2
prefix=$(realpath "$3") || exit 2
gcide=${4:+$(realpath "$4")}
budget=${SMOKE_BUDGET:-470}
step_limit=${SMOKE_STEP:-100}
device=${SMOKE_DEVICE:-cuda}
profile=${SMOKE_PROFILE:-fast}
kinds=${SMOKE_KINDS:-gpt rwkv ngpt}
small_bytes=${SMOKE_SMALL:-1000000}
large_bytes=${SMOKE_LARGE:-20000000}

work=$(mktemp -d "${TMPDIR:-/tmp}/nncomp-smoke.XXXXXX")
logs=$work/logs
mkdir -p "$logs"
summary=$logs/summary.txt
trap 'rm -rf "$work"' EXIT
start=$SECONDS

# prog NAME ARGS...: a program of the bundle (through its wrapper) or of the
# build folder; $nn is nncomp as a file that `timeout` and `bash -c` can run.
prog() {
  local name=$1
  shift
  if [ -x "$bundle/run" ]; then
    "$bundle/run" "$name" "$@"
  elif [ -x "$bundle/$name" ]; then
    "$bundle/$name" "$@"
  else
    "$bundle/tests/$name" "$@"
  fi
}
nn=$work/nncomp
{
  echo '#!/usr/bin/env bash'
  declare -f prog
  echo "bundle='$bundle'"
  echo 'prog "$(basename "$0")" "$@"'
} >"$nn"
cp "$nn" "$work/gpu_test"
cp "$nn" "$work/wkv_gpu_test"
chmod +x "$nn" "$work/gpu_test" "$work/wkv_gpu_test"

note() { echo "$*" | tee -a "$summary"; }

# step NAME LIMIT CMD...: runs CMD with its output in logs/NAME.log under a
# timeout of LIMIT seconds, unless fewer than LIMIT seconds of the budget are
# left; records "ok", "FAIL (exit N)", "TIMEOUT" or "skipped" with the seconds.
# Returns CMD's status (125 when skipped).
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((budget - (SECONDS - start)))
  if [ "$left" -lt "$limit" ]; then
    note "skipped  $name (${left} s of the budget left, the step may take ${limit} s)"
    return 125
  fi
  local t0=$SECONDS rc
  timeout --kill-after=10 "$limit" "$@" >"$logs/$name.log" 2>&1
  rc=$?
  local took=$((SECONDS - t0))
  case $rc in
    0) note "ok       $name (${took} s)" ;;
    124 | 137) note "TIMEOUT  $name (after ${took} s; limit ${limit} s)" ;;
    *) note "FAIL     $name (exit $rc after ${took} s): $(tail -n 1 "$logs/$name.log")" ;;
  esac
  return $rc
}

# measured FILE.json: the figures a --stats file holds, on one line.
measured() {
  python3 - "$1" <<'EOF' 2>/dev/null || echo "(no stats)"
import json, sys
s = json.load(open(sys.argv[1]))
mb = s["original_size"] / 1e6
print(f'{s["original_size"]} -> {s["compressed_size"]} B '
      f'({8 * s["compressed_size"] / max(s["original_size"], 1):.4f} bpc), {s["seconds"]:.1f} s '
      f'({mb / max(s["seconds"], 1e-9):.3f} MB/s), step {s.get("step_us", 0):.0f} us, '
      f'optimizer step {s.get("train_step_ms", 0):.2f} ms, coding {s.get("code_seconds", 0):.1f} s, '
      f'peak GPU {s.get("peak_gpu_bytes", 0) / 2**20:.0f} MiB, peak RSS {s.get("peak_rss_bytes", 0) / 2**20:.0f} MiB, '
      f'{s.get("device_name", "?")}, CUDA {s.get("cuda_version", "?")}')
EOF
}

note "gpu-smoke: device $device, profile $profile, kinds $kinds, budget $budget s, $(date -u +%FT%TZ)"
if command -v nvidia-smi >/dev/null; then
  step nvidia-smi 30 nvidia-smi -L && note "         $(head -n 1 "$logs/nvidia-smi.log")"
else
  note "skipped  nvidia-smi (not installed)"
fi
step version 60 "$nn" --version

# The self-check runs at the start of every run on a GPU: a small round trip
# shows it passed (or names what is not in force).
head -c 4096 "$prefix" >"$work/small4k"
step self-check 120 bash -c '"$0" c -q -f --device "$1" -p tiny "$2" "$2.nnc" &&
  "$0" d -q -f "$2.nnc" "$2.out" && cmp "$2" "$2.out"' "$nn" "$device" "$work/small4k"

for t in gpu_test wkv_gpu_test; do
  step "$t" 120 "$work/$t" --gtest_brief=1
done

head -c "$small_bytes" "$prefix" >"$work/small"
fastest="" fastest_s=""
for kind in $kinds; do
  opts=(-q -f --device "$device" -m "$kind" -p "$profile")
  # 1. step mode without graphs, a small input
  step "$kind-nographs-c" "$step_limit" "$nn" c "${opts[@]}" --no-graphs --stats "$logs/$kind-nographs-c.json" \
    "$work/small" "$work/$kind-small.nnc" &&
    note "         $(measured "$logs/$kind-nographs-c.json")" &&
    step "$kind-nographs-d" "$step_limit" "$nn" d -q -f --stats "$logs/$kind-nographs-d.json" \
      "$work/$kind-small.nnc" "$work/$kind-small.out" &&
    step "$kind-nographs-cmp" 30 cmp "$work/small" "$work/$kind-small.out"
  # 2. graphs, the prefix: compress twice (the second phase-timed), decompress
  if step "$kind-c" "$step_limit" "$nn" c "${opts[@]}" --stats "$logs/$kind-c.json" "$prefix" "$work/$kind.nnc"; then
    note "         $(measured "$logs/$kind-c.json")"
    s=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$logs/$kind-c.json" 2>/dev/null)
    if [ -n "$s" ] && { [ -z "$fastest" ] || python3 -c "import sys; sys.exit(0 if $s < $fastest_s else 1)"; }; then
      fastest=$kind fastest_s=$s
    fi
    step "$kind-c-phases" "$step_limit" "$nn" c "${opts[@]}" --phase-timing --stats "$logs/$kind-c-phases.json" \
      "$prefix" "$work/$kind-again.nnc" &&
      note "         $(measured "$logs/$kind-c-phases.json")" &&
      step "$kind-same-bytes" 30 cmp "$work/$kind.nnc" "$work/$kind-again.nnc"
    step "$kind-d" "$step_limit" "$nn" d -q -f --stats "$logs/$kind-d.json" "$work/$kind.nnc" "$work/$kind.out" &&
      note "         $(measured "$logs/$kind-d.json")" &&
      step "$kind-cmp" 30 cmp "$prefix" "$work/$kind.out"
  fi
  rm -f "$work/$kind"*.nnc "$work/$kind"*.out
done

if [ -n "$gcide" ] && [ -n "$fastest" ]; then
  head -c "$large_bytes" "$gcide" >"$work/large"
  step "$fastest-large-c" 240 "$nn" c -q -f --device "$device" -m "$fastest" -p "$profile" \
    --stats "$logs/$fastest-large-c.json" "$work/large" "$work/large.nnc" &&
    note "         $(measured "$logs/$fastest-large-c.json")"
else
  note "skipped  large input (${gcide:-no GCIDE given}; fastest kind: ${fastest:-none})"
fi

note "gpu-smoke: done in $((SECONDS - start)) s"
cp "$summary" "$out/summary.txt"
tar -czf "$out/smoke.tar.gz" -C "$work" logs
