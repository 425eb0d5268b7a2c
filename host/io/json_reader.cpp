// JSON config reading with precise, actionable errors.
#include "io/json_reader.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <locale>
#include <sstream>

#include "io/atomic_file.hpp"
#include "base/errors.hpp"
#include "base/sha256.hpp"
#include "base/text.hpp"

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

namespace {

bool is_identifier(const std::string& k) {
  if (k.empty()) return false;
  for (char c : k) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

std::string key_path(const std::string& parent, const std::string& key) {
  return is_identifier(key) ? parent + "." + key : parent + "[\"" + key + "\"]";
}

/// Builds the document from nlohmann's SAX events, refusing as it goes nesting deeper than
/// max_json_depth and a key given twice in one object (nlohmann would keep the last silently).
/// It replaces json::parse with a parser callback: that parser scans the whole parent container
/// after every object it closes, so an array of n objects took O(n^2) (1 MB of "{}," ran for
/// minutes). Here every event is O(1) amortised, plus a map insert per key.
class checked_builder {
 public:
  explicit checked_builder(json& root) : root_(root) {}

  bool null() { return put(json(nullptr)); }
  bool boolean(bool v) { return put(json(v)); }
  bool number_integer(json::number_integer_t v) { return put(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return put(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) { return put(json(v)); }
  bool string(json::string_t& v) { return put(json(std::move(v))); }
  bool binary(json::binary_t& v) { return put(json::binary(std::move(v))); }
  bool start_object(std::size_t) { return open(json(json::value_t::object)); }
  bool start_array(std::size_t) { return open(json(json::value_t::array)); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& k) {
    frame& f = stack_.back();
    auto ins = f.value->get_ref<json::object_t&>().emplace(k, nullptr);
    if (!ins.second) {
      duplicate_path = key_path(path(), k);
      duplicate_key = k;
      return false;
    }
    f.slot = &ins.first->second;
    f.key = std::move(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    error_position = position;
    error_id = ex.id;
    error_text = ex.what();
    return false;
  }

  bool too_deep = false;
  std::string duplicate_key, duplicate_path;
  std::size_t error_position = 0;
  int error_id = 0;
  std::string error_text;

 private:
  struct frame {
    json* value;        // the open object or array
    json* slot;         // object: where the value of the last key goes
    std::string key;    // object: the last key, for paths in messages
  };

  json* place(json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    frame& f = stack_.back();
    if (f.value->is_array()) {
      auto& a = f.value->get_ref<json::array_t&>();
      a.push_back(std::move(v));
      return &a.back();
    }
    *f.slot = std::move(v);
    return f.slot;
  }
  bool put(json&& v) {
    place(std::move(v));
    return true;
  }
  bool open(json&& v) {
    // The limit as before (nlohmann's callback depth, the top-level value at 0): a container
    // may open inside at most max_json_depth others.
    if (stack_.size() > static_cast<std::size_t>(max_json_depth)) {
      too_deep = true;
      return false;
    }
    json* p = place(std::move(v));
    stack_.push_back({p, nullptr, {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
  /// JSON path of the innermost open value, as field_reader writes paths.
  std::string path() const {
    std::string s = "$";
    for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
      const frame& f = stack_[i];
      s = f.value->is_array() ? s + "[" + std::to_string(f.value->size() - 1) + "]" : key_path(s, f.key);
    }
    return s;
  }

  json& root_;
  std::vector<frame> stack_;
};

/// 1-based line and column of byte `at` of `text`.
std::pair<std::size_t, std::size_t> line_column(const std::string& text, std::size_t at) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < at && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

}  // namespace

json parse_json(const input_file& f) {
  json j;
  checked_builder b(j);
  const bool ok = json::sax_parse(f.text, &b, json::input_format_t::json, /*strict=*/true, /*ignore_comments=*/false);
  if (ok) return j;
  if (b.too_deep) {
    throw config_error(f.path, "", "JSON nested deeper than " + std::to_string(max_json_depth) + " levels");
  }
  if (!b.duplicate_path.empty()) {
    throw config_error(f.path, b.duplicate_path,
                       "key \"" + b.duplicate_key + "\" appears twice in one object; give it once (JSON readers "
                       "disagree on which one counts)");
  }
  if (b.error_id == 406) {
    // A number beyond a double (1e400): nlohmann reports it as out_of_range 406 with the position
    // just past the number; the number's text is in the message.
    const std::string& what = b.error_text;
    std::size_t q1 = what.find('\''), q2 = what.rfind('\'');
    std::string token = q1 != std::string::npos && q2 > q1 ? what.substr(q1 + 1, q2 - q1 - 1) : "";
    const std::size_t at = b.error_position >= token.size() ? b.error_position - token.size() : 0;
    auto lc = line_column(f.text, at);
    throw config_error(f.path, "", "malformed JSON at line " + std::to_string(lc.first) + ", column " +
                                       std::to_string(lc.second) + ": number " + token +
                                       " is beyond the range of a double (about 1.8e308)");
  }
  // A syntax error: nlohmann's position counts the offending character, so line:column is of
  // the byte before it.
  auto lc = line_column(f.text, b.error_position > 0 ? b.error_position - 1 : 0);
  const std::string& what = b.error_text;
  std::size_t p = what.find("syntax error");
  throw config_error(f.path, "", "malformed JSON at line " + std::to_string(lc.first) + ", column " +
                                     std::to_string(lc.second) + ": " +
                                     (p == std::string::npos ? what : what.substr(p)));
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

}  // namespace

field_reader::field_reader(const json& value, std::string file, std::string path)
    : v_(&value), file_(std::move(file)), path_(std::move(path)) {
  // "source" and "sources" are known without being inserted here: a reader per element of a
  // long array of objects is then no allocation beyond its path (issue 14).
  if (!value.is_object()) fail_here("expected an object, found " + describe_json(value));
  // A file may name its JSON Schema (configs/schema/) for editors; the loader only checks its type.
  if (path_ == "$") {
    known_.insert("$schema");
    auto it = value.find("$schema");
    if (it != value.end() && !it->is_string()) fail("$schema", "expected a string (the schema's URI or path), found " + describe_json(*it));
  }
}

std::string field_reader::child_path(const std::string& key) const { return key_path(path_, key); }

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
      if (is_known(k.key()) || nearest_name(k.key(), {key}).empty()) continue;
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
  out.reserve(v.size());
  const std::string base = child_path(key);
  for (std::size_t i = 0; i < v.size(); ++i) {
    out.emplace_back(v[i], file_, base + "[" + std::to_string(i) + "]");
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
  for (auto it = v_->begin(); it != v_->end(); ++it) {
    if (is_known(it.key())) continue;
    std::set<std::string> names = known_;
    names.insert("source");
    names.insert("sources");
    const std::vector<std::string> known(names.begin(), names.end());
    throw config_error(file_, child_path(it.key()), "unknown field" + did_you_mean(it.key(), known) +
                                                        "; known fields: " + quoted_list(known));
  }
}

}  // namespace tokenplan
