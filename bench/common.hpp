// Benchmark scenarios shared by the CPU and GPU benchmarks: the shipped 30tn/day example and a
// larger synthetic grid over the same inputs.
#pragma once

#include <memory>
#include <string>

#include "io/loaders.hpp"
#include "search/problem_builder.hpp"

namespace tokenplan::bench {

inline std::string config_path(const std::string& rel) { return std::string(TOKENPLAN_SOURCE_DIR) + "/configs/" + rel; }

/// The README's example: Llama-3.1-70B, chat-30tn, 20,000 H200 at three sites, built-in grid.
inline plan_inputs example_inputs() {
  plan_inputs in;
  in.cal = load_calibration(config_path("calibration.json"));
  in.model = load_model(config_path("models/llama-3.1-70b.json"));
  in.workload = load_workload(config_path("workloads/chat-30tn.json"));
  in.cluster = load_cluster(config_path("clusters/bytedance-h200-overseas.json"), {config_path("gpus")}, in.cal);
  in.grid = default_grid(in.model.spec);
  in.engine = in.cal.reference_engine;
  return in;
}

/// The example's problem with a denser aggregated grid: TP up to 16, PP up to 8, 32 chunk
/// budgets, 1,000+ batch sizes (about 1.7e7 configurations), no disaggregation.
inline std::unique_ptr<problem> large_problem() {
  plan_inputs in = example_inputs();
  in.grid.disaggregated = false;
  in.grid.agg.tp = {1, 2, 4, 8, 16};
  in.grid.agg.pp = {1, 2, 3, 4, 5, 6, 7, 8};
  in.grid.agg.chunk.clear();
  for (std::uint32_t c = 256; in.grid.agg.chunk.size() < 32; c += 512) in.grid.agg.chunk.push_back(c);
  in.grid.agg.batch = batch_ladder(1, 4096, 128);
  return build_problem(in);
}

/// Inputs of a named benchmark scenario: the shipped example's files with a grid file from
/// bench/grids/ (see bench/RESULTS.md for each grid's size and what it spans).
inline plan_inputs grid_inputs(const std::string& model, const std::string& workload, const std::string& cluster,
                               const std::string& grid_file) {
  plan_inputs in;
  in.cal = load_calibration(config_path("calibration.json"));
  in.model = load_model(config_path("models/" + model + ".json"));
  in.workload = load_workload(config_path("workloads/" + workload + ".json"));
  in.cluster = load_cluster(config_path("clusters/" + cluster + ".json"), {config_path("gpus")}, in.cal);
  in.grid = load_grid(std::string(TOKENPLAN_SOURCE_DIR) + "/bench/grids/" + grid_file, in.model.spec);
  in.engine = in.cal.reference_engine;
  return in;
}

/// The three benchmark grids of issue 5 and a ladder of sizes for the memory-scaling runs.
///   example  the README's example, built-in grid (4.0e5)
///   dense    Llama-3.1-70B, 3 H200 sites, bench/grids/dense-1e8.json
///   moe      DeepSeek-V3, 3 H200 sites, wide-EP disaggregation, bench/grids/moe-disagg-1e9.json
///   giant    DeepSeek-V3, 4 sites (H200 + H20), bench/grids/giant-1e10.json
///   scale-6 .. scale-10  the giant grid trimmed to about 10^6 .. 10^10 configurations
///   scale-11 the giant grid widened to 1.1e11: draft lengths 0-31, prefill chunks 1024-65536 at
///            three per octave
/// Returns null for an unknown name.
inline std::unique_ptr<problem> scenario(const std::string& name) {
  if (name == "example") return build_problem(example_inputs());
  if (name == "large") return large_problem();
  if (name == "dense") return build_problem(grid_inputs("llama-3.1-70b", "chat-30tn", "bytedance-h200-overseas", "dense-1e8.json"));
  if (name == "moe") return build_problem(grid_inputs("deepseek-v3", "chat-30tn", "bytedance-h200-overseas", "moe-disagg-1e9.json"));
  if (name.rfind("scale-", 0) == 0 || name == "giant") {
    plan_inputs in = grid_inputs("deepseek-v3", "chat-30tn", "bytedance-2026", "giant-1e10.json");
    grid_request& g = in.grid;
    // Trimmed copies of the giant grid, each about ten times the last: fewer draft lengths,
    // formats, prefill layouts and decode batch sizes, the same kind of search.
    if (name == "scale-6") {
      g.draft_tokens = {0};
      g.weight_precisions = {prec_fp8};
      g.kv_precisions = {prec_fp8};
      g.prefill.chunk = {8192};
      g.decode.batch = batch_ladder(8, 4096, 2);
    } else if (name == "scale-7") {
      g.draft_tokens = {0};
      g.weight_precisions = {prec_fp8};
      g.kv_precisions = {prec_fp8};
      g.prefill.chunk = {8192};
      g.decode.batch = batch_ladder(8, 4096, 16);
    } else if (name == "scale-8") {
      g.draft_tokens = {0};
      g.weight_precisions = {prec_fp8};
      g.prefill.chunk = {4096, 8192, 16384};
      g.decode.batch = batch_ladder(8, 4096, 40);
    } else if (name == "scale-9") {
      g.draft_tokens = {0, 1};
      g.prefill.chunk = {4096, 8192, 16384};
    } else if (name == "scale-11") {
      g.draft_tokens.clear();
      for (std::uint32_t d = 0; d < 32; ++d) g.draft_tokens.push_back(d);
      g.prefill.chunk = batch_ladder(1024, 65536, 3);
    } else if (name != "scale-10" && name != "giant") {
      return nullptr;
    }
    return build_problem(in);
  }
  return nullptr;
}

}  // namespace tokenplan::bench
