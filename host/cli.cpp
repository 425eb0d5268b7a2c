// Command-line parsing and dispatch. Errors become one clear line on stderr and an exit code.
#include "cli.hpp"

#include <unistd.h>

#include <cxxopts.hpp>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "atomic_file.hpp"
#include "errors.hpp"
#include "cli_support.hpp"
#include "commands.hpp"
#include "loaders.hpp"
#include "plan.hpp"
#include "text.hpp"

#ifndef TOKENPLAN_VERSION
#define TOKENPLAN_VERSION "0.0.0-dev"
#endif
#ifndef TOKENPLAN_SOURCE_CONFIG_DIR
#define TOKENPLAN_SOURCE_CONFIG_DIR ""
#endif

namespace tokenplan {

namespace fs = std::filesystem;

namespace {

const char* const top_help = R"(tokenplan )" TOKENPLAN_VERSION R"( - GPU capacity planning for LLM serving

How many GPUs of which kind, at which site, serving a model in which configuration, at what
cost and power, to serve N tokens a day within latency SLOs?

Usage:
  tokenplan plan --cluster FILE --model FILE --workload FILE [options]
  tokenplan explain --model M --workload W --gpu G --config JSON [options]
  tokenplan validate FILE... [options]
  tokenplan calibrate FILE... [--out FILE]
  tokenplan version
  tokenplan help [plan|explain|validate|calibrate]

Commands:
  plan      search every serving configuration (site/GPU, TP, PP, EP, attention DP, batch,
            chunk, precisions, speculation, aggregated or disaggregated), rank those that meet
            the SLOs, and size the fleet for the daily-token target
  explain   one configuration's full breakdown: memory by part, step time by component and
            the roofline bound of each, TPOT, TTFT, throughput
  validate  predicted vs measured on published measurements, with leave-one-out errors
  calibrate fit the factors per GPU family and per engine to published measurements
  version   print the version
  help      show this text, or a command's options

Run 'tokenplan plan --help' for the options and worked examples.
)";

const char* const plan_help = R"(tokenplan plan - rank serving configurations for a daily-token target

Usage:
  tokenplan plan --cluster FILE --model FILE --workload FILE [options]

Inputs (JSON; every value carries its source in the file):
  --cluster FILE     sites: GPU type and count, GPUs per node, lease price per GPU-hour,
                     whether it includes power, electricity price, PUE
  --model FILE       architecture from the model's config.json (layers, hidden, heads, ...)
  --workload FILE    tokens per day (input + output), mean input/output length,
                     peak-to-average, TTFT/TPOT SLOs, allowed precisions
  --grid FILE        axes to search: tp, pp, ep, dp, batch, chunk_tokens, precisions, draft
                     tokens, modes, sites, and per-pool sections "aggregated", "prefill",
                     "decode" (default: a built-in grid for dense or MoE models)
  --gpu-dir DIR      where GPU names in the cluster file are looked up
                     (default: ../gpus beside the cluster file, then the shipped configs)
  --calibration FILE fitted efficiency factors per GPU family and per engine
                     (default: calibration.json of the configs folder)
  --engine NAME      serving engine whose step-time factor applies: tensorrt-llm, vllm,
                     sglang, ... (default: the workload's "engine", else tensorrt-llm)

Search:
  --objective NAME   cost (USD/day, default) | gpus (GPUs billed) | tokens-per-gpu
  --top N            how many ranked configurations to report (default 20)
  --backend NAME     auto (default: CUDA if a GPU is usable, else CPU) | cpu | cuda
  --threads N        CPU backend threads (default: all cores)
  --chunk N          configurations evaluated per pass; bounds memory (default 1048576)

Output:
  --format NAME      json (default) | table
  --out FILE         write to FILE atomically (temp file + rename) instead of stdout
  --quiet            no progress on stderr

What it computes, per configuration (aggregated serving, or disaggregated prefill and decode
pools): weights and KV cache per GPU (does the batch fit?), the time of one engine step (each
GEMM, attention, MoE expert and collective on its own roofline; TP all-reduces, EP dispatch and
combine with two-batch overlap; overheads), TPOT and TTFT under continuous batching with
chunked prefill and optional speculative decoding, instances for the peak request rate, GPUs
and nodes, cost per day and per million tokens, and power. Configurations that fail a check are
counted by reason. Cluster capacity is reported, not a filter: when every configuration needs
more GPUs than the cluster has, the plan still ranks them and states the shortfall. The table
ends with why rank 1 wins: its binding constraint and the runner-up of a different structure.

Examples:
  # 30 trillion tokens/day of Llama-3.1-70B chat on 20,000 leased H200s, as a table
  tokenplan plan --cluster configs/clusters/bytedance-h200-overseas.json \
      --model configs/models/llama-3.1-70b.json \
      --workload configs/workloads/chat-30tn.json --format table

  # the same, fewest GPUs first, top 5, JSON written atomically to plan.json
  tokenplan plan --cluster configs/clusters/bytedance-h200-overseas.json \
      --model configs/models/llama-3.1-70b.json \
      --workload configs/workloads/chat-30tn.json --objective gpus --top 5 --out plan.json

Exit status: 0 ok; 2 bad input or usage (the message names the file and the JSON field);
1 runtime failure.
)";

}  // namespace

int cmd_plan(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  cxxopts::Options opts("tokenplan plan", "");
  opts.add_options()("cluster", "", cxxopts::value<std::string>())("model", "", cxxopts::value<std::string>())(
      "workload", "", cxxopts::value<std::string>())("grid", "", cxxopts::value<std::string>())(
      "gpu-dir", "", cxxopts::value<std::string>())("calibration", "", cxxopts::value<std::string>())(
      "engine", "", cxxopts::value<std::string>())("objective", "", cxxopts::value<std::string>()->default_value("cost"))(
      "top", "", cxxopts::value<std::string>()->default_value("20"))(
      "backend", "", cxxopts::value<std::string>()->default_value("auto"))(
      "threads", "", cxxopts::value<std::string>()->default_value("0"))(
      "chunk", "", cxxopts::value<std::string>()->default_value("1048576"))(
      "format", "", cxxopts::value<std::string>()->default_value("json"))("out", "", cxxopts::value<std::string>())(
      "quiet", "")("h,help", "");
  check_option_names(argc, argv,
                     {"cluster", "model", "workload", "grid", "gpu-dir", "calibration", "engine", "objective", "top",
                      "backend", "threads", "chunk", "format", "out", "quiet", "help"});
  cxxopts::ParseResult a;
  try {
    a = opts.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    throw usage_error(e.what());
  }
  if (a.count("help")) {
    out << plan_help;
    return 0;
  }
  if (!a.unmatched().empty()) throw usage_error("unexpected argument '" + a.unmatched().front() + "'");
  for (const char* req : {"cluster", "model", "workload"}) {
    if (!a.count(req)) throw usage_error(std::string("missing --") + req + " FILE");
  }
  plan_request req;
  // Each input is a path or a shipped name ("llama-3.1-70b"), resolved in the configs folders.
  req.cluster_path = resolve_config(default_roots(""), "clusters", a["cluster"].as<std::string>(), "--cluster");
  const config_roots named = default_roots(req.cluster_path);
  req.model_path = resolve_config(named, "models", a["model"].as<std::string>(), "--model");
  req.workload_path = resolve_config(named, "workloads", a["workload"].as<std::string>(), "--workload");
  if (a.count("grid")) req.grid_path = resolve_config(named, "grids", a["grid"].as<std::string>(), "--grid");
  const config_roots roots = default_roots(req.cluster_path);
  if (a.count("gpu-dir")) {
    req.gpu_dirs = {a["gpu-dir"].as<std::string>()};
    std::error_code ec;
    if (!fs::is_directory(req.gpu_dirs[0], ec)) throw usage_error("--gpu-dir: \"" + req.gpu_dirs[0] + "\" is not a directory");
  } else {
    req.gpu_dirs = roots.dirs("gpus");
  }
  req.calibration_path = calibration_path(a, roots);
  if (a.count("engine")) req.engine = a["engine"].as<std::string>();
  std::string goal = a["objective"].as<std::string>();
  if (!parse_objective(goal, &req.goal)) {
    throw usage_error("--objective: expected cost, gpus or tokens-per-gpu, found \"" + goal + "\"" +
                      did_you_mean(goal, {"cost", "gpus", "tokens-per-gpu"}));
  }
  req.top_n = count_option(a, "top", 1, 100000);
  req.threads = static_cast<int>(count_option(a, "threads", 0, 4096));
  req.chunk_configs = count_option(a, "chunk", 1, 1ull << 30);
  req.backend = a["backend"].as<std::string>();
  if (req.backend != "auto" && req.backend != "cpu" && req.backend != "cuda") {
    throw usage_error("--backend: expected auto, cpu or cuda, found \"" + req.backend + "\"" +
                      did_you_mean(req.backend, {"auto", "cpu", "cuda"}));
  }
  std::string format = a["format"].as<std::string>();
  if (format != "json" && format != "table") {
    throw usage_error("--format: expected json or table, found \"" + format + "\"" + did_you_mean(format, {"json", "table"}));
  }
  const bool show_progress = !a.count("quiet") && ::isatty(STDERR_FILENO);
  if (show_progress) {
    req.progress = [&err](std::uint64_t done, std::uint64_t total) {
      err << "\rsearching: " << (100 * done / (total ? total : 1)) << "% (" << done << " of " << total
          << " configurations)" << (done == total ? "\n" : "") << std::flush;
    };
  }

  plan_result r = run_plan(req);
  std::string text = format == "json" ? plan_to_json(r) : plan_to_table(r);
  if (a.count("out")) {
    write_file_atomic(a["out"].as<std::string>(), text);
  } else {
    out << text << std::flush;
  }
  return 0;
}


int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd.empty() || cmd == "help" || cmd == "--help" || cmd == "-h") {
      if (argc > 2 && std::string(argv[2]) == "plan") {
        out << plan_help;
      } else if (argc > 2 && (std::string(argv[2]) == "explain" || std::string(argv[2]) == "validate" ||
                              std::string(argv[2]) == "calibrate")) {
        const std::string sub = argv[2];
        const char* args[] = {argv[2], "--help"};
        if (sub == "explain") return cmd_explain(2, args, out, err);
        if (sub == "validate") return cmd_validate(2, args, out, err);
        return cmd_calibrate(2, args, out, err);
      } else if (argc > 2) {
        throw usage_error("no help for '" + std::string(argv[2]) + "'; commands: plan, version");
      } else {
        out << top_help;
      }
      return cmd.empty() ? 2 : 0;
    }
    if (cmd == "version" || cmd == "--version") {
      out << "tokenplan " << TOKENPLAN_VERSION << "\n";
      return 0;
    }
    if (cmd == "plan") return cmd_plan(argc - 1, argv + 1, out, err);
    if (cmd == "explain") return cmd_explain(argc - 1, argv + 1, out, err);
    if (cmd == "validate") return cmd_validate(argc - 1, argv + 1, out, err);
    if (cmd == "calibrate") return cmd_calibrate(argc - 1, argv + 1, out, err);
    throw usage_error("unknown command '" + cmd + "'" +
                      did_you_mean(cmd, {"plan", "explain", "validate", "calibrate", "version", "help"}) +
                      "; run 'tokenplan help'");
  } catch (const config_error& e) {
    err << "error: " << e.what() << "\n";
    return 2;
  } catch (const usage_error& e) {
    err << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    err << "error: out of memory; lower --chunk or the grid size\n";
    return 1;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace tokenplan
