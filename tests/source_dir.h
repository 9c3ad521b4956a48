// source_dir.h — where the tests find their data (data/, tests/golden/, docs/).
#pragma once

#include <cstdlib>
#include <string>

namespace nncomp::test {

/// The source tree: $NNCOMP_SOURCE_DIR when set (a test binary run from a
/// bundle on another machine, bench/gpu-bundle.sh), else the tree the test
/// was built from.
inline std::string source_dir() {
  const char* dir = std::getenv("NNCOMP_SOURCE_DIR");
  return dir && *dir ? dir : NNCOMP_SOURCE_DIR;
}

}  // namespace nncomp::test
