// Benchmark scenarios shared by the CPU and GPU benchmarks: the shipped 30tn/day example and a
// larger synthetic grid over the same inputs.
#pragma once

#include <memory>
#include <string>

#include "loaders.hpp"
#include "problem_builder.hpp"

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

}  // namespace tokenplan::bench
