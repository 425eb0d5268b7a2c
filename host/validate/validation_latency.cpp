// A latency point's prediction, like with like: which statistic a measured value is, and the
// predicted value of that statistic for the configuration chosen.
#include "validate/validation.hpp"

#include <algorithm>
#include <cmath>

#include "tokenplan/model.hpp"

namespace tokenplan {

namespace {

/// Which statistic a latency point's value is: "mean", "p50", "p90" or "p99". The point's
/// value_statistic; without it, in a closed loop (no SLO) latency_percentile names the value's
/// own, and otherwise the p99 (an SLO's latency_percentile names the bound's, not the value's).
std::string value_statistic(const validation_point& vp) {
  if (!vp.value_statistic.empty()) return vp.value_statistic;
  std::string pct = vp.kind == "concurrency" ? vp.latency_percentile : std::string();
  if (pct == "median") pct = "p50";
  return pct == "mean" || pct == "p50" || pct == "p90" ? pct : "p99";
}

}  // namespace

/// A latency point's prediction, like with like: the predicted mean for a measured mean, the
/// predicted p99 for a measured p99, at the load the prediction runs the configuration at (its
/// planned utilisation; a closed loop: its fixed concurrency). A mean TPOT is the distribution's
/// mean at that load (detail::tpot_cycle_at_load); a closed loop's, the cycle at its mean
/// occupancy (utilisation x slots), not at the largest batch.
double latency_value(const problem& p, const validation_point& vp, const evaluation& best) {
  const std::string stat = value_statistic(vp);
  const latency_dist& l = best.m.latency;
  if (vp.metric == "ttft_ms") {
    return (stat == "mean" ? l.ttft_mean_s : stat == "p50" ? l.ttft_p50_s : stat == "p90" ? l.ttft_p90_s : l.ttft_p99_s) * 1e3;
  }
  // Inter-token latency over steps: its median and p99 are one step's, its mean the TPOT's.
  if (vp.metric == "itl_ms" && stat != "mean") return (stat == "p50" ? l.itl_p50_s : l.itl_p99_s) * 1e3;
  if (vp.metric != "tpot_ms" && vp.metric != "itl_ms") return 1.0 / best.m.tpot_s;  // output tokens per second per user
  if (stat == "p99") return l.tpot_p99_s * 1e3;
  if (!p.workload.closed_loop) return l.tpot_mean_s * 1e3;
  serving_config c = best.cfg;
  const double occupied = std::floor(c.main.batch * best.m.main.utilisation + 0.5);
  c.main.batch = static_cast<std::uint32_t>(std::max(1.0, occupied));
  const double tpot_s = evaluate_config(p, c, eval_verdict).m.tpot_s;
  return tpot_s * 1e3;
}

}  // namespace tokenplan
