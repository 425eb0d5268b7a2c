// The throughput/interactivity frontier: repeated searches for the most tokens per GPU under a
// tightening TPOT bound, and its renderings.
#include "search/pareto.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "base/errors.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"

namespace tokenplan {

double tokens_per_s_per_user(const evaluation& e) { return e.m.tpot_s > 0.0 ? 1.0 / e.m.tpot_s : 0.0; }

std::vector<pareto_point> trace_pareto(const problem& p, backend& be, const search_options& base, std::size_t points,
                                       double step) {
  std::vector<pareto_point> out;
  auto q = std::make_unique<problem>(p);
  q->goal = objective_tokens_per_gpu;
  search_options opt = base;
  opt.top_n = 1;
  double bound = p.workload.tpot_slo_s;
  for (std::size_t k = 0; k < points; ++k) {
    q->workload.tpot_slo_s = bound;
    search_result s = be.search(*q, opt);
    if (s.stats.interrupted) throw interrupted_error("interrupted while tracing the Pareto frontier; nothing written");
    if (s.top.empty()) break;
    pareto_point pt;
    pt.tpot_bound_s = bound;
    pt.eval = be.evaluate(*q, {s.top.front().index}).front();
    // Costs and the fleet as the plan prices them (the same problem but for the TPOT bound).
    out.push_back(pt);
    bound = pt.eval.m.tpot_s * step;
  }
  // A tie on tokens per GPU may leave a point that a faster one dominates.
  std::vector<pareto_point> kept;
  for (const pareto_point& a : out) {
    bool dominated = false;
    for (const pareto_point& b : out) {
      if (&a == &b) continue;
      const bool no_worse = b.eval.m.tokens_per_s_per_gpu >= a.eval.m.tokens_per_s_per_gpu && b.eval.m.tpot_s <= a.eval.m.tpot_s;
      const bool better = b.eval.m.tokens_per_s_per_gpu > a.eval.m.tokens_per_s_per_gpu || b.eval.m.tpot_s < a.eval.m.tpot_s;
      dominated = dominated || (no_worse && better);
    }
    if (!dominated) kept.push_back(a);
  }
  return kept;
}

std::string pareto_table(const plan_result& r) {
  std::string o;
  if (r.pareto.empty()) {
    return "pareto: no configuration meets the SLOs, so there is no frontier\n";
  }
  char line[256];
  std::snprintf(line, sizeof line, "pareto: tokens/s per GPU vs tokens/s per user (%zu points, searched in %.2f s)",
                r.pareto.size(), r.pareto_elapsed_s);
  o += wrap(line);
  o += wrap("each row: the most tokens/s per GPU (at the planned load) of any configuration within the SLOs "
            "and a TPOT bound 0.75x the row above's TPOT; tok/s/user = 1000 / TPOT ms");
  const int width = wide_tables() ? 28 : 9;  // the bar: 80 columns leave it 9 characters
  std::snprintf(line, sizeof line, "%10s %6s %9s %-*s %-18s %5s %-8s %s\n", "tok/s/user", "tpot", "tok/s/GPU", width,
                "", "layout (pre|dec)", "batch", "w/kv", "gpu");
  o += line;
  double top = 0.0;
  for (const pareto_point& p : r.pareto) top = std::max(top, p.eval.m.tokens_per_s_per_gpu);
  for (const pareto_point& p : r.pareto) {
    const evaluation& e = p.eval;
    const int n = top > 0.0 ? std::max(1, static_cast<int>(width * e.m.tokens_per_s_per_gpu / top + 0.5)) : 0;
    const std::string bar = std::string(static_cast<std::size_t>(n), '#');
    std::string code = e.cfg.mode == mode_disaggregated ? layout_code(e.cfg.prefill.lay) + "|" + layout_code(e.cfg.main.lay)
                                                        : layout_code(e.cfg.main.lay);
    if (e.cfg.draft) code += "+s" + std::to_string(e.cfg.draft);
    const std::string prec = std::string(precision_name(e.cfg.wprec)) + "/" + precision_name(e.cfg.kvprec);
    std::snprintf(line, sizeof line, "%10.1f %6.1f %9.0f %-*s %-18.18s %5u %-8s %.8s\n", tokens_per_s_per_user(e),
                  e.m.tpot_s * 1e3, e.m.tokens_per_s_per_gpu, width, bar.c_str(), code.c_str(), e.cfg.main.batch, prec.c_str(),
                  r.inputs.cluster.sites[e.cfg.site].gpu.c_str());
    o += line;
  }
  return o;
}

nlohmann::ordered_json pareto_json(const plan_result& r) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const pareto_point& p : r.pareto) {
    const evaluation& e = p.eval;
    nlohmann::ordered_json j;
    j["tpot_bound_ms"] = p.tpot_bound_s * 1e3;
    j["tokens_per_s_per_user"] = tokens_per_s_per_user(e);
    j["tpot_ms"] = e.m.tpot_s * 1e3;
    j["ttft_ms"] = e.m.ttft_s * 1e3;
    j["tokens_per_s_per_gpu"] = e.m.tokens_per_s_per_gpu;
    j["gpus_billed"] = as_count(e.m.gpus_billed);
    j["cost_usd_per_day"] = e.m.cost_usd_per_day;
    j["usd_per_million_tokens"] = e.m.usd_per_million_tokens;
    j["config"] = config_json(r.inputs, e.cfg);
    arr.push_back(j);
  }
  return arr;
}

}  // namespace tokenplan
