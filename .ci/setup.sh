#!/usr/bin/env bash
# Install what nncomp needs (Debian packages, torch==2.11.0 from PyPI for its
# LibTorch) when missing, then configure and build into build/.
#   bash .ci/setup.sh            # Release build, binary at build/nncomp
#   bash .ci/setup.sh --checks   # also the check builds the tests use: an ASan +
#                                # UBSan nncomp (build/asan) and the libFuzzer
#                                # targets built with clang (build/fuzz)
#   BUILD_DIR=... BUILD_TYPE=... bash .ci/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
readonly TORCH_VERSION=2.11.0
build_dir=${BUILD_DIR:-build}
build_type=${BUILD_TYPE:-Release}
checks=OFF
for arg in "$@"; do
  case "$arg" in
    --checks) checks=ON ;;
    *) echo "setup: unknown argument '$arg' (known: --checks)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages.
pkgs=(build-essential cmake ninja-build pkg-config ccache python3 python3-pip xz-utils time bc
      libboost-program-options-dev libfmt-dev libzstd-dev libxxhash-dev libgtest-dev
      nlohmann-json3-dev libfccp-dev gnuplot-nox bzip2 zpaq)
# The check builds: clang with libFuzzer and the sanitizer runtimes.
if [[ $checks == ON ]]; then pkgs+=(clang libclang-rt-dev); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. LibTorch, from the torch wheel on PyPI (pinned).
have_torch() {
  python3 -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)" \
    2>/dev/null
}
if ! have_torch; then
  say "installing torch==$TORCH_VERSION from PyPI (large download)"
  python3 -m pip install -q "torch==$TORCH_VERSION" ||
    python3 -m pip install -q --break-system-packages "torch==$TORCH_VERSION"
fi
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)
# The header reader of the format test (tests/read_header.py) checks XXH64 sums.
if ! python3 -c 'import xxhash' 2>/dev/null; then
  say "installing xxhash from PyPI"
  python3 -m pip install -q "xxhash==3.5.0" ||
    python3 -m pip install -q --break-system-packages "xxhash==3.5.0"
fi

# 3. The wheel is a CUDA build of LibTorch; its CMake config needs a CUDA
#    toolkit (nvcc), even for CPU-only use. No GPU is needed.
if ! command -v nvcc >/dev/null; then
  for d in /usr/local/cuda/bin /usr/local/cuda-13*/bin; do
    [[ -x "$d/nvcc" ]] && export PATH="$d:$PATH" && break
  done
fi
command -v nvcc >/dev/null || { say "error: nvcc (CUDA toolkit 13) not found; LibTorch's CMake config needs it"; exit 1; }

# 4. Configure and build.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
  -DCMAKE_PREFIX_PATH="$torch_prefix" -DNNCOMP_CHECK_BUILDS="$checks" "${launcher[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
say "built $build_dir/nncomp"
