// zstd_tool.cpp — nncomp-bench-zstd: the zstd baseline of the benchmark
// harness, through libzstd, as its own process so that its time and peak
// memory are measured like every other run.
//
//   nncomp-bench-zstd -LEVEL [--long] IN OUT   compress (one frame, one thread)
//   nncomp-bench-zstd -d IN OUT                decompress
//   nncomp-bench-zstd --version                "libzstd X.Y.Z"
//
// --long is zstd's long-distance matching with a 2^27-byte window, as the
// zstd command line's --long (and --ultra for levels above 19).
#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "nncomp-bench-zstd: %s\n", msg.c_str());
  std::exit(1);
}

std::vector<char> read_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) die("cannot open '" + path + "'");
  std::vector<char> data;
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) data.insert(data.end(), buf, buf + got);
  const bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) die("cannot read '" + path + "'");
  return data;
}

void write_file(const std::string& path, const char* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) die("cannot create '" + path + "'");
  const bool bad = std::fwrite(data, 1, size, f) != size;
  if (std::fclose(f) != 0 || bad) die("cannot write '" + path + "'");
}

void check(size_t code, const char* what) {
  if (ZSTD_isError(code)) die(std::string(what) + ": " + ZSTD_getErrorName(code));
}

constexpr int kLongWindowLog = 27;  // zstd --long's default window

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "--version") {
    std::printf("libzstd %s\n", ZSTD_versionString());
    return 0;
  }
  if (args.size() == 3 && args[0] == "-d") {
    const auto in = read_file(args[1]);
    const unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) die("not a zstd frame with a size");
    std::vector<char> out(size);
    ZSTD_DCtx* d = ZSTD_createDCtx();
    check(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, kLongWindowLog), "window");
    const size_t got = ZSTD_decompressDCtx(d, out.data(), out.size(), in.data(), in.size());
    ZSTD_freeDCtx(d);
    check(got, "decompress");
    write_file(args[2], out.data(), got);
    return 0;
  }
  const bool long_mode = args.size() == 4 && args[1] == "--long";
  if ((args.size() == 3 || long_mode) && args[0].size() > 1 && args[0][0] == '-') {
    char* end = nullptr;
    const long level = std::strtol(args[0].c_str() + 1, &end, 10);
    if (*end || level < 1 || level > ZSTD_maxCLevel()) die("bad level '" + args[0] + "'");
    const auto in = read_file(args[long_mode ? 2 : 1]);
    std::vector<char> out(ZSTD_compressBound(in.size()));
    ZSTD_CCtx* c = ZSTD_createCCtx();
    check(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, static_cast<int>(level)), "level");
    check(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1), "checksum");
    if (long_mode) {
      check(ZSTD_CCtx_setParameter(c, ZSTD_c_enableLongDistanceMatching, 1), "long");
      check(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, kLongWindowLog), "window");
    }
    const size_t got = ZSTD_compress2(c, out.data(), out.size(), in.data(), in.size());
    ZSTD_freeCCtx(c);
    check(got, "compress");
    write_file(args.back(), out.data(), got);
    return 0;
  }
  die("usage: nncomp-bench-zstd -LEVEL [--long] IN OUT | -d IN OUT | --version");
}
