// A prediction at a stated request rate (kind "request_rate": Poisson arrivals, as vllm bench
// serve --request-rate and SGLang bench_serving --request-rate send them): the sequences in flight
// by Little's law, the configuration evaluated at that occupancy, its latency there.
#include "validate/validation.hpp"

#include <algorithm>
#include <cmath>

#include "tokenplan/model.hpp"

namespace tokenplan {

/// Occupancy by Little's law: each rank holds rate x hold sequences, a request's hold (its
/// prefill and its answer's cycles: pool_metrics::queue_hold_s) taken at that occupancy. Damped
/// iteration on the batch from the chosen configuration's (the engine's cap on sequences in flight,
/// which it admits up to), at most 40 passes, until the batch moves less than half a sequence; the
/// batch is the whole number at or above it. That batch is the slots, run at the utilisation `u`
/// the rate makes of their capacity (at most 0.999: a rate beyond the cap's capacity queues), the
/// engine's cap spreading the slot queue (admission_slots). Returns the full evaluation at that
/// occupancy, its latency distribution at `u`.
evaluation request_rate_evaluation(const problem& p, const validation_point& vp, const evaluation& best,
                                   double instances, double& u) {
  serving_config c = best.cfg;
  const double cap = double(best.cfg.main.batch);
  const double dp = double(c.main.lay.dp);
  const double rate_rank = vp.request_rate / instances / dp;
  const double capacity = best.m.main.requests_per_s * instances;
  double n = std::max(1.0, cap * std::min(1.0, capacity > 0.0 ? vp.request_rate / capacity : 1.0));
  for (int it = 0; it < 40; ++it) {
    c.main.batch = static_cast<std::uint32_t>(std::max(1.0, std::round(n)));
    const evaluation e = evaluate_config(p, c, eval_full);
    const double hold = e.m.main.queue_hold_s;
    if (!(hold > 0.0)) break;
    const double next = std::min(cap, std::max(1.0, rate_rank * hold));
    if (std::fabs(next - n) < 0.5) {
      n = next;
      break;
    }
    n = 0.5 * (n + next);
  }
  // The whole batch at or above the occupancy: its capacity covers the rate (a sequence more,
  // up to 8 times, where the longer hold at the larger batch leaves it just short).
  c.main.batch = static_cast<std::uint32_t>(std::min(cap, std::max(1.0, std::ceil(n - 1e-9))));
  evaluation e = evaluate_config(p, c, eval_report);
  for (int more = 0; more < 8 && c.main.batch < best.cfg.main.batch &&
                     e.m.main.requests_per_s * instances < vp.request_rate; ++more) {
    c.main.batch += 1;
    e = evaluate_config(p, c, eval_report);
  }
  pool_metrics& pool = e.m.main;
  pool.admission_slots = std::max(pool.queue_slots, cap * dp);
  const double at = pool.requests_per_s * instances;
  u = at > 0.0 ? std::min(0.999, vp.request_rate / at) : 0.999;
  pool.utilisation = u;
  e.m.latency = latency_at_load(p, e, u, e.m.prefill.utilisation);
  return e;
}

}  // namespace tokenplan
