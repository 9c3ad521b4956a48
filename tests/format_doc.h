// format_doc.h — the byte table of docs/FORMAT.md, read from the document
// itself, for the tests that hold the writer and the reader against it.
//
// A row of the "Layout" table gives an offset expression (an integer, a sum
// of terms like `B+44+4C+4n`, or `…` for "right after the previous field"),
// a size expression, a type and a field name. Variables: M (the mixer
// block's length, 0 in version 1), S, B (defined in the text above the table
// as `B = <k> + M + S`), C (checkpoint count), n (n_streams). Rows whose
// meaning starts with *(v2)* exist only in version 2. Sizes `2+len` (strings) and `Σ stream_sizes` are resolved
// against a concrete file.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/source_dir.h"

namespace nncomp::test {

struct FormatRow {
  std::string offset, size, type, field, meaning;
  bool v2_only() const { return meaning.rfind("*(v2)*", 0) == 0; }
};

struct FormatTable {
  std::vector<FormatRow> rows;  ///< in table order, without the *body* marker rows
  int64_t b_constant = -1;      ///< k of "B = k + M + S"
  std::string header_len_expr;  ///< from header_len's meaning: "B + 38 + 4C + 4n"
  std::string header_size_expr; ///< from "The header (...) is `...` bytes"

  const FormatRow& row(const std::string& field) const {
    for (const FormatRow& r : rows)
      if (r.field == field) return r;
    throw std::runtime_error("docs/FORMAT.md has no row for field " + field);
  }
};

inline std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t");
  const auto b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

/// Reads docs/FORMAT.md of the source tree (or `path`).
inline FormatTable load_format_table(const std::string& path = nncomp::test::source_dir() +
                                                              "/docs/FORMAT.md") {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  FormatTable t;
  std::string line;
  bool in_layout = false, in_table = false;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      in_layout = line == "## Layout";
      in_table = false;
      continue;
    }
    if (!in_layout) continue;
    if (std::regex_search(line, m, std::regex(R"(`B = (\d+) \+ M \+ S`)")))
      t.b_constant = std::stoll(m[1]);
    if (std::regex_search(line, m, std::regex(R"(The header \(prefix \+ body \+ checksum\) is `([^`]+)`)")))
      t.header_size_expr = m[1];
    if (line.rfind("| Offset", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table || line.rfind("|", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string cell; std::getline(ss, cell, '|');) cells.push_back(trim(cell));
    if (cells.size() < 5 || cells[0].rfind("---", 0) == 0 || cells[0].find("---") != std::string::npos)
      continue;
    if (cells[0].front() == '*') continue;  // *body*, *end of body*
    t.rows.push_back({cells[0], cells[1], cells[2], cells[3], cells[4]});
    if (cells[3] == "header_len" && std::regex_search(cells[4], m, std::regex("`([^`]+)`")))
      t.header_len_expr = m[1];
  }
  if (t.rows.empty()) throw std::runtime_error(path + ": no layout table found");
  return t;
}

/// Value of an expression like "B+44+4C+4n" or "213 + S + 4C + 4n".
inline int64_t eval_expr(std::string e, const std::map<char, int64_t>& vars) {
  std::string s;
  for (char c : e)
    if (c != ' ') s += c;
  int64_t total = 0;
  std::stringstream ss(s);
  for (std::string term; std::getline(ss, term, '+');) {
    static const std::regex kTerm(R"((\d*)([A-Za-z]?))");
    std::smatch m;
    if (!std::regex_match(term, m, kTerm) || term.empty())
      throw std::runtime_error("cannot evaluate '" + e + "'");
    int64_t v = m[1].length() ? std::stoll(m[1]) : 1;
    if (m[2].length()) {
      const auto it = vars.find(m[2].str()[0]);
      if (it == vars.end()) throw std::runtime_error("unknown variable in '" + e + "'");
      v *= it->second;
    }
    total += v;
  }
  return total;
}

}  // namespace nncomp::test
