#!/usr/bin/env bash
# gpu.sh — the GPU checks and measurements of docs/gpu.md in one run.
#
#   bench/gpu.sh BUILD PREFIX GCIDE OUT
#
# BUILD: a build folder of this project (configured and built on the GPU
# machine); PREFIX: the 4,154,399-byte prefix of enwik8; GCIDE: the text of
# Debian's dict-gcide (39,952,321 bytes); OUT: where logs and results go.
# Runs, logging each to OUT: the GPU tests; the round trips of every kind on
# both inputs (compressed twice, byte-exact, via nncomp-bench --repeat, with
# xz -9e beside); one `fast` compression per kind on gcide with phase timing
# for the time breakdown; the FLOP floor. Stops at the first failure.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: bench/gpu.sh BUILD PREFIX GCIDE OUT" >&2
  exit 2
fi
build=$(realpath "$1") prefix=$(realpath "$2") gcide=$(realpath "$3") out=$4
mkdir -p "$out"
out=$(realpath "$out")
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"

ctest --test-dir "$build" -L gpu --output-on-failure 2>&1 | tee "$out/ctest-gpu.log"

"$build/nncomp-flops" | tee "$out/flops.md"

for profile in fast default; do
  "$build/nncomp-bench" -f --device cuda -m all -p "$profile" --repeat -b xz-9e \
      -o "$out/bench-$profile" "$prefix" "$gcide" 2>&1 | tee "$out/bench-$profile.log"
done

for kind in gpt ngpt rwkv; do
  "$build/nncomp" c -f --device cuda -m "$kind" -p fast --phase-timing \
      --stats "$out/phases-$kind-fast.json" "$gcide" "$out/phases.nnc" 2>&1 |
      tee "$out/phases-$kind-fast.log"
done
rm -f "$out/phases.nnc"
