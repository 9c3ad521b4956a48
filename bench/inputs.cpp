// inputs.cpp — input specs of the benchmark grid: files and enwik8 prefixes.
#include <filesystem>
#include <regex>
#include <stdexcept>

#include "bench/bench.h"

namespace nncomp::bench {

uint64_t parse_count(const std::string& text) {
  // digits, optional fraction, optional exponent: 4154399, 1e6, 2.5e5
  static const std::regex form(R"(([0-9]+)(?:\.([0-9]+))?(?:[eE]\+?([0-9]{1,2}))?)");
  std::smatch m;
  auto bad = [&](const char* why) {
    return std::invalid_argument("bad byte count '" + text + "': " + why);
  };
  if (!std::regex_match(text, m, form)) throw bad("expected digits or a form like 1e6");
  const std::string digits = m[1].str() + m[2].str();
  const int exponent = (m[3].matched ? std::stoi(m[3].str()) : 0) - static_cast<int>(m[2].length());
  if (exponent < 0) {
    // 2.5e0 is not a whole number of bytes unless the dropped digits are 0
    const size_t keep = digits.size() - static_cast<size_t>(-exponent);
    if (digits.find_first_not_of('0', keep) != std::string::npos) throw bad("not a whole number of bytes");
  }
  constexpr uint64_t kMax = uint64_t{1} << 48;  // the container's limit
  uint64_t value = 0;
  const size_t n_digits = exponent < 0 ? digits.size() - static_cast<size_t>(-exponent) : digits.size();
  for (size_t i = 0; i < n_digits; ++i) {
    value = value * 10 + static_cast<uint64_t>(digits[i] - '0');
    if (value > kMax) throw bad("above 2^48 bytes");
  }
  for (int i = 0; i < exponent; ++i) {
    value *= 10;
    if (value > kMax) throw bad("above 2^48 bytes");
  }
  if (value == 0) throw bad("must be at least 1");
  return value;
}

InputSpec parse_input(const std::string& spec, const std::string& enwik8_path) {
  namespace fs = std::filesystem;
  InputSpec in;
  in.spec = spec;
  if (spec.rfind("enwik8:", 0) == 0) {
    if (enwik8_path.empty())
      throw std::invalid_argument("input '" + spec +
                                  "' needs the enwik8 file: give --enwik8 FILE or set ENWIK8 "
                                  "(data/get-enwik8.sh fetches it)");
    in.path = enwik8_path;
    in.prefix = parse_count(spec.substr(7));
    const uint64_t n = *in.prefix;
    in.name = n == 100000       ? "enwik5"
              : n == 1000000    ? "enwik6"
              : n == 10000000   ? "enwik7"
              : n == 100000000  ? "enwik8"
                                : "enwik8:" + std::to_string(n);
  } else if (std::error_code ec; fs::is_regular_file(spec, ec)) {
    in.path = spec;
    in.name = fs::path(spec).filename().string();
  } else if (const size_t colon = spec.rfind(':'); colon != std::string::npos && colon > 0) {
    in.path = spec.substr(0, colon);
    in.prefix = parse_count(spec.substr(colon + 1));
    in.name = fs::path(in.path).filename().string() + ":" + std::to_string(*in.prefix);
  } else {
    in.path = spec;
  }
  std::error_code ec;
  if (!fs::is_regular_file(in.path, ec))
    throw std::invalid_argument("input '" + spec + "': no such file '" + in.path + "'");
  if (in.name.empty() || in.name == "." || in.name == "..")
    throw std::invalid_argument("input '" + spec + "': cannot name it");
  return in;
}

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= s.size()) {
    size_t to = s.find(sep, from);
    if (to == std::string::npos) to = s.size();
    std::string item = s.substr(from, to - from);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
    from = to + 1;
  }
  return out;
}

}  // namespace nncomp::bench
