// tokenplan sweep: a matrix of scenarios (clusters x GPUs x prices x models x workloads x daily
// targets), each planned by the real planner, one row per scenario with its best configuration.
// Rows go to JSON Lines or CSV, appended and synced one at a time, so a run can be resumed.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/loaders.hpp"
#include "search/plan.hpp"

namespace tokenplan {

/// Version of the row format (JSON Lines object / CSV columns); configs/schema/sweep-row.schema.json.
constexpr const char* sweep_schema_version = "1.1.0";

/// A file the matrix names: as written (the label rows carry) and where it resolved.
struct matrix_ref {
  std::string label;
  std::string path;
};

/// One value of the GPU axis: every site of the cluster gets this GPU type, at its own price
/// unless the value sets one.
struct matrix_gpu {
  std::string label;
  std::string path;
  bool has_price = false;
  double usd_per_gpu_hour = 0.0;  ///< the GPU-hour price the ranking uses, every site
};

/// One value of the price axis: a scale on every site's GPU-hour price and/or prices set per
/// site (or for all sites). Energy prices are not changed.
struct matrix_price {
  std::string label;
  double scale = 1.0;
  bool has_all = false;
  double all_usd_per_gpu_hour = 0.0;
  std::map<std::string, double> per_site_usd_per_gpu_hour;
};

/// A matrix file (schema: configs/schema/matrix.schema.json).
struct sweep_matrix {
  input_file file;
  std::string name;
  std::string description;
  objective goal = objective_cost;
  std::string engine;     ///< empty: each workload's own, else the calibration's reference
  std::string grid_path;  ///< empty: the built-in grid for each model
  std::vector<matrix_ref> clusters, models, workloads;
  std::vector<matrix_gpu> gpus;         ///< empty: the clusters' own GPUs
  std::vector<matrix_price> prices;     ///< empty: the clusters' own prices
  std::vector<double> tokens_per_day;   ///< empty: each workload's own target
};

/// Loads a matrix file. Names of models, workloads, clusters, GPUs and grids are shipped
/// presets found in `roots`, or paths relative to the matrix file. Throws config_error naming
/// the file and the JSON path (unknown names get a "did you mean").
sweep_matrix load_matrix(const std::string& path, const config_roots& roots);

/// One scenario: an index into each axis (npos for an axis the matrix leaves out).
struct sweep_scenario {
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::size_t index = 0;
  std::size_t cluster = 0, gpu = none, price = none, model = 0, workload = 0, target = none;
  /// Stable key: "cluster=a|gpu=-|price=-|model=m|workload=w|tokens_per_day=1e+12" (labels as
  /// written in the matrix; "-" for an axis left out).
  std::string key;
};

/// The cartesian product, clusters outermost, then GPUs, prices, models, workloads, and daily
/// targets fastest.
std::vector<sweep_scenario> expand_matrix(const sweep_matrix& m);

/// How scenarios are searched.
struct sweep_settings {
  std::string calibration_path;
  std::vector<std::string> gpu_dirs;  ///< empty: ../gpus beside each cluster file, then the shipped
  std::string backend = "auto";
  int threads = 0;
  std::uint64_t chunk_configs = 1ull << 20;
  const std::atomic<bool>* cancel = nullptr;
};

/// Loads every file of the matrix once (so a bad file fails before any search, exit 2) and
/// plans scenarios into rows.
class sweep_runner {
 public:
  sweep_runner(const sweep_matrix& m, const sweep_settings& s);
  ~sweep_runner();
  sweep_runner(const sweep_runner&) = delete;
  sweep_runner& operator=(const sweep_runner&) = delete;

  /// Plans one scenario and returns its row (columns as sweep_columns()). A scenario whose
  /// files do not fit together (a request longer than the model's context, a grid site the
  /// cluster lacks) gives a row with status "error"; interrupted_error and runtime_failure
  /// propagate.
  nlohmann::ordered_json run(const sweep_scenario& sc);

 private:
  struct loaded;
  const sweep_matrix& m_;
  sweep_settings s_;
  std::unique_ptr<loaded> in_;
};

/// Row columns, in order (JSON Lines keys and CSV header alike).
const std::vector<std::string>& sweep_columns();

enum class sweep_format { jsonl, csv };

/// "jsonl" | "csv"; false for anything else.
bool parse_sweep_format(const std::string& s, sweep_format* out);

/// One row as a line of text ending in '\n': compact JSON with keys in column order, or CSV
/// (RFC 4180 quoting; null as an empty field). Numbers are written without the locale.
std::string sweep_row_text(const nlohmann::ordered_json& row, sweep_format f);

/// The CSV header line, ending in '\n'.
std::string sweep_csv_header();

/// What an existing output file already holds.
struct sweep_existing {
  std::set<std::string> done;       ///< scenario keys of complete rows
  std::size_t rows = 0;
  bool dropped_partial_row = false; ///< a last line without its newline was cut off
  bool needs_header = true;         ///< CSV: the file is empty (after the cut)
};

/// Reads `path` for resuming: cuts a partially written last line (an interrupted write),
/// checks every complete row (parseable, the same columns, written for the same matrix, by
/// SHA-256) and returns the scenario keys done. A missing or empty file is fine. Throws
/// config_error naming the file and the line for a file this sweep did not write.
sweep_existing scan_sweep_output(const std::string& path, sweep_format f, const std::string& matrix_sha256);

/// Appends lines to a file: one write() per line, then fsync, so a row is either whole on disk
/// or detectably partial. Holds an exclusive flock() on the file while alive (usage_error when
/// another process holds it).
class row_appender {
 public:
  explicit row_appender(const std::string& path);
  ~row_appender();
  row_appender(const row_appender&) = delete;
  row_appender& operator=(const row_appender&) = delete;
  void append(const std::string& line);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace tokenplan
