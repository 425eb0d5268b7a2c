// Helpers of the terminal tests through the real binary (test_cli_*.cpp): the 8B plan's
// arguments, lines and their width, substring search, an RFC 4180 CSV reader.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace tokenplan::testing::cli_terminal {

inline std::vector<std::string> plan_8b(std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"plan", "--cluster", "bytedance-h200-overseas", "--model", "llama-3.1-8b",
                                "--workload", "chat-30tn", "--backend", "cpu", "--quiet"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

inline void expect_fits_columns(const std::string& text, std::size_t columns) {
  for (const std::string& l : lines_of(text)) EXPECT_LE(l.size(), columns) << l;
}

inline bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

/// Parses RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text, bool* crlf) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, all_crlf = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' || c == '\n') {
      if (c == '\n') all_crlf = false;
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !rows.back().empty()) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  *crlf = all_crlf;
  return rows;
}

}  // namespace tokenplan::testing::cli_terminal
