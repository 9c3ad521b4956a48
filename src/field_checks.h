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

/// The largest finite float32: every f64 field that becomes a float32 scalar
/// of the computation must stay below it.
inline constexpr double kFloat32Max = static_cast<double>(std::numeric_limits<float>::max());

/// Finite and ≥ 0 (rates, coefficients, bit counts); `positive` demands > 0;
/// `upper` is an inclusive upper bound (default: the float32 maximum).
inline std::string check_double(std::string_view name, double v, bool positive = false,
                                double upper = kFloat32Max) {
  if (!std::isfinite(v)) return fmt::format("{} is not a finite number", name);
  if (positive ? !(v > 0) : !(v >= 0))
    return fmt::format("{} {} must be {}", name, v, positive ? "> 0" : ">= 0");
  if (v > upper) return fmt::format("{} {} exceeds {}", name, v, upper);
  return {};
}

/// In [0, 1): finite, ≥ 0 and < 1.
inline std::string check_fraction_below_one(std::string_view name, double v) {
  if (!std::isfinite(v) || !(v >= 0) || !(v < 1))
    return fmt::format("{} {} must be >= 0 and < 1", name, v);
  return {};
}

}  // namespace nncomp
