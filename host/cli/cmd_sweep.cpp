// tokenplan sweep: run a matrix of scenarios through the planner and write one row per scenario
// (JSON Lines or CSV), resuming where an earlier run of the same matrix stopped.
#include <unistd.h>

#include <cxxopts.hpp>
#include <filesystem>
#include <ostream>

#include "io/atomic_file.hpp"
#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "base/errors.hpp"
#include "search/describe.hpp"
#include "sweep/sweep.hpp"
#include "base/text.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

namespace {

const char* const sweep_help = R"(tokenplan sweep - a matrix of scenarios, one row per scenario with its best plan

Usage:
  tokenplan sweep --matrix FILE [--out rows.jsonl|rows.csv] [--format jsonl|csv] [options]

The matrix file (JSON, configs/schema/matrix.schema.json) lists the axes; every combination is
one scenario, planned as 'tokenplan plan' plans it (the whole grid searched, ranked by the
objective), and written as one row: the scenario's keys, its rank-1 configuration (site, GPU,
mode, layout, precisions, batch, chunk), TPOT and TTFT, GPUs, cost in USD/day and USD per
million tokens, power in MW, the shortfall against the cluster, and "feasible", "infeasible"
(with the check that ruled out the most) or "error" (files that do not fit together).

  {
    "name": "h200-vs-b200",
    "clusters": ["bytedance-h200-overseas"],
    "gpus": ["h200-sxm", {"gpu": "b200", "usd_per_gpu_hour": 3.75}],
    "prices": [1.0, 0.8, {"label": "riyadh-1.5", "usd_per_gpu_hour": {"riyadh-sa": 1.5}}],
    "models": ["llama-3.1-8b", "llama-3.1-70b"],
    "workloads": ["chat-30tn"],
    "tokens_per_day": [1e12, 1e13, 3e13],
    "objective": "cost"
  }

Axes: clusters, models, workloads (required); gpus (every site gets that GPU type, at its own
price unless one is given), prices (a number scales every site's GPU-hour price; an object sets
"usd_per_gpu_hour" for every site or per site, then applies "scale"), tokens_per_day (replaces
the workload's target). Optional: "grid", "engine", "objective". Names are shipped presets or
paths relative to the matrix file. Clusters vary slowest, daily targets fastest.

Options:
  --matrix FILE      the matrix (required)
  --out FILE         append rows to FILE (default: stdout). Rows are written and synced one at
                     a time; run the same command again after Ctrl-C or a crash and the rows
                     already there are kept and skipped (a partially written last row is cut).
                     The file must come from the same matrix (its SHA-256 is in every row).
  --format NAME      jsonl | csv (default: from the --out extension, .csv or .jsonl; else jsonl)
  --calibration FILE fitted factors (default: calibration.json of the configs folder)
  --gpu-dir DIR      where GPU names are looked up (default: ../gpus beside each cluster file,
                     then the shipped configs)
  --backend NAME     auto | cpu | cuda     --threads N     --chunk N     (as for plan)
  --quiet            no progress or summary on stderr

Examples:
  # twelve scenarios into a CSV for a dashboard; Ctrl-C and rerun to resume
  tokenplan sweep --matrix configs/sweeps/h200-vs-b200.json --out rows.csv

  # the same as JSON Lines on stdout
  tokenplan sweep --matrix configs/sweeps/h200-vs-b200.json --quiet | jq -c '{scenario, gpus}'

Exit status: 0 ok; 2 bad input or usage (the message names the file and the JSON field);
1 runtime failure; 130 interrupted (the rows written are kept).
)";

}  // namespace

int cmd_sweep(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  cxxopts::Options opts("tokenplan sweep", "");
  opts.add_options()("matrix", "", cxxopts::value<std::string>())("out", "", cxxopts::value<std::string>())(
      "format", "", cxxopts::value<std::string>())("calibration", "", cxxopts::value<std::string>())(
      "gpu-dir", "", cxxopts::value<std::string>())("backend", "", cxxopts::value<std::string>()->default_value("auto"))(
      "threads", "", cxxopts::value<std::string>()->default_value("0"))(
      "chunk", "", cxxopts::value<std::string>()->default_value("1048576"))("quiet", "")("h,help", "");
  cxxopts::ParseResult a;
  const std::vector<std::string> known = {"matrix",  "out",     "format", "calibration", "gpu-dir",
                                          "backend", "threads", "chunk",  "quiet",       "help"};
  if (!parse_command(opts, argc, argv, known, sweep_help, out, a)) return 0;
  if (!a.count("matrix")) throw usage_error("missing --matrix FILE");
  const std::string matrix_path = a["matrix"].as<std::string>();
  const std::string out_path = a.count("out") ? a["out"].as<std::string>() : "";

  sweep_format format = sweep_format::jsonl;
  if (a.count("format")) {
    const std::string f = a["format"].as<std::string>();
    if (!parse_sweep_format(f, &format)) {
      throw usage_error("--format: expected jsonl or csv, found \"" + f + "\"" + did_you_mean(f, {"jsonl", "csv"}));
    }
  } else if (fs::path(out_path).extension() == ".csv") {
    format = sweep_format::csv;
  }

  sweep_settings s;
  s.backend = a["backend"].as<std::string>();
  if (s.backend != "auto" && s.backend != "cpu" && s.backend != "cuda") {
    throw usage_error("--backend: expected auto, cpu or cuda, found \"" + s.backend + "\"" +
                      did_you_mean(s.backend, {"auto", "cpu", "cuda"}));
  }
  s.threads = static_cast<int>(count_option(a, "threads", 0, 4096));
  s.chunk_configs = count_option(a, "chunk", 1, 1ull << 30);
  if (a.count("gpu-dir")) {
    s.gpu_dirs = {a["gpu-dir"].as<std::string>()};
    std::error_code ec;
    if (!fs::is_directory(s.gpu_dirs[0], ec)) throw usage_error("--gpu-dir: \"" + s.gpu_dirs[0] + "\" is not a directory");
  }
  const config_roots roots = default_roots(matrix_path);
  s.calibration_path = calibration_path(a, roots);

  const sweep_matrix m = load_matrix(matrix_path, roots);
  const std::vector<sweep_scenario> scenarios = expand_matrix(m);
  // Ctrl-C stops the search in progress at its next pass; the rows written stay.
  interrupt_guard guard;
  s.cancel = guard.flag();
  sweep_runner runner(m, s);  // loads every file: a bad one stops here, before any search

  const bool quiet = a.count("quiet") > 0;
  sweep_existing ex;
  std::unique_ptr<row_appender> file;
  if (!out_path.empty()) {
    std::error_code ec;
    if (fs::is_directory(out_path, ec)) throw usage_error("--out: \"" + out_path + "\" is a directory");
    refuse_input_as_output(out_path, "--out");  // the matrix and every file it names
    file = std::make_unique<row_appender>(out_path);  // locked before it is read: one sweep per file
    ex = scan_sweep_output(out_path, format, m.file.sha256);
    if (format == sweep_format::csv && ex.needs_header) file->append(sweep_csv_header());
  } else if (format == sweep_format::csv) {
    write_stdout(out, sweep_csv_header());
  }
  std::vector<const sweep_scenario*> todo;
  for (const sweep_scenario& sc : scenarios) {
    if (!ex.done.count(sc.key)) todo.push_back(&sc);
  }
  if (!quiet) {
    if (ex.dropped_partial_row) err << "sweep: cut a partially written last row from " << out_path << "\n";
    err << "sweep: " << scenarios.size() << " scenarios";
    if (ex.rows > 0) err << "; " << scenarios.size() - todo.size() << " already in " << printable(out_path) << ", " << todo.size() << " to run";
    err << "\n" << std::flush;
  }

  std::function<void(std::uint64_t, std::uint64_t)> bar;
  if (!quiet && ::isatty(STDERR_FILENO)) bar = make_progress_bar(err, "sweeping", "scenarios");
  std::size_t written = 0;
  for (const sweep_scenario* sc : todo) {
    if (guard.flag()->load()) break;
    ojson row;
    try {
      row = runner.run(*sc);
    } catch (const interrupted_error&) {
      break;
    }
    const std::string text = sweep_row_text(row, format);
    if (file) {
      file->append(text);
    } else {
      write_stdout(out, text);
    }
    ++written;
    if (bar) bar(written, todo.size());
  }
  if (written < todo.size()) {
    throw interrupted_error("sweep interrupted: " + std::to_string(written) + " of " + std::to_string(todo.size()) +
                            " scenarios written this run" +
                            (out_path.empty() ? std::string()
                                              : "; the " + std::to_string(ex.rows + written) + " rows in " + out_path +
                                                    " are kept: run the same command again to resume"));
  }
  if (!quiet) {
    err << "sweep: wrote " << written << " rows" << (out_path.empty() ? std::string() : " to " + out_path) << "\n";
  }
  return 0;
}

}  // namespace tokenplan
