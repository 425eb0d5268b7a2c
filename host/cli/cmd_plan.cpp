// tokenplan plan and tokenplan capacity: the options they share (inputs, overrides, search,
// output, fleet solver), their help texts, and the fleet run behind both.
#include <unistd.h>

#include <cxxopts.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <ostream>

#include "base/errors.hpp"
#include "base/format.hpp"
#include "base/text.hpp"
#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "fleet/fleet.hpp"
#include "fleet/mip.hpp"
#include "io/atomic_file.hpp"
#include "io/loaders.hpp"
#include "io/overrides.hpp"
#include "report/fleet_report.hpp"
#include "report/html_report.hpp"
#include "report/plan_formats.hpp"
#include "report/plan_report.hpp"
#include "search/plan.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

namespace {

const char* const plan_help = R"(tokenplan plan - serving configurations and the fleet for a daily-token target

Usage:
  tokenplan plan --cluster FILE --model FILE --workload FILE [options]
  tokenplan plan --cluster FILE --demand FILE [options]

Inputs (JSON; every value carries its source in the file; names of shipped configs work too):
  --cluster FILE     sites: GPU type and count, GPUs per node, interconnect, pricing (lease,
                     on-demand or owned), power cap, PUE, electricity price, spares, GPU types
                     a site may not receive, deliveries; GPUs on offer for the shortfall
  --model FILE       architecture from the model's config.json (layers, hidden, heads, ...)
  --workload FILE    tokens per day (input + output), input/output lengths, peak-to-average,
                     TTFT/TPOT SLOs, allowed precisions
  --demand FILE      instead of --model/--workload: a mix of model classes (each a model and a
                     workload with a share of the tokens), a 24-hour load profile, a deferrable
                     share that may fill the trough, monthly growth (configs/demands/)
  --grid FILE        axes to search: tp, pp, ep, dp, batch, chunk_tokens, precisions, draft
                     tokens, modes, sites, and per-pool sections "aggregated", "prefill",
                     "decode" (default: a built-in grid for dense or MoE models)
  --gpu-dir DIR      where GPU names in the cluster file are looked up
                     (default: ../gpus beside the cluster file, then the shipped configs)
  --calibration FILE fitted efficiency factors per GPU family and per engine
                     (default: calibration.json of the configs folder)
  --engine NAME      serving engine whose step-time factor applies: tensorrt-llm, vllm,
                     sglang, ... (default: the workload's "engine", else tensorrt-llm)

Overrides (instead of editing a file; the JSON output records them under inputs.overrides):
  --target RATE      tokens (input + output) to serve: 30T/day, 30e12/day, 347M/s, 1.2e9/h;
                     suffixes k M G B T, periods s min h day. With --demand it sets the
                     demand's total and the classes keep their shares
  --isl N            every prompt N tokens (a fixed length, replacing the distribution)
  --osl N            every answer N tokens (a fixed length)
  --ttft MS          time-to-first-token SLO, ms (at the workload's percentile)
  --tpot MS          time-per-output-token SLO, ms
  --gpu NAME         only the sites whose GPU type is NAME (h20, h200 for h200-sxm, ...),
                     and only GPUs of that type on offer
  --weights FORMAT   only this weight format: bf16 | fp8 | fp4 (FP4 needs Blackwell)
  --kv FORMAT        only this KV-cache format: bf16 | fp8
                     (--isl, --osl, --ttft, --tpot need --model/--workload)

Search:
  --objective NAME   cost (USD/day, default) | gpus (GPUs billed) | tokens-per-gpu
  --top N            how many ranked configurations to report (default 20)
  --backend NAME     auto (default: CUDA if a GPU is usable, else CPU) | cpu | cuda
  --threads N        CPU backend threads (default: all cores)
  --chunk N          configurations per pass on the CPU backend, between progress updates
                     and Ctrl-C checks; the CUDA backend sizes its passes to the GPU
                     (default 1048576)

Output:
  --format NAME      json (default) | table (80 columns) | csv (one row per ranked
                     configuration, units in the column names; with --demand one row per
                     assignment of the fleet, its share of the pool's spares, power and
                     cost, so columns sum to the fleet's totals) | md (GitHub Markdown)
  --wide             tables up to 100 columns, with every column (tokens/s per GPU, ...)
  --pareto           also trace the frontier of tokens/s per GPU against tokens/s per user:
                     the most tokens per GPU within the SLOs under a TPOT bound tightened by
                     0.75x per point (up to 10 points, one search each); table, md and json
  --out FILE         write to FILE instead of stdout: a regular file is replaced atomically
                     (mode and owner kept), a device, FIFO or socket written through; an
                     input file, a directory or the --html file is refused
  --html FILE        also write a report for people to FILE (atomically): one self-contained
                     HTML page with the inputs, the ranked table, the Pareto chart (tokens/s
                     per GPU vs per user), cost and power by site, load vs capacity by hour
  --quiet            no progress on stderr

Fleet solver (the allocation and capacity mixed-integer programs):
  --solver NAME      cbc (default: COIN-OR CBC, the faster on the shipped clusters) | glpk
  --mip-gap FRACTION stop each solve once its answer is proven within this fraction of the
                     optimum: 0.001 = 0.1% (default); 0 asks for a proof of optimality
  --time-limit S     seconds per solve, then report the best answer found with its proven gap
                     (default: none; at the default gap the shipped examples take seconds, and
                     an answer that depends on the machine's speed is not reproducible); "none"
                     also lifts it. The JSON's solver section gives the solver, its outcome
                     (optimal, feasible, infeasible, no_solution), objective, bound and gap

With --model/--workload it ranks every configuration (below) and adds the fleet; with
--demand it searches each class on each kind of hardware and reports the fleet. The fleet: the
best configurations of each class on each GPU type, node size and network the cluster has or is
offered, and the allocation across sites that meets every hour's demand at the least cost per
day within each site's GPUs and power cap (a mixed-integer program solved by CBC or GLPK to a
proven gap, 0.1% by default); per site GPUs used and free, nodes, MW, cost; cost per day, per month and per million
tokens (input and output); lease, on-demand, capital and energy; utilisation over the day. When
the cluster is not enough: the least-cost GPUs to add, by type and site. And the capacity: the
most demand the cluster carries, what binds, and the month growth runs it out.

What it computes, per configuration (aggregated serving, or disaggregated prefill and decode
pools): weights and KV cache per GPU (does the batch fit?), the time of one engine step (each
GEMM, attention, MoE expert and collective on its own roofline; TP all-reduces, EP dispatch and
combine with what the engine hides under them, the workload's moe_overlap: two-batch overlap
where it pays by default; overheads), TPOT and TTFT under continuous batching with
chunked prefill and optional speculative decoding, instances for the peak request rate, GPUs
and nodes, cost per day and per million tokens, and power. Configurations that fail a check are
counted by reason. Cluster capacity is reported, not a filter: when every configuration needs
more GPUs than the cluster has, the plan still ranks them and states the shortfall. The table
ends with why rank 1 wins: its binding constraint and the runner-up of a different structure.
When no configuration is feasible, the plan says, per GPU type, which check stopped the
configurations that got furthest and how close the closest came ("TPOT SLO 20 ms: no
configuration of llama-3.1-405b on h20 reaches below 25.8 ms"), in the table and in JSON under
"why_no_configuration"; the exit status is still 0 (the plan ran; its answer is no).

Examples:
  # 30 trillion tokens/day of Llama-3.1-70B chat on 20,000 leased H200s, as a table
  tokenplan plan --cluster configs/clusters/bytedance-h200-overseas.json \
      --model configs/models/llama-3.1-70b.json \
      --workload configs/workloads/chat-30tn.json --format table

  # the same, fewest GPUs first, top 5, JSON written atomically to plan.json
  tokenplan plan --cluster configs/clusters/bytedance-h200-overseas.json \
      --model configs/models/llama-3.1-70b.json \
      --workload configs/workloads/chat-30tn.json --objective gpus --top 5 --out plan.json

  # a model mix over a day on leased overseas H200 and domestic H20, as a report
  tokenplan plan --cluster bytedance-2026 --demand doubao-30tn --format table

  # the 30tn/day example as an HTML report with charts (open report.html in a browser)
  tokenplan plan --cluster bytedance-h200-overseas --model llama-3.1-70b \
      --workload chat-30tn --format table --html report.html

  # what if: 10 trillion tokens a day at a 30 ms TPOT, only on the H20s, with the frontier
  tokenplan plan --cluster bytedance-2026 --model llama-3.1-70b --workload chat-30tn \
      --target 10T/day --tpot 30 --gpu h20 --pareto --format table

  # 1,000-token prompts and 200-token answers at 347M tokens/s, ranked rows for a spreadsheet
  tokenplan plan --cluster bytedance-h200-overseas --model llama-3.1-8b \
      --workload chat-30tn --target 347M/s --isl 1000 --osl 200 --format csv > plan.csv

Exit status: 0 ok, also when no configuration is feasible (the output says why); 2 bad input
or usage (the message names the file and the JSON field, or the option); 1 runtime failure.
)";

const char* const capacity_help = R"(tokenplan capacity - how much the cluster as it is can serve

Usage:
  tokenplan capacity --cluster FILE --model FILE --workload FILE [options]
  tokenplan capacity --cluster FILE --demand FILE [options]

The inverse of plan: with the GPUs the cluster has now (no additions), the largest multiple of
the demand (its mix, its hourly profile, its SLOs) the sites can serve, solved exactly as a
mixed-integer program, and what binds it: the GPUs of a site, a site's power cap, or a class
with no configuration that meets its SLOs on any GPU there (with the check that ruled most out).
With monthly growth in the demand file, the month the cluster runs out, counting the GPU
deliveries the cluster file lists.

Options:
  --grid, --gpu-dir, --calibration, --engine, --backend, --threads, --chunk   as for plan
  --target, --isl, --osl, --ttft, --tpot, --gpu, --weights, --kv   overrides as for plan
                     (--target: the demand the multiple is of; --gpu: only the sites with
                     that GPU type)
  --solver, --mip-gap, --time-limit   the fleet solver, as for plan (the capacity is a
                     multiple proven within --mip-gap of the largest)
  --format NAME      json (default) | table (80 columns; --wide: 100) | md
  --out FILE         write to FILE atomically   --quiet   no progress on stderr

Examples:
  tokenplan capacity --cluster bytedance-2026 --demand doubao-30tn --format table

  # how much of a 30 ms TPOT chat service the overseas H200s alone can carry
  tokenplan capacity --cluster bytedance-h200-overseas --model llama-3.1-70b \
      --workload chat-30tn --tpot 30 --format md

Exit status: 0 ok; 2 bad input or usage; 1 runtime failure.
)";

/// The options plan and capacity share, parsed into a request.
struct common_args {
  plan_request req;
  std::string demand_path;
  config_roots roots;
  std::string format;
  mip_solver solver = default_mip_solver();
  double time_limit_s = mip_problem::inf;
  double mip_gap = 1e-3;
};

/// --solver, --time-limit, --mip-gap.
void parse_solver_options(const cxxopts::ParseResult& a, common_args& c) {
  if (a.count("solver")) {
    const std::string name = a["solver"].as<std::string>();
    if (!parse_mip_solver(name, &c.solver)) {
      throw usage_error("--solver: expected cbc or glpk, found \"" + name + "\"" + did_you_mean(name, {"cbc", "glpk"}));
    }
    if (!mip_solver_available(c.solver)) {
      throw usage_error("--solver: " + name + " is not in this build (built without it; see docs/install.md, Licences)");
    }
  }
  if (a.count("time-limit")) {
    const std::string text = a["time-limit"].as<std::string>();
    // A week per solve is beyond any use; past it the figure is more likely a typo.
    if (text != "none") c.time_limit_s = parse_positive(text, "--time-limit", 604800.0, false);
  }
  if (a.count("mip-gap")) {
    const std::string text = a["mip-gap"].as<std::string>();
    double v = std::nan("");
    const char* first = text.data();
    const char* last = first + text.size();
    const auto res = std::from_chars(first, last, v, std::chars_format::general);
    if (res.ec != std::errc() || res.ptr != last || !(v >= 0.0) || !(v < 1.0)) {
      throw usage_error("--mip-gap: expected a fraction from 0 to below 1 (0.001 = 0.1%), found \"" + text + "\"");
    }
    c.mip_gap = v;
  }
}

common_args parse_common(const cxxopts::ParseResult& a, std::ostream& err, const std::vector<std::string>& formats) {
  common_args c;
  plan_request& req = c.req;
  if (!a.count("cluster")) throw usage_error("missing --cluster FILE");
  const bool demand = a.count("demand") > 0;
  if (demand && (a.count("model") || a.count("workload") || a.count("grid"))) {
    throw usage_error("--demand names the models and workloads of its classes; drop --model/--workload/--grid");
  }
  if (!demand) {
    for (const char* r : {"model", "workload"}) {
      if (!a.count(r)) throw usage_error(std::string("missing --") + r + " FILE (or give --demand FILE)");
    }
  }
  // Each input is a path or a shipped name ("llama-3.1-70b"), resolved in the configs folders.
  req.cluster_path = resolve_config(default_roots(""), "clusters", a["cluster"].as<std::string>(), "--cluster");
  const config_roots named = default_roots(req.cluster_path);
  c.roots = named;
  if (demand) {
    c.demand_path = resolve_config(named, "demands", a["demand"].as<std::string>(), "--demand");
  } else {
    req.model_path = resolve_config(named, "models", a["model"].as<std::string>(), "--model");
    req.workload_path = resolve_config(named, "workloads", a["workload"].as<std::string>(), "--workload");
    if (a.count("grid")) req.grid_path = resolve_config(named, "grids", a["grid"].as<std::string>(), "--grid");
  }
  if (a.count("gpu-dir")) {
    req.gpu_dirs = {a["gpu-dir"].as<std::string>()};
    std::error_code ec;
    if (!fs::is_directory(req.gpu_dirs[0], ec)) throw usage_error("--gpu-dir: \"" + req.gpu_dirs[0] + "\" is not a directory");
  } else {
    req.gpu_dirs = named.dirs("gpus");
  }
  req.calibration_path = calibration_path(a, named);
  req.overrides = parse_input_overrides(a, demand);
  if (a.count("engine")) req.engine = a["engine"].as<std::string>();
  req.threads = static_cast<int>(count_option(a, "threads", 0, 4096));
  req.chunk_configs = count_option(a, "chunk", 1, 1ull << 30);
  req.backend = a["backend"].as<std::string>();
  if (req.backend != "auto" && req.backend != "cpu" && req.backend != "cuda") {
    throw usage_error("--backend: expected auto, cpu or cuda, found \"" + req.backend + "\"" +
                      did_you_mean(req.backend, {"auto", "cpu", "cuda"}));
  }
  c.format = a["format"].as<std::string>();
  if (std::find(formats.begin(), formats.end(), c.format) == formats.end()) {
    std::string list;
    for (std::size_t i = 0; i < formats.size(); ++i) list += (i ? (i + 1 == formats.size() ? " or " : ", ") : "") + formats[i];
    throw usage_error("--format: expected " + list + ", found \"" + c.format + "\"" + did_you_mean(c.format, formats));
  }
  // A progress bar only for a person watching: not under --quiet, not into a pipe or file.
  parse_solver_options(a, c);
  if (!a.count("quiet") && ::isatty(STDERR_FILENO)) req.progress = make_progress_bar(err);
  set_table_width(a.count("wide") ? 100 : 80);
  // An output that cannot be written is found now, not after a long search.
  if (a.count("out")) check_output_path(a["out"].as<std::string>(), "--out");
  return c;
}

/// The fleet run of the parsed options (the plan request as its base).
fleet_request fleet_request_of(const common_args& c) {
  fleet_request fr;
  fr.base = c.req;
  fr.demand_path = c.demand_path;
  fr.roots = c.roots;
  fr.solver = c.solver;
  fr.time_limit_s = c.time_limit_s;
  fr.mip_gap = c.mip_gap;
  return fr;
}

void add_common_options(cxxopts::Options& opts) {
  opts.add_options()("cluster", "", cxxopts::value<std::string>())("model", "", cxxopts::value<std::string>())(
      "workload", "", cxxopts::value<std::string>())("demand", "", cxxopts::value<std::string>())(
      "grid", "", cxxopts::value<std::string>())("gpu-dir", "", cxxopts::value<std::string>())(
      "calibration", "", cxxopts::value<std::string>())("engine", "", cxxopts::value<std::string>())(
      "backend", "", cxxopts::value<std::string>()->default_value("auto"))(
      "threads", "", cxxopts::value<std::string>()->default_value("0"))(
      "chunk", "", cxxopts::value<std::string>()->default_value("1048576"))(
      "format", "", cxxopts::value<std::string>()->default_value("json"))("out", "", cxxopts::value<std::string>())(
      "quiet", "")("wide", "")("h,help", "");
  opts.add_options()("target", "", cxxopts::value<std::string>())("isl", "", cxxopts::value<std::string>())(
      "osl", "", cxxopts::value<std::string>())("ttft", "", cxxopts::value<std::string>())(
      "tpot", "", cxxopts::value<std::string>())("gpu", "", cxxopts::value<std::string>())(
      "weights", "", cxxopts::value<std::string>())("kv", "", cxxopts::value<std::string>());
  opts.add_options()("solver", "", cxxopts::value<std::string>())("time-limit", "", cxxopts::value<std::string>())(
      "mip-gap", "", cxxopts::value<std::string>());
}

const std::vector<std::string> common_option_names = {"cluster", "model", "workload", "demand", "grid", "gpu-dir",
                                                      "calibration", "engine", "backend", "threads", "chunk",
                                                      "format", "out", "quiet", "help", "target", "isl",
                                                      "osl", "ttft", "tpot", "gpu", "weights", "kv", "wide",
                                                      "solver", "time-limit", "mip-gap"};

/// Writes a command's answer: to --out (and its --html report beside it, staged and committed
/// together: one that cannot be written stops both), or to `out`. Nothing is written once a
/// signal came.
void emit(const cxxopts::ParseResult& a, std::ostream& out, const std::string& text, const interrupt_guard& guard,
          const std::string& html_path = "", const std::string& html = "") {
  guard.check("before the output was written");
  output_set files;
  if (!html_path.empty()) files.add(html_path, html, "--html");
  if (a.count("out")) files.add(a["out"].as<std::string>(), text, "--out");
  files.commit();
  if (!a.count("out")) write_stdout(out, text);
}

}  // namespace

int cmd_plan(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  cxxopts::Options opts("tokenplan plan", "");
  add_common_options(opts);
  opts.add_options()("objective", "", cxxopts::value<std::string>()->default_value("cost"))(
      "top", "", cxxopts::value<std::string>()->default_value("20"))("pareto", "")(
      "html", "", cxxopts::value<std::string>());
  std::vector<std::string> names = common_option_names;
  names.push_back("objective");
  names.push_back("top");
  names.push_back("pareto");
  names.push_back("html");
  cxxopts::ParseResult a;
  if (!parse_command(opts, argc, argv, names, plan_help, out, a)) return 0;
  common_args c = parse_common(a, err, {"json", "table", "csv", "md"});
  plan_request& req = c.req;
  if (a.count("pareto")) {
    if (!c.demand_path.empty()) throw usage_error("--pareto traces one model's frontier: give --model/--workload, not --demand");
    if (c.format == "csv") throw usage_error("--pareto: csv holds the ranked configurations only; use --format table, md or json");
    // Ten points at 0.75x the TPOT each span 13x in tokens/s per user.
    req.pareto_points = 10;
  }
  std::string goal = a["objective"].as<std::string>();
  if (!parse_objective(goal, &req.goal)) {
    throw usage_error("--objective: expected cost, gpus or tokens-per-gpu, found \"" + goal + "\"" +
                      did_you_mean(goal, {"cost", "gpus", "tokens-per-gpu"}));
  }
  req.top_n = count_option(a, "top", 1, 100000);
  const std::string html_path = a.count("html") ? a["html"].as<std::string>() : "";
  if (a.count("html") && html_path.empty()) throw usage_error("--html: expected a file name");
  if (!html_path.empty()) check_output_path(html_path, "--html");
  if (!html_path.empty() && a.count("out") &&
      fs::path(html_path).lexically_normal() == fs::path(a["out"].as<std::string>()).lexically_normal()) {
    throw usage_error("--html and --out name the same file \"" + html_path + "\"");
  }

  interrupt_guard guard;
  req.cancel = guard.flag();
  const fleet_request fr = fleet_request_of(c);
  if (!c.demand_path.empty()) {
    fleet_result f = run_fleet(fr);
    guard.check("after the fleet allocation");
    const std::string html = html_path.empty() ? std::string() : fleet_to_html(f);
    guard.check("while writing the report");
    emit(a, out,
         c.format == "json"  ? fleet_plan_json_text(f)
         : c.format == "csv" ? fleet_to_csv(f)
         : c.format == "md"  ? fleet_to_markdown(f)
                             : fleet_table(f),
         guard, html_path, html);
    return 0;
  }
  plan_result r = run_plan(req);
  guard.check("after the search");
  fleet_result f = run_fleet(fr);
  guard.check("after the fleet allocation");
  const std::string html = html_path.empty() ? std::string() : plan_to_html(r, f);
  guard.check("while writing the report");
  std::string text = c.format == "json"  ? plan_to_json(r, &f)
                     : c.format == "csv" ? plan_to_csv(r)
                     : c.format == "md"  ? plan_to_markdown(r, f)
                                         : plan_to_table(r) + "\n" + fleet_table(f);
  emit(a, out, text, guard, html_path, html);
  // A CSV has no room for prose: say on stderr why it holds no rows.
  if (c.format == "csv" && r.top.empty()) err << infeasible_text(r.no_feasible);
  return 0;
}

int cmd_capacity(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  cxxopts::Options opts("tokenplan capacity", "");
  add_common_options(opts);
  cxxopts::ParseResult a;
  if (!parse_command(opts, argc, argv, common_option_names, capacity_help, out, a)) return 0;
  common_args c = parse_common(a, err, {"json", "table", "md"});
  interrupt_guard guard;
  c.req.cancel = guard.flag();
  fleet_result f = run_fleet(fleet_request_of(c));
  guard.check("after the fleet allocation");
  emit(a, out, c.format == "json" ? capacity_json_text(f) : c.format == "md" ? capacity_to_markdown(f) : capacity_table(f),
       guard);
  return 0;
}

}  // namespace tokenplan
