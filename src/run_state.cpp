// run_state.cpp — see run_state.h.
#include "src/run_state.h"

#include <xxhash.h>

#include <cstring>

#include "src/runtime.h"

namespace nncomp {
namespace {

constexpr char kMagic[8] = {'N', 'N', 'C', 'S', 'T', 'A', 'T', 'E'};
constexpr size_t kPrefix = sizeof kMagic + 2;  // magic, version
constexpr size_t kTrailer = 24;                // raw size, XXH64(raw), XXH64(file before it)
constexpr int kLevel = 1;                      // zstd level: fast; the tables are mostly runs

uint64_t load_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void store_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

void state_corrupt(const std::string& what) {
  throw Error(ErrorKind::kCorrupt, "the state file is damaged or truncated: " + what);
}

// ---- writer ----------------------------------------------------------------------

StateWriter::StateWriter() : cctx_(ZSTD_createCCtx()), hash_(XXH64_createState()) {
  if (!cctx_ || !hash_) throw std::bad_alloc();
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, kLevel);
  XXH64_reset(static_cast<XXH64_state_t*>(hash_), 0);
  file_.insert(file_.end(), kMagic, kMagic + sizeof kMagic);
  file_.push_back(static_cast<uint8_t>(kStateVersion));
  file_.push_back(static_cast<uint8_t>(kStateVersion >> 8));
}

StateWriter::~StateWriter() {
  ZSTD_freeCCtx(cctx_);
  XXH64_freeState(static_cast<XXH64_state_t*>(hash_));
}

void StateWriter::drain(ZSTD_EndDirective mode, const void* p, size_t n) {
  ZSTD_inBuffer in{p, n, 0};
  for (;;) {
    const size_t at = file_.size();
    file_.resize(at + ZSTD_CStreamOutSize());
    ZSTD_outBuffer out{file_.data() + at, ZSTD_CStreamOutSize(), 0};
    const size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
    if (ZSTD_isError(left))
      throw Error(ErrorKind::kInternal, std::string("compressing the state: ") + ZSTD_getErrorName(left));
    file_.resize(at + out.pos);
    if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0) return;
  }
}

void StateWriter::put(const void* p, size_t n) {
  XXH64_update(static_cast<XXH64_state_t*>(hash_), p, n);
  raw_size_ += n;
  drain(ZSTD_e_continue, p, n);
}

void StateWriter::u8(uint8_t v) { put(&v, 1); }
void StateWriter::u32(uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  put(b, 4);
}
void StateWriter::u64(uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  put(b, 8);
}
void StateWriter::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  u64(bits);
}
void StateWriter::str(const std::string& s) {
  u64(s.size());
  put(s.data(), s.size());
}
void StateWriter::bytes(std::span<const uint8_t> b) {
  u64(b.size());
  put(b.data(), b.size());
}

void StateWriter::tensor(const torch::Tensor& t) {
  const auto host = t.detach().to(torch::kCPU).contiguous();
  u8(static_cast<uint8_t>(host.scalar_type()));
  u8(static_cast<uint8_t>(host.dim()));
  for (int64_t d : host.sizes()) u64(static_cast<uint64_t>(d));
  put(host.data_ptr(), host.nbytes());
}

std::vector<uint8_t> StateWriter::finish() {
  drain(ZSTD_e_end, nullptr, 0);
  store_u64(file_, raw_size_);
  store_u64(file_, XXH64_digest(static_cast<XXH64_state_t*>(hash_)));
  store_u64(file_, XXH64(file_.data(), file_.size(), 0));
  return std::move(file_);
}

// ---- reader ----------------------------------------------------------------------

StateReader::StateReader(std::span<const uint8_t> file) {
  if (file.size() < sizeof kMagic || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0)
    throw Error(ErrorKind::kNotOurs, "not an nncomp state file (no state magic at the start)");
  if (file.size() < kPrefix + kTrailer) state_corrupt("it ends before its trailer");
  const unsigned version = file[8] | (file[9] << 8);
  if (version != kStateVersion)
    throw Error(ErrorKind::kVersion, "state file version " + std::to_string(version) +
                                         " (this build reads version " + std::to_string(kStateVersion) + ")");
  const uint8_t* trailer = file.data() + file.size() - kTrailer;
  if (XXH64(file.data(), file.size() - 8, 0) != load_u64(trailer + 16))
    state_corrupt("its checksum does not match");
  const uint64_t raw_size = load_u64(trailer);
  // The frame decompresses to raw_size bytes; more, or less, is damage.
  const uint64_t max_ratio = 1u << 17;  // zstd's bound is far below this
  if (raw_size / max_ratio > file.size()) state_corrupt("its length field is impossible");
  if (const uint64_t have = physical_memory_bytes(); have && raw_size > have)
    throw Error(ErrorKind::kUnsupported, "the state file holds " + std::to_string(raw_size >> 20) +
                                             " MiB, more than this machine's memory");
  raw_.resize(raw_size);
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  if (!dctx) throw std::bad_alloc();
  ZSTD_inBuffer in{file.data() + kPrefix, file.size() - kPrefix - kTrailer, 0};
  ZSTD_outBuffer out{raw_.data(), raw_.size(), 0};
  size_t left = 1;
  while (left != 0) {
    const size_t before_in = in.pos, before_out = out.pos;
    left = ZSTD_decompressStream(dctx, &out, &in);
    if (ZSTD_isError(left)) {
      ZSTD_freeDCtx(dctx);
      state_corrupt(std::string("its data does not decompress (") + ZSTD_getErrorName(left) + ")");
    }
    if (left != 0 && in.pos == before_in && out.pos == before_out) break;  // no progress
  }
  ZSTD_freeDCtx(dctx);
  if (left != 0 || in.pos != in.size || out.pos != raw_.size()) state_corrupt("its data has another length");
  if (XXH64(raw_.data(), raw_.size(), 0) != load_u64(trailer + 8)) state_corrupt("its data checksum does not match");
}

const uint8_t* StateReader::take(uint64_t n) {
  if (n > raw_.size() - pos_) state_corrupt("a field runs past its end");
  const uint8_t* p = raw_.data() + pos_;
  pos_ += static_cast<size_t>(n);
  return p;
}

uint8_t StateReader::u8() { return *take(1); }
uint32_t StateReader::u32() {
  const uint8_t* p = take(4);
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t StateReader::u64() { return load_u64(take(8)); }
double StateReader::f64() {
  const uint64_t bits = u64();
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}
std::string StateReader::str() {
  const uint64_t n = u64();
  const uint8_t* p = take(n);
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}
std::vector<uint8_t> StateReader::bytes() {
  const uint64_t n = u64();
  const uint8_t* p = take(n);
  return std::vector<uint8_t>(p, p + n);
}
void StateReader::bytes_into(std::span<uint8_t> out) {
  if (u64() != out.size()) state_corrupt("a field has another length than its job's");
  const uint8_t* p = take(out.size());
  if (!out.empty()) std::memcpy(out.data(), p, out.size());
}

void StateReader::tensor_into(const torch::Tensor& t) {
  const auto dtype = u8();
  const auto rank = u8();
  bool same = dtype == static_cast<uint8_t>(t.scalar_type()) && rank == t.dim();
  std::vector<int64_t> sizes(rank);
  for (auto& d : sizes) d = static_cast<int64_t>(u64());
  same = same && sizes == t.sizes().vec();
  if (!same) state_corrupt("a tensor has another type or shape than the model's");
  const uint8_t* p = take(t.nbytes());
  torch::NoGradGuard no_grad;
  auto host = torch::from_blob(const_cast<uint8_t*>(p), sizes, torch::TensorOptions().dtype(t.scalar_type()));
  t.copy_(host);
}

}  // namespace nncomp
