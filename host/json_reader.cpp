// JSON config reading with precise, actionable errors.
#include "json_reader.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <locale>
#include <sstream>

#include "atomic_file.hpp"
#include "errors.hpp"
#include "sha256.hpp"
#include "text.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

input_file read_input_file(const std::string& path, std::uintmax_t max_bytes) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw config_error(path, "", "cannot open file: no such file");
  if (fs::is_directory(st)) throw config_error(path, "", "is a directory, expected a JSON file");
  if (!fs::is_regular_file(st)) throw config_error(path, "", "is not a regular file");
  std::uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > max_bytes) {
    throw config_error(path, "", "file is " + std::to_string(size) + " bytes; config files are limited to " +
                                     std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error(path, "", std::string("cannot open file: ") + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw config_error(path, "", "read failed");
  input_file f;
  f.path = path;
  f.text = buf.str();
  f.sha256 = sha256_hex(f.text);
  remember_input(path);  // an output may not replace it (atomic_file.hpp)
  return f;
}

json parse_json(const input_file& f) {
  bool too_deep = false;
  auto depth_guard = [&](int depth, json::parse_event_t, json&) {
    if (depth > max_json_depth) too_deep = true;
    return !too_deep;
  };
  try {
    json j = json::parse(f.text, depth_guard, /*allow_exceptions=*/true, /*ignore_comments=*/false);
    if (too_deep) {
      throw config_error(f.path, "", "JSON nested deeper than " + std::to_string(max_json_depth) + " levels");
    }
    return j;
  } catch (const json::parse_error& e) {
    if (too_deep) {
      throw config_error(f.path, "", "JSON nested deeper than " + std::to_string(max_json_depth) + " levels");
    }
    // Turn the byte offset into line:column.
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < f.text.size(); ++i) {
      if (f.text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    std::size_t p = what.find("syntax error");
    throw config_error(f.path, "", "malformed JSON at line " + std::to_string(line) + ", column " +
                                       std::to_string(col) + ": " +
                                       (p == std::string::npos ? what : what.substr(p)));
  } catch (const json::out_of_range& e) {
    // A number beyond a double (1e400): nlohmann reports it as out_of_range 406, without a
    // position; the number's text is in the message, so find it in the file for line:column.
    std::string what = e.what();
    std::size_t q1 = what.find('\''), q2 = what.rfind('\'');
    std::string token = q1 != std::string::npos && q2 > q1 ? what.substr(q1 + 1, q2 - q1 - 1) : "";
    std::size_t at = token.empty() ? std::string::npos : f.text.find(token);
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; at != std::string::npos && i < at; ++i) {
      if (f.text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw config_error(f.path, "", "malformed JSON at line " + std::to_string(line) + ", column " +
                                       std::to_string(col) + ": number " + token +
                                       " is beyond the range of a double (about 1.8e308)");
  }
}

std::string format_number(double x) {
  std::ostringstream s;
  s.imbue(std::locale::classic());  // "0.5", never "0,5", whatever the global locale
  s.precision(12);
  s << x;
  return s.str();
}

std::string describe_json(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return "number " + v.dump();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return "string \"" + s + "\"";
  }
  if (v.is_array()) return "an array";
  return "an object";
}

namespace {

std::string range_text(number_range r) {
  std::string lo = r.lo_open ? "> " + format_number(r.lo) : ">= " + format_number(r.lo);
  return lo + " and <= " + format_number(r.hi);
}

bool is_identifier(const std::string& k) {
  if (k.empty()) return false;
  for (char c : k) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

}  // namespace

field_reader::field_reader(const json& value, std::string file, std::string path)
    : v_(&value), file_(std::move(file)), path_(std::move(path)) {
  known_.insert("source");
  known_.insert("sources");
  if (!value.is_object()) fail_here("expected an object, found " + describe_json(value));
  // A file may name its JSON Schema (configs/schema/) for editors; the loader only checks its type.
  if (path_ == "$") {
    known_.insert("$schema");
    auto it = value.find("$schema");
    if (it != value.end() && !it->is_string()) fail("$schema", "expected a string (the schema's URI or path), found " + describe_json(*it));
  }
}

std::string field_reader::child_path(const std::string& key) const {
  return is_identifier(key) ? path_ + "." + key : path_ + "[\"" + key + "\"]";
}

bool field_reader::has(const std::string& key) const { return v_->contains(key); }

void field_reader::fail(const std::string& key, const std::string& detail) const {
  throw config_error(file_, child_path(key), detail);
}

void field_reader::fail_here(const std::string& detail) const { throw config_error(file_, path_, detail); }

const json& field_reader::require(const std::string& key) {
  known_.insert(key);
  auto it = v_->find(key);
  if (it == v_->end()) {
    // A key nobody has asked about that reads as a typo of this one ("num_hiden_layers",
    // "num_layers" for "num_hidden_layers") is named, so the fix is obvious.
    std::string typo;
    std::size_t typo_d = std::string::npos;
    for (auto k = v_->begin(); k != v_->end(); ++k) {
      if (known_.count(k.key()) || nearest_name(k.key(), {key}).empty()) continue;
      const std::size_t d = edit_distance(k.key(), key);
      if (d < typo_d) {
        typo_d = d;
        typo = k.key();
      }
    }
    fail(key, typo.empty() ? "required field is missing"
                           : "required field is missing; found '" + typo + "' instead (a misspelling of '" + key + "'?)");
  }
  return *it;
}

const json& field_reader::raw(const std::string& key) { return require(key); }

double field_reader::number(const std::string& key, number_range r) {
  const json& v = require(key);
  if (!v.is_number()) fail(key, "expected a number " + range_text(r) + ", found " + describe_json(v));
  double x = v.get<double>();
  if (!std::isfinite(x)) fail(key, "expected a finite number, found " + describe_json(v));
  bool low_ok = r.lo_open ? x > r.lo : x >= r.lo;
  if (!low_ok || x > r.hi) fail(key, "expected a number " + range_text(r) + ", found " + format_number(x));
  return x;
}

double field_reader::number_or(const std::string& key, double fallback, number_range r) {
  known_.insert(key);
  return has(key) ? number(key, r) : fallback;
}

std::uint32_t field_reader::integer(const std::string& key, std::uint64_t lo, std::uint64_t hi) {
  const json& v = require(key);
  std::string want = "expected an integer >= " + std::to_string(lo) + " and <= " + std::to_string(hi);
  if (!v.is_number()) fail(key, want + ", found " + describe_json(v));
  double x = v.get<double>();
  if (!std::isfinite(x) || std::floor(x) != x) fail(key, want + ", found " + describe_json(v));
  if (x < double(lo) || x > double(hi)) fail(key, want + ", found " + format_number(x));
  return static_cast<std::uint32_t>(x);
}

std::uint32_t field_reader::integer_or(const std::string& key, std::uint32_t fallback, std::uint64_t lo,
                                       std::uint64_t hi) {
  known_.insert(key);
  return has(key) ? integer(key, lo, hi) : fallback;
}

std::string field_reader::string(const std::string& key) {
  const json& v = require(key);
  if (!v.is_string()) fail(key, "expected a string, found " + describe_json(v));
  std::string s = v.get<std::string>();
  if (s.empty()) fail(key, "expected a non-empty string");
  return s;
}

std::string field_reader::string_or(const std::string& key, const std::string& fallback) {
  known_.insert(key);
  return has(key) ? string(key) : fallback;
}

bool field_reader::boolean(const std::string& key) {
  const json& v = require(key);
  if (!v.is_boolean()) fail(key, "expected true or false, found " + describe_json(v));
  return v.get<bool>();
}

bool field_reader::boolean_or(const std::string& key, bool fallback) {
  known_.insert(key);
  return has(key) ? boolean(key) : fallback;
}

field_reader field_reader::object(const std::string& key) {
  const json& v = require(key);
  return field_reader(v, file_, child_path(key));
}

std::vector<field_reader> field_reader::objects(const std::string& key) {
  const json& v = require(key);
  if (!v.is_array()) fail(key, "expected an array of objects, found " + describe_json(v));
  if (v.empty()) fail(key, "expected at least one element, found an empty array");
  std::vector<field_reader> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    out.emplace_back(v[i], file_, child_path(key) + "[" + std::to_string(i) + "]");
  }
  return out;
}

std::vector<std::string> field_reader::strings(const std::string& key) {
  const json& v = require(key);
  if (!v.is_array()) fail(key, "expected an array of strings, found " + describe_json(v));
  if (v.empty()) fail(key, "expected at least one element, found an empty array");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      throw config_error(file_, child_path(key) + "[" + std::to_string(i) + "]",
                         "expected a string, found " + describe_json(v[i]));
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

std::vector<std::uint32_t> field_reader::integers(const std::string& key, std::uint64_t lo, std::uint64_t hi) {
  const json& v = require(key);
  if (!v.is_array()) fail(key, "expected an array of integers, found " + describe_json(v));
  if (v.empty()) fail(key, "expected at least one element, found an empty array");
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const json& e = v[i];
    std::string where = child_path(key) + "[" + std::to_string(i) + "]";
    std::string want = "expected an integer >= " + std::to_string(lo) + " and <= " + std::to_string(hi);
    if (!e.is_number()) throw config_error(file_, where, want + ", found " + describe_json(e));
    double x = e.get<double>();
    if (!std::isfinite(x) || std::floor(x) != x || x < double(lo) || x > double(hi)) {
      throw config_error(file_, where, want + ", found " + describe_json(e));
    }
    out.push_back(static_cast<std::uint32_t>(x));
  }
  return out;
}

void field_reader::finish() const {
  std::vector<std::string> known(known_.begin(), known_.end());
  for (auto it = v_->begin(); it != v_->end(); ++it) {
    if (known_.count(it.key())) continue;
    throw config_error(file_, child_path(it.key()), "unknown field" + did_you_mean(it.key(), known) +
                                                        "; known fields: " + quoted_list(known));
  }
}

}  // namespace tokenplan
