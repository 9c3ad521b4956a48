// Adaptive probability cells: the StateMap of lpaq1 / paq8. A cell is one
// uint32: a 22-bit probability of a 1 (high bits) and a 10-bit hit count
// (low bits). An update moves the probability by (y - p) / (n + 1.5) and
// increments n up to a limit, so a cell adapts fast at first and then
// settles (limit 1023: nearly stationary; small limits keep it adaptive).
// Every small adaptive table of mix/ (bit-history maps, order-0, match and
// neural maps, the APM buckets) is an array of such cells.
#pragma once

#include <array>
#include <cstdint>

namespace nncomp::mix {

/// Cell with probability p22 (0 .. 2^22 - 1) and count 0.
inline constexpr uint32_t make_cell(uint32_t p22) { return (p22 & 0x3FFFFFu) << 10; }

/// P(1) of a cell in units of 2^-16 (0 .. 65535).
inline uint32_t cell_p16(uint32_t cell) { return cell >> 16; }

namespace detail {
// kCellRate[n] = floor(2^17 / (2n + 3)): the step (y - p) * rate / 2^16 is
// (y - p) / (n + 1.5).
constexpr std::array<uint32_t, 1024> make_cell_rates() {
  std::array<uint32_t, 1024> r{};
  for (uint32_t n = 0; n < 1024; ++n) r[n] = (1u << 17) / (2 * n + 3);
  return r;
}
inline constexpr std::array<uint32_t, 1024> kCellRate = make_cell_rates();
}  // namespace detail

/// Updates a cell with bit y (0/1): n = count, p = probability (22 bits),
///   p += floor(((y ? 2^22 - 1 : 0) - p) * kCellRate[n] / 2^16)  (arithmetic shift),
///   n += 1 if n < limit.
/// limit in 1..1023. Source: lpaq1 StateMap, p += (y - p) / (n + 1.5) with a
/// count limit. (p stays in [0, 2^22 - 1], so the step is added in place.)
inline void cell_update(uint32_t& cell, int y, uint32_t limit) {
  const uint32_t n = cell & 1023u;
  const int64_t p = cell >> 10;
  const int64_t target = y ? (int64_t{1} << 22) - 1 : 0;
  const int64_t d = ((target - p) * detail::kCellRate[n]) >> 16;
  cell += static_cast<uint32_t>(d * 1024) + (n < limit ? 1u : 0u);
}

}  // namespace nncomp::mix
