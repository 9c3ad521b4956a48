// api_sample_test.cpp — the committed sample (data/enwik5, 10^5 bytes of
// enwik8) through the public API with the tiny profile: round trip, the
// stats and header it reports, and its checkpoints as the format document
// defines them. Label `slow` (about half a minute).
#include <gtest/gtest.h>
#include <xxhash.h>

#include <bit>
#include <cstdio>

#include "nncomp/nncomp.h"
#include "src/container.h"
#include "tests/api_util.h"

namespace nncomp {
namespace {

using namespace test;  // NOLINT: helpers of api_util.h

// The committed sample: size, ratio, stats, header, checkpoints.
TEST(api_Sample, RoundTripStatsAndInspect) {
  const Bytes input = read_sample();
  ASSERT_EQ(input.size(), 100000u);
  const Config config = tiny();
  Stats cs, ds;
  const Bytes file = compress(input, config, one_thread(), &cs);
  const Bytes back = decompress(file, one_thread(), &ds);
  ASSERT_TRUE(back == input);

  const double bpc = 8.0 * static_cast<double>(file.size()) / static_cast<double>(input.size());
  std::printf("enwik5: %zu -> %zu bytes, %.4f bpc, coding loss %+.5f %%, %.1f s / %.1f s\n",
              input.size(), file.size(), bpc, 100.0 * cs.coding_loss(), cs.seconds, ds.seconds);
  EXPECT_LT(bpc, 8.0);

  EXPECT_EQ(cs.original_size, input.size());
  EXPECT_EQ(cs.compressed_size, file.size());
  EXPECT_GT(cs.payload_size, 0u);
  EXPECT_LT(cs.payload_size, file.size());
  EXPECT_GT(cs.n_params, 0);
  EXPECT_GT(cs.seconds, 0.0);
  EXPECT_GE(cs.coding_loss(), 0.0);
  EXPECT_LE(cs.coding_loss(), 0.0005);
  EXPECT_EQ(ds.payload_size, cs.payload_size);
  EXPECT_EQ(ds.n_params, cs.n_params);
  EXPECT_EQ(std::bit_cast<uint64_t>(ds.ideal_bits), std::bit_cast<uint64_t>(cs.ideal_bits));

  const FileInfo info = inspect(file);
  EXPECT_EQ(info.format_version, 2);  // the default mixes in context models (format 2)
  EXPECT_EQ(info.config.mixer.mode, MixerMode::kContextMixing);
  EXPECT_EQ(info.config.mixer.mixer_lr, config.mixer.mixer_lr);
  EXPECT_EQ(info.model_name, "gpt");
  EXPECT_EQ(info.config.model.n_layer, config.model.n_layer);
  EXPECT_EQ(info.config.model.d_model, config.model.d_model);
  EXPECT_EQ(info.config.engine.n_streams, config.engine.n_streams);
  EXPECT_EQ(info.config.engine.seg_len, config.engine.seg_len);
  EXPECT_EQ(info.config.engine.ctx_len, config.engine.ctx_len);
  EXPECT_EQ(info.config.seed, config.seed);
  EXPECT_EQ(info.fingerprint.device_kind, "cpu");
  EXPECT_EQ(info.fingerprint.threads, 1u);
  EXPECT_EQ(info.original_size, input.size());
  EXPECT_EQ(info.file_size, file.size());
  EXPECT_EQ(info.payload_size, cs.payload_size);
  EXPECT_EQ(info.header_size + info.payload_size, info.file_size);
  EXPECT_EQ(info.original_xxh64, XXH64(input.data(), input.size(), 0));
  EXPECT_EQ(std::bit_cast<uint64_t>(info.ideal_bits), std::bit_cast<uint64_t>(cs.ideal_bits));
  EXPECT_EQ(info.stream_sizes.size(), config.engine.n_streams);
  EXPECT_GE(info.n_checkpoints, 1u);

  // 100,000 bytes in 4 streams of 25,000 = 1563 segments of 16; checkpoints every
  // 1024 segments (64 KiB of input) → 2, exactly as the format document says.
  EXPECT_EQ(info.checkpoint_segments, 1024u);
  const Header h = parse_container(file).header;
  EXPECT_EQ(h.checkpoints, spec_checkpoints(input, config.engine, h.checkpoint_segments));
  EXPECT_EQ(info.n_checkpoints, 2u);

  // A flipped checkpoint (every checksum resealed) stops the decode there, named.
  for (int flip : {0, 1}) {
    const Bytes bad = reseal(file, [&](Header& hh, std::vector<Bytes>&) {
      hh.checkpoints[static_cast<size_t>(flip)] ^= 0x80000000u;
    });
    const std::string msg =
        expect_error([&] { decompress(bad, one_thread()); }, ErrorKind::kCorrupt);
    EXPECT_TRUE(contains(msg, "diverged at checkpoint " + std::to_string(flip + 1) + " of 2"))
        << msg;
  }
}

}  // namespace
}  // namespace nncomp
