// Plan orchestration: files -> problem -> backend search -> full evaluation of the winners.
#include "plan.hpp"

#include <chrono>

#include "loaders.hpp"

namespace tokenplan {

plan_inputs load_plan_inputs(const plan_request& req) {
  plan_inputs in;
  in.model = load_model(req.model_path);
  in.workload = load_workload(req.workload_path);
  in.cluster = load_cluster(req.cluster_path, req.gpu_dirs);
  in.grid = req.grid_path.empty() ? default_grid() : load_grid(req.grid_path);
  in.goal = req.goal;
  return in;
}

plan_result run_plan(const plan_request& req) {
  const auto start = std::chrono::steady_clock::now();
  plan_result r;
  r.inputs = load_plan_inputs(req);
  r.prob = build_problem(r.inputs);
  std::unique_ptr<backend> be = select_backend(req.backend, req.threads, &r.backend_note);
  r.backend_name = be->name();
  r.backend_device = be->device();
  search_options opt;
  opt.top_n = req.top_n;
  opt.threads = req.threads;
  opt.chunk_configs = req.chunk_configs;
  opt.progress = req.progress;
  search_result s = be->search(*r.prob, opt);
  r.stats = s.stats;
  std::vector<std::uint64_t> idx;
  for (const ranked& x : s.top) idx.push_back(x.index);
  r.top = be->evaluate(*r.prob, idx);
  r.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace tokenplan
