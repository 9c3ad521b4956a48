// field_checks.h — one-line checks of single configuration and header fields,
// shared by the configuration rules (config_rules.cpp) and the container
// reader and writer (container.cpp). Each returns "" when the value is
// acceptable, else a problem that names the field.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace nncomp {

/// `name` lo..hi (inclusive).
inline std::string check_range(std::string_view name, uint64_t v, uint64_t lo, uint64_t hi) {
  if (v >= lo && v <= hi) return {};
  return fmt::format("{} {} out of range {}..{}", name, v, lo, hi);
}

/// Finite and ≥ 0 (rates, coefficients, bit counts); `positive` demands > 0;
/// `upper` (if not NaN) is an inclusive upper bound.
inline std::string check_double(std::string_view name, double v, bool positive = false,
                                double upper = std::numeric_limits<double>::quiet_NaN()) {
  if (!std::isfinite(v)) return fmt::format("{} is not a finite number", name);
  if (positive ? !(v > 0) : !(v >= 0))
    return fmt::format("{} {} must be {}", name, v, positive ? "> 0" : ">= 0");
  if (!std::isnan(upper) && v > upper) return fmt::format("{} {} exceeds {}", name, v, upper);
  return {};
}

}  // namespace nncomp
