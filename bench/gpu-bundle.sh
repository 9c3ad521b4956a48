#!/usr/bin/env bash
# gpu-bundle.sh — package a build made on this machine so that it runs on a GPU
# machine that has python3 with torch 2.11.0+cu130 (LibTorch, CUDA's libraries)
# but none of our other libraries, no compiler setup for them and no registry.
#
#   bench/gpu-bundle.sh BUILD DEST
#
# BUILD: a Release build of this project (bash .ci/setup.sh; its CUDA code is
# built for sm_90, CMAKE_CUDA_ARCHITECTURES=90, the H100/H200's). DEST gets:
#   bin/   nncomp, nncomp-bench, nncomp-flops and the gpu test programs, their
#          RUNPATH rewritten to $ORIGIN/../lib (no path of this machine left);
#   lib/   the shared libraries they need that are neither LibTorch's, CUDA's
#          nor the C/C++ runtime's (Boost.Program_options, fmt, xxhash, zstd, ...);
#   src/   what the tests read (data/enwik5, tests/golden/, docs/FORMAT.md),
#          found through NNCOMP_SOURCE_DIR instead of the build's source path;
#   run    the wrapper: `DEST/run PROGRAM ARGS...` puts lib/, torch's lib/ and
#          the nvidia wheels' libraries (found through that machine's python3)
#          on LD_LIBRARY_PATH, sets NNCOMP_SOURCE_DIR and runs bin/PROGRAM;
#   gpu-smoke.sh  the smoke run (bench/gpu-smoke.sh DEST OUT PREFIX [GCIDE]).
# The bundle is a few MB, far inside what travels to that machine.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: bench/gpu-bundle.sh BUILD DEST" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "$1" && pwd)
dest=$2
say() { echo "gpu-bundle: $*" >&2; }

programs=("$build/nncomp" "$build/nncomp-bench" "$build/nncomp-flops" "$build/tests/gpu_test"
          "$build/tests/wkv_gpu_test")
for p in "${programs[@]}"; do
  [ -x "$p" ] || { say "error: $p is missing (build it first: bash .ci/setup.sh)"; exit 1; }
done
if ! command -v patchelf >/dev/null; then
  say "installing patchelf (Debian package) to rewrite the programs' RUNPATH"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq patchelf >/dev/null; else sudo apt-get install -y -qq patchelf >/dev/null; fi
fi

rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib" "$dest/src/data" "$dest/src/tests" "$dest/src/docs"
cp "${programs[@]}" "$dest/bin/"
for p in "$dest"/bin/*; do patchelf --set-rpath '$ORIGIN/../lib' "$p"; done

# The libraries to carry: everything ldd resolves, except what that machine
# has (LibTorch and the CUDA libraries of its torch wheel) and the C and C++
# runtimes (its own, newer than ours; glibc >= 2.36 there is required).
keep_out='/(torch|nvidia)/|/cuda[^/]*/|/(ld-linux[^/]*|lib(c|m|dl|rt|pthread|util|stdc\+\+|gcc_s)\.so[^/]*)$'
for p in "${programs[@]}"; do
  ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
done | sort -u | grep -Ev "$keep_out" | while read -r lib; do
  cp -L "$lib" "$dest/lib/"
done
missing=$(for p in "${programs[@]}"; do ldd "$p"; done | grep "not found" | sort -u || true)
[ -z "$missing" ] || { say "error: unresolved libraries here: $missing"; exit 1; }

cp "$root/data/enwik5" "$dest/src/data/"
cp -r "$root/tests/golden" "$dest/src/tests/"
cp "$root/docs/FORMAT.md" "$dest/src/docs/"
cp "$here/gpu-smoke.sh" "$dest/"

cat >"$dest/run" <<'EOF'
#!/usr/bin/env bash
# run PROGRAM ARGS...: a program of this bundle with the libraries of this
# machine's torch wheel (python3's) and the ones carried in lib/.
set -euo pipefail
bundle=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 1 ] || { echo "usage: run PROGRAM ARGS... (programs: $(ls "$bundle/bin" | tr '\n' ' '))" >&2; exit 2; }
site=$(python3 -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))') ||
  { echo "run: python3 with torch is needed for LibTorch's libraries" >&2; exit 1; }
paths=$bundle/lib:$site/torch/lib
for d in "$site"/nvidia/*/lib; do [ -d "$d" ] && paths=$paths:$d; done
export LD_LIBRARY_PATH=$paths${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export NNCOMP_SOURCE_DIR=$bundle/src
exec "$bundle/bin/$1" "${@:2}"
EOF
chmod +x "$dest/run" "$dest/gpu-smoke.sh"
say "bundle in $dest: $(du -sh "$dest" | cut -f1); libraries carried: $(ls "$dest/lib" | tr '\n' ' ')"
