// The configuration of the mixing side: every field that shapes the
// predictions, each a fixed-width integer, so that the integrator can store
// it in the container header verbatim and a decoder rebuild the identical
// predictor. config_problem() validates a (possibly hostile) value and
// memory_bytes() bounds what a Predictor built from it allocates.
#pragma once

#include <cstdint>
#include <string>

namespace nncomp::mix {

/// Context models that can be switched on or off (bits of Config::models
/// and Config::private_models).
enum ModelBit : uint32_t {
  kModelOrder1 = 1u << 0,    ///< order-1 context
  kModelOrder2 = 1u << 1,    ///< order 2
  kModelOrder3 = 1u << 2,    ///< order 3
  kModelOrder4 = 1u << 3,    ///< order 4
  kModelOrder5 = 1u << 4,    ///< order 5
  kModelOrder6 = 1u << 5,    ///< order 6
  kModelOrder7 = 1u << 6,    ///< order 7
  kModelOrder9 = 1u << 7,    ///< order 9
  kModelOrder12 = 1u << 8,   ///< order 12
  kModelWord = 1u << 9,      ///< current word (letters, lower-cased)
  kModelWord2 = 1u << 10,    ///< previous and current word
  kModelMarkup = 1u << 11,   ///< markup state and the last 2 bytes
  kModelColumn = 1u << 12,   ///< column, byte above, last byte
  kModelAbove = 1u << 13,    ///< byte above and column
  kModelMatch = 1u << 16,    ///< match model (Config::models only)
  kModelApm = 1u << 17,      ///< APM/SSE stages (Config::models only)
};

/// Bits of the hashed contexts (the ones private_models may name).
inline constexpr uint32_t kContextModels = 0x3FFFu;

/// Shared models of the default: orders 1-5, 7, 9 and 12, both word
/// contexts, the three text contexts, the match model and the APM stages.
inline constexpr uint32_t kDefaultModels = kModelOrder1 | kModelOrder2 | kModelOrder3 | kModelOrder4 |
                                           kModelOrder5 | kModelOrder7 | kModelOrder9 | kModelOrder12 |
                                           kModelWord | kModelWord2 | kModelMarkup | kModelColumn |
                                           kModelAbove | kModelMatch | kModelApm;

/// Private (per-stream) models of the default: orders 1-4, the word
/// contexts and the markup context.
inline constexpr uint32_t kDefaultPrivateModels =
    kModelOrder1 | kModelOrder2 | kModelOrder3 | kModelOrder4 | kModelWord | kModelWord2 | kModelMarkup;

/// Everything that shapes the predictions (stored in the container header).
struct Config {
  uint8_t rule_version = 1;        ///< 1 (the only rule so far)
  uint8_t neural = 1;              ///< 1: mix the neural cdf given to begin_byte; 0: ignore it
  uint8_t log2_slot_bytes = 27;    ///< shared bit-history table: 2^n bytes, n in 12..32
  uint8_t log2_match = 22;         ///< match index: 2^n uint32 entries, n in 10..30
  uint8_t log2_private_bytes = 20; ///< per-stream private table cap: 2^n bytes, n in 12..28
  uint8_t log2_private_total = 26; ///< all private tables together at most 2^n bytes, n in 12..34
  uint8_t match_min = 7;           ///< minimum verified match length, 2..32
  uint8_t mixer_lr = 7;            ///< layer-1 mixer learning rate, 1..255
  uint8_t final_lr = 2;            ///< final mixer learning rate, 1..255
  uint8_t sm_limit = 127;          ///< count limit of the context cells / 8, 1..127 (limit = 8n, at most 1016)
  uint32_t models = kDefaultModels;                ///< ModelBit mask of the shared models
  uint32_t private_models = kDefaultPrivateModels; ///< ModelBit mask of the private models (n_streams >= 2 only)
};

/// The tuned default (neural input on).
Config default_config();

/// c with its table sizes reduced to what an input of input_bytes bytes in
/// n_streams streams can use (never enlarged): with b(x) = the bit width of
/// x - 1 (ceil(log2 x), 0 for x <= 1),
///   log2_slot_bytes    = min(c's, max(18, b(input_bytes) + 7)),
///   log2_match         = min(c's, max(12, b(input_bytes) + 2)),
///   log2_private_bytes = min(c's, max(12, b(ceil(input_bytes / n_streams)) + 7)).
/// For enwik6 (10^6 bytes, 1 or 16 streams) this is the default itself. Meant
/// for the writer of a container header (the decoder reads the result back,
/// so it need not know the rule). n_streams >= 1.
Config sized_for(const Config& c, uint64_t input_bytes, uint32_t n_streams);

/// "" if the configuration is acceptable, else one line naming the first bad
/// field and its valid range (also: unknown model bits, and more contexts
/// than the predictor's capacity of 24).
std::string config_problem(const Config& c);

/// log2 of each stream's private table for n_streams streams (0 if there
/// are no private models): min(log2_private_bytes, log2_private_total -
/// ceil(log2 n_streams)), at least 12; private models exist only when
/// n_streams >= 2.
int private_table_log2(const Config& c, uint32_t n_streams);

/// Upper bound of the bytes a Predictor(c, n_streams) allocates (tables,
/// per-stream state), for an acceptable c and n_streams in 1..65536.
uint64_t memory_bytes(const Config& c, uint32_t n_streams);

}  // namespace nncomp::mix
