// The summary of validation errors: median, p90 and the share of points off by more than 1.5x,
// overall and per category (dense and MoE throughput, TTFT, TPOT, per-user speed).
#include <algorithm>
#include <cmath>

#include "validate/validation.hpp"

namespace tokenplan {

namespace {

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  double pos = q * (v.size() - 1);
  std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

}  // namespace

error_summary summarize(const std::vector<point_result>& results) {
  error_summary s;
  std::vector<double> ape, lg;
  for (const point_result& r : results) {
    if (!r.predicted) {
      ++s.skipped;
      continue;
    }
    ++s.predicted;
    ape.push_back(r.ape);
    lg.push_back(std::fabs(r.log_ratio));
    s.max_ratio = std::max(s.max_ratio, std::exp(std::fabs(r.log_ratio)));
    if (std::fabs(r.log_ratio) > std::log(1.5)) ++s.over_1_5x;
  }
  s.median_ape = percentile(ape, 0.5);
  s.p90_ape = percentile(ape, 0.9);
  double sum = 0;
  for (double a : ape) sum += a;
  s.mean_ape = ape.empty() ? 0.0 : sum / ape.size();
  s.median_abs_log = percentile(lg, 0.5);
  s.p90_abs_log = percentile(lg, 0.9);
  s.share_over_1_5x = s.predicted ? double(s.over_1_5x) / double(s.predicted) : 0.0;
  return s;
}

const std::vector<std::string>& error_categories() {
  static const std::vector<std::string> c = {"dense_throughput", "moe_throughput", "ttft", "tpot", "per_user_speed"};
  return c;
}

std::string point_category(const validation_point& p, bool moe) {
  if (p.metric == "ttft_ms") return "ttft";
  if (p.metric == "tpot_ms" || p.metric == "itl_ms") return "tpot";
  if (p.metric == "output_tokens_per_s_per_user") return "per_user_speed";
  return moe ? "moe_throughput" : "dense_throughput";
}

}  // namespace tokenplan
