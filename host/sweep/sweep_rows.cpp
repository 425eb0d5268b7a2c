// Row files: the columns, one row as a JSON Lines or CSV line, reading an existing file back to
// resume (cutting a row a crash left partial), and appending rows with a lock and fsync.
#include "sweep/sweep.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/errors.hpp"
#include "search/describe.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

const std::vector<std::string>& sweep_columns() {
  static const std::vector<std::string> cols = {
      "schema_version", "scenario", "index", "cluster", "gpu_override", "price", "model", "workload", "tokens_per_day",
      "status", "why_not", "site", "gpu", "mode", "layout", "tp", "pp", "ep", "dp", "prefill_tp", "prefill_pp",
      "prefill_ep", "prefill_dp", "weight_precision", "kv_precision", "draft_tokens",
      "chunk_tokens_per_rank", "batch_per_rank", "tpot_ms", "ttft_ms", "tokens_per_s_per_gpu", "gpus", "gpus_billed",
      "nodes", "cost_usd_per_day", "usd_per_million_tokens", "it_power_mw", "facility_power_mw",
      "gpus_of_type_in_cluster", "shortfall_gpus", "enough", "binding_constraint", "grid_size",
      "feasible_configurations", "matrix_sha256", "inputs_sha256", "elapsed_s"};
  return cols;
}

bool parse_sweep_format(const std::string& s, sweep_format* out) {
  if (s == "jsonl") *out = sweep_format::jsonl;
  else if (s == "csv") *out = sweep_format::csv;
  else return false;
  return true;
}

namespace {

/// Text of a field: newlines become spaces so that one row is one line in either format.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

std::string csv_field(const ojson& v) {
  if (v.is_null()) return "";
  if (!v.is_string()) return v.dump();  // numbers and booleans as JSON writes them: no locale
  const std::string s = one_line(v.get<std::string>());
  if (s.find_first_of(",\"") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' '))) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

/// Splits one CSV line (RFC 4180 quoting, no embedded newlines). False when the quoting is broken.
bool split_csv(const std::string& line, std::vector<std::string>* out) {
  out->clear();
  std::string cur;
  bool quoted = false, in_quotes = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        cur += c;
      }
    } else if (c == '"' && cur.empty() && !quoted) {
      in_quotes = quoted = true;
    } else if (c == ',') {
      out->push_back(cur);
      cur.clear();
      quoted = false;
    } else if (quoted) {
      return false;  // text after a closing quote
    } else {
      cur += c;
    }
  }
  if (in_quotes) return false;
  out->push_back(cur);
  return true;
}

std::string short_sha(const std::string& s) { return s.size() > 12 ? s.substr(0, 12) + "..." : s; }

}  // namespace

std::string sweep_row_text(const ojson& row, sweep_format f) {
  if (f == sweep_format::jsonl) {
    ojson clean = row;
    for (auto& kv : clean.items()) {
      if (kv.value().is_string()) kv.value() = one_line(kv.value().get<std::string>());
    }
    return clean.dump() + "\n";
  }
  std::string line;
  const std::vector<std::string>& cols = sweep_columns();
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (i) line += ',';
    auto it = row.find(cols[i]);
    line += it == row.end() ? std::string() : csv_field(*it);
  }
  return line + "\n";
}

std::string sweep_csv_header() {
  std::string line;
  for (const std::string& c : sweep_columns()) line += (line.empty() ? "" : ",") + c;
  return line + "\n";
}

sweep_existing scan_sweep_output(const std::string& path, sweep_format f, const std::string& matrix_sha256) {
  sweep_existing ex;
  std::error_code ec;
  if (!fs::exists(path, ec)) return ex;
  if (!fs::is_regular_file(path, ec)) throw config_error(path, "", "is not a regular file; --out needs a file to append rows to");
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw runtime_failure("cannot read " + path + ": " + std::strerror(errno));
    std::ostringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  // A last line without its newline is a row cut short (Ctrl-C twice, a crash, a full disk) only
  // when it starts like one of ours (the CSV header, a row after it, or a JSON object opening with the first column); anything
  // else is the user's file, which is refused, never cut.
  std::size_t keep = text.size();
  std::string partial;
  if (!text.empty() && text.back() != '\n') {
    keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
    partial = text.substr(keep);
    const std::string first = f == sweep_format::csv ? sweep_csv_header() : "{\"" + sweep_columns()[0] + "\":";
    const bool starts_like_ours = partial.size() >= first.size() ? partial.compare(0, first.size(), first) == 0
                                                                  : first.compare(0, partial.size(), partial) == 0;
    const bool ours = (f == sweep_format::csv && keep > 0) || starts_like_ours;
    if (!ours) {
      throw config_error(path, "line " + std::to_string(std::count(text.begin(), text.end(), '\n') + 1),
                         "not a row of tokenplan sweep (and not one cut short: no complete row or header before "
                         "it); write to a new --out file");
    }
    text.resize(keep);
  }
  const std::vector<std::string>& cols = sweep_columns();
  const std::string header = sweep_csv_header();
  std::size_t line_no = 0, pos = 0;
  std::vector<std::string> fields;
  std::size_t scenario_col = 0, sha_col = 0;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (cols[i] == "scenario") scenario_col = i;
    if (cols[i] == "matrix_sha256") sha_col = i;
  }
  auto other_matrix = [&](const std::string& where, const std::string& sha) {
    throw config_error(path, where, "the rows were written for another matrix (sha256 " + short_sha(sha) + ", this one " +
                                        short_sha(matrix_sha256) + "); write to a new --out file or delete this one");
  };
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::string where = "line " + std::to_string(line_no);
    if (f == sweep_format::csv) {
      if (line_no == 1) {
        if (line + "\n" != header) {
          throw config_error(path, where, "not the header of tokenplan sweep's CSV rows (schema " +
                                              std::string(sweep_schema_version) + "); write to a new --out file");
        }
        ex.needs_header = false;
        continue;
      }
      if (!split_csv(line, &fields) || fields.size() != cols.size()) {
        throw config_error(path, where, "not a row of " + std::to_string(cols.size()) + " CSV fields");
      }
      if (fields[sha_col] != matrix_sha256) other_matrix(where, fields[sha_col]);
      ex.done.insert(fields[scenario_col]);
      ++ex.rows;
      continue;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ojson row;
    try {
      row = ojson::parse(line);
    } catch (const ojson::exception&) {  // parse_error, or out_of_range for 1e400
      throw config_error(path, where, "not a JSON row of tokenplan sweep; write to a new --out file");
    }
    std::vector<std::string> keys;
    if (row.is_object()) {
      for (const auto& kv : row.items()) keys.push_back(kv.key());
    }
    if (keys != cols || !row["scenario"].is_string() || !row["matrix_sha256"].is_string()) {
      throw config_error(path, where, "not a row of tokenplan sweep (schema " + std::string(sweep_schema_version) +
                                          "): its keys differ; write to a new --out file");
    }
    if (row["matrix_sha256"] != matrix_sha256) other_matrix(where, row["matrix_sha256"].get<std::string>());
    ex.done.insert(row["scenario"].get<std::string>());
    ++ex.rows;
  }
  ex.needs_header = f == sweep_format::csv && ex.needs_header;
  if (!partial.empty()) {
    // Every complete line is ours (checked above): now the cut is safe.
    if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
      throw runtime_failure("cannot cut the partial last row of " + path + ": " + std::strerror(errno));
    }
    ex.dropped_partial_row = true;
  }
  return ex;
}

row_appender::row_appender(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw runtime_failure("cannot open " + path + " for appending: " + std::strerror(errno));
  // Two sweeps appending to one file would interleave their rows and both redo the same scenarios.
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    if (e == EWOULDBLOCK) throw usage_error(path + " is being written by another tokenplan sweep; wait for it or use another --out");
    throw runtime_failure("cannot lock " + path + ": " + std::strerror(e));
  }
}

row_appender::~row_appender() {
  if (fd_ >= 0) ::close(fd_);
}

void row_appender::append(const std::string& line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw runtime_failure("cannot write " + path_ + ": " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd_) != 0) throw runtime_failure("cannot sync " + path_ + ": " + std::strerror(errno));
}

}  // namespace tokenplan
