// Reading JSON config files with errors a person can act on: every message names the file, the
// JSON path, what was expected and what was found; unknown keys get a "did you mean" hint.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tokenplan {

using json = nlohmann::json;

/// A whole input file and its digest, kept so the plan can say exactly what it was made from.
struct input_file {
  std::string path;
  std::string sha256;
  std::string text;
};

constexpr std::uintmax_t max_input_bytes = 16u << 20;  ///< config files larger than this are refused
constexpr int max_json_depth = 64;                     ///< deeper nesting is an error, not a crash

/// Reads `path` whole. Throws config_error when it is missing, not a regular file, unreadable or
/// larger than max_bytes.
input_file read_input_file(const std::string& path, std::uintmax_t max_bytes = max_input_bytes);

/// Parses JSON. Throws config_error naming line and column on a syntax error, and on nesting
/// deeper than max_json_depth.
json parse_json(const input_file& f);

/// Bounds for a number: lo < x (lo_open) or lo <= x, and x <= hi.
struct number_range {
  double lo;
  double hi;
  bool lo_open;
};
constexpr number_range positive(double hi) { return {0.0, hi, true}; }
constexpr number_range at_least(double lo, double hi) { return {lo, hi, false}; }

/// Reads the fields of one JSON object. Remembers which keys it was asked about, so finish()
/// can reject any other key (except "source"/"sources", which carry provenance, and, at the top
/// of a file ("$"), "$schema", a string naming the file's JSON Schema for editors).
class field_reader {
 public:
  /// Throws config_error if `value` is not an object.
  field_reader(const json& value, std::string file, std::string path);

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  std::string child_path(const std::string& key) const;
  bool has(const std::string& key) const;

  double number(const std::string& key, number_range r);
  double number_or(const std::string& key, double fallback, number_range r);
  std::uint32_t integer(const std::string& key, std::uint64_t lo, std::uint64_t hi);
  std::uint32_t integer_or(const std::string& key, std::uint32_t fallback, std::uint64_t lo, std::uint64_t hi);
  std::string string(const std::string& key);
  std::string string_or(const std::string& key, const std::string& fallback);
  bool boolean(const std::string& key);
  bool boolean_or(const std::string& key, bool fallback);
  field_reader object(const std::string& key);
  /// The elements of a non-empty array of objects.
  std::vector<field_reader> objects(const std::string& key);
  /// A non-empty array of strings.
  std::vector<std::string> strings(const std::string& key);
  /// A non-empty array of integers in [lo, hi].
  std::vector<std::uint32_t> integers(const std::string& key, std::uint64_t lo, std::uint64_t hi);
  /// The raw value of a present key (marks it known).
  const json& raw(const std::string& key);
  /// Marks a key as allowed without reading it.
  void allow(const std::string& key) { known_.insert(key); }

  /// Rejects keys nobody asked about, suggesting the nearest known one.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& detail) const;
  [[noreturn]] void fail_here(const std::string& detail) const;

 private:
  const json& require(const std::string& key);
  bool is_known(const std::string& key) const { return key == "source" || key == "sources" || known_.count(key) != 0; }
  const json* v_;
  std::string file_;
  std::string path_;
  std::set<std::string> known_;
};

/// "string \"abc\"", "number -3", "an array", ... for messages.
std::string describe_json(const json& v);

/// Formats a double for messages without trailing noise (1e+12, 0.5, 80).
std::string format_number(double x);

}  // namespace tokenplan
