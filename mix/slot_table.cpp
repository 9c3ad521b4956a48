// SlotTable's replacing insert, used in the serial end-of-step phase.
#include "mix/slot_table.h"

namespace nncomp::mix {

namespace {
// Replacement priority of a slot: n0 + n1 of its node-1 state.
constexpr std::array<uint8_t, 256> make_priority() {
  std::array<uint8_t, 256> p{};
  for (int s = 0; s < 256; ++s) p[s] = static_cast<uint8_t>(kStates.n0[s] + kStates.n1[s]);
  return p;
}
constexpr std::array<uint8_t, 256> kPriority = make_priority();
}  // namespace

uint8_t* SlotTable::insert(uint64_t h) {
  uint8_t* b = bucket(h);
  const uint8_t check = static_cast<uint8_t>(h);
  uint32_t checks;
  std::memcpy(&checks, b, 4);
  const int found = slot_match(checks, check);
  if (found < kSlotsPerBucket) return b + 4 + kSlotStates * found;
  int victim = 0;
  int lowest = kPriority[b[4]];
  for (int i = 1; i < kSlotsPerBucket; ++i) {
    const int pr = kPriority[b[4 + kSlotStates * i]];
    if (pr < lowest) {
      lowest = pr;
      victim = i;
    }
  }
  b[victim] = check;
  uint8_t* slot = b + 4 + kSlotStates * victim;
  std::memset(slot, 0, kSlotStates);
  return slot;
}

}  // namespace nncomp::mix
