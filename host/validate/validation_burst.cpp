// An open burst's prediction (kind "burst": a fixed number of prompts submitted at once, timed to
// the last answer): the configuration the search chose, its decode-only cycle at a ladder of
// batches and its full-chunk prefill step, through burst_makespan (include/tokenplan/burst.hpp).
#include "validate/validation.hpp"

#include <algorithm>

#include "tokenplan/burst.hpp"

namespace tokenplan {

/// Phi^-1(q) by bisection on queueing::normal_cdf (|z| <= 8; ample for a burst's 1 - 1/(N+1)).
double normal_quantile(double q) {
  double lo = -8.0, hi = 8.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (queueing::normal_cdf(mid) < q ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

/// An open burst's throughput in the point's metric over `instances` instances of `best` (a full
/// evaluation): the requests split evenly, each instance's makespan from burst_makespan with the
/// decode-only cycle at batches 1, 2, 4, ... up to the configuration's and the cost of a step that
/// carries a full chunk of prompt tokens (the same configuration at one sequence per rank, its
/// tail prompt at least the chunk so that the step's slope is a full chunk's).
double burst_value(const problem& p, const validation_point& vp, const evaluation& best, double instances,
                   double output_sigma) {
  const serving_config& cfg = best.cfg;
  burst_cycles cyc{};
  for (std::uint32_t b = 1;; b *= 2) {
    const std::uint32_t at = std::min(b, cfg.main.batch);
    serving_config c = cfg;
    c.main.batch = at;
    cyc.batch[cyc.n] = at;
    cyc.cycle_s[cyc.n] = evaluate_config(p, c, eval_full).m.main.cycle_decode_s;
    ++cyc.n;
    if (at == cfg.main.batch || cyc.n == burst_cycles::max_points) break;
  }
  problem fill = p;
  fill.workload.input_tail = std::max(p.workload.input_tail, double(cfg.main.chunk));
  serving_config one = cfg;
  one.main.batch = 1;
  const pool_metrics f = evaluate_config(fill, one, eval_full).m.main;
  const double dp = cfg.main.lay.dp;
  const detail::request_terms q = detail::make_request_terms(p.model, p.workload, p.sites[cfg.site], cfg);
  burst_shape s{};
  s.requests = vp.requests / instances;
  s.slots = double(cfg.main.batch) * dp;
  s.dp = dp;
  s.chunk = f.chunk_tokens;
  s.prompt_tokens = q.isl_new;
  s.output_mean = q.osl;
  s.output_sigma = output_sigma;
  s.output_max = vp.output_max;
  s.tokens_per_step = q.tau;
  const double t = burst_makespan(s, cyc, f.prefill_s_per_token);
  const double per_token = vp.metric == "output_tokens_per_s" ? q.osl
                           : vp.metric == "input_tokens_per_s" ? q.isl
                           : vp.metric == "total_tokens_per_s" ? q.isl + q.osl : 1.0;
  return vp.requests * per_token / t;
}

}  // namespace tokenplan
