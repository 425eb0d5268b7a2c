// Admission queueing under load: how hard a pool of concurrent slots can be driven before the
// tail of the wait for a slot breaks the TTFT SLO. Deterministic exp and normal CDF, written out
// here so the CPU and CUDA backends compute the same bits (no library transcendentals).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "tokenplan/hd.hpp"

namespace tokenplan {
namespace queueing {

/// e^x for x <= 0 (underflows to 0 below -700): range reduction by ln 2 and a degree-13 Taylor
/// polynomial on [-ln2/2, ln2/2] (relative error < 1e-15), scaled by 2^k.
TOKENPLAN_HD inline double exp_neg(double x) {
  if (x > 0.0) x = 0.0;
  if (x < -700.0) return 0.0;
  const double ln2 = 0.6931471805599453;
  const double kf = x / ln2 - 0.5;  // round to nearest for x <= 0
  const int k = static_cast<int>(kf);
  const double r = x - static_cast<double>(k) * ln2;
  double term = 1.0, sum = 1.0;
  for (int i = 1; i <= 13; ++i) {
    term = term * r / static_cast<double>(i);
    sum += term;
  }
  // Exact scaling by 2^k (k >= -1011 here, so the result stays normal), by the exponent bits:
  // the same bits as ldexp, without the library call.
  const std::uint64_t bits = static_cast<std::uint64_t>(k + 1023) << 52;
  double scale;
  memcpy(&scale, &bits, sizeof scale);
  return sum * scale;
}

/// e^x for any x: exp_neg of -|x|, inverted for x > 0; saturates at 1e300.
TOKENPLAN_HD inline double exp_any(double x) {
  if (x <= 0.0) return exp_neg(x);
  if (x > 690.0) return 1e300;
  return 1.0 / exp_neg(-x);
}

/// ln x for x > 0: x = m 2^e with m in [0.5, 1), ln m = 2 atanh((m - 1) / (m + 1)) by its series
/// (|error| < 1e-15 over 20 terms). Returns -745 for x <= 0.
TOKENPLAN_HD inline double log_pos(double x) {
  if (!(x > 0.0)) return -745.0;
  int e = 0;
  const double m = frexp(x, &e);  // exact
  const double u = (m - 1.0) / (m + 1.0);
  const double u2 = u * u;
  double term = u, sum = 0.0;
  for (int i = 1; i <= 41; i += 2) {
    sum += term / static_cast<double>(i);
    term *= u2;
  }
  return 2.0 * sum + static_cast<double>(e) * 0.6931471805599453;
}

/// Standard normal density and CDF (Abramowitz & Stegun 7.1.26 for erfc, |error| < 1.5e-7).
TOKENPLAN_HD inline double normal_pdf(double z) { return 0.3989422804014327 * exp_neg(-0.5 * z * z); }

TOKENPLAN_HD inline double normal_cdf(double z) {
  const double x = (z < 0.0 ? -z : z) / 1.4142135623730951;
  const double t = 1.0 / (1.0 + 0.3275911 * x);
  const double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const double erfc = poly * exp_neg(-x * x);
  return z < 0.0 ? 0.5 * erfc : 1.0 - 0.5 * erfc;
}

/// Probability an arrival waits for a slot, M/M/c with c slots at utilisation rho, by the
/// Halfin-Whitt approximation: 1 / (1 + beta Phi(beta) / phi(beta)), beta = (c - a) / sqrt(a).
/// phi and the erfc inside Phi share one exponential, e^(-beta^2 / 2) (the hot path of the search).
TOKENPLAN_HD inline double wait_probability(double c, double rho, double sqrt_a) {
  const double a = rho * c;
  const double beta = (c - a) / sqrt_a;  // > 0 for rho < 1
  const double g = exp_neg(-0.5 * beta * beta);
  const double pdf = 0.3989422804014327 * g;
  const double x = (beta < 0.0 ? -beta : beta) / 1.4142135623730951;
  const double t = 1.0 / (1.0 + 0.3275911 * x);
  const double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const double erfc = poly * g;
  const double cdf = beta < 0.0 ? 0.5 * erfc : 1.0 - 0.5 * erfc;
  return 1.0 / (1.0 + beta * cdf / pdf);
}

/// Without an admission cap at the batch (an engine admitting more requests than the batch its
/// TPOT allows), the requests in service are Poisson: M/G/infinity, mean n, standard deviation
/// sqrt(n). A request's TPOT follows the batch over its own life, which is as long as the
/// correlation time of that count (an exponential autocorrelation with the mean service time),
/// so the batch it sees on average varies with a standard deviation of sqrt(2 e^-1) sqrt(n) =
/// 0.858 sqrt(n). The mean occupancy n whose quantile z (z = 2.326 for p99) of that average stays
/// within `batch`: n + 0.858 z sqrt(n) = batch, n = ((sqrt(k^2 + 4 batch) - k) / 2)^2 with
/// k = 0.858 z. A run bounded by a p99 TPOT at `batch` carries n / batch of that batch's load.
TOKENPLAN_HD inline double poisson_occupancy_within(double batch, double z) {
  if (!(batch > 0.0)) return 0.0;
  const double k = 0.8577638849607068 * z;  // sqrt(2 / e)
  const double s = 0.5 * (sqrt(k * k + 4.0 * batch) - k);
  return s * s;
}

/// Whether the `tail` quantile (0.01 for p99) of the wait stays within `budget_s` at utilisation
/// rho: the wait is exponential with rate c mu - lambda beyond the probability of waiting, so
/// it holds when P(wait) <= tail x e^(budget (c mu - lambda)).
TOKENPLAN_HD inline bool wait_within(double c, double hold_s, double budget_s, double tail, double rho) {
  const double a = rho * c;
  const double pw = wait_probability(c, rho, sqrt(a));
  const double drain = (c - a) / hold_s;  // c mu - lambda
  return pw <= tail * exp_any(budget_s * drain);
}

/// The `tail` quantile of the wait for a slot at utilisation rho, seconds (0 if most arrivals
/// find a free slot).
TOKENPLAN_HD inline double tail_wait(double c, double hold_s, double tail, double rho) {
  if (!(rho > 0.0)) return 0.0;
  const double a = rho * c;
  const double pw = wait_probability(c, rho, sqrt(a));
  if (pw <= tail) return 0.0;
  return log_pos(pw / tail) / ((c - a) / hold_s);
}

/// tail_wait, never above `budget_s`: at a utilisation from max_utilisation the wait is within
/// the budget by construction, and the cap keeps logarithm rounding from saying otherwise. Never
/// below 0: with no budget left (the prompt alone outlasts the SLO, max_utilisation 0) there is
/// no queue to wait in, and a negative "wait" would report that prompt's TTFT as the SLO itself.
TOKENPLAN_HD inline double tail_wait_within(double c, double hold_s, double tail, double rho, double budget_s) {
  const double t = tail_wait(c, hold_s, tail, rho);
  const double capped = t < budget_s ? t : budget_s;
  return capped > 0.0 ? capped : 0.0;
}

/// Largest utilisation (<= 0.999) at which a pool of `slots` concurrent slots, each request
/// holding one for `hold_s` seconds, keeps the `tail` quantile of the wait within `budget_s`.
/// 0 when the budget is not positive. Bisection to 1e-4.
TOKENPLAN_HD inline double max_utilisation(double slots, double hold_s, double budget_s, double tail) {
  const double cap = 0.999;  // no pool is planned above 99.9%
  if (!(budget_s > 0.0) || !(hold_s > 0.0) || !(slots > 0.0)) return 0.0;
  if (wait_within(slots, hold_s, budget_s, tail, cap)) return cap;
  double lo = 0.0, hi = cap;
  for (int i = 0; i < 14; ++i) {  // 0.999 / 2^14 < 1e-4
    const double mid = 0.5 * (lo + hi);
    if (wait_within(slots, hold_s, budget_s, tail, mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/// An upper bound on max_utilisation without solving it: 0.999 when max_utilisation is
/// positive, 0 when it is 0. The bisection ends at 0 only if every midpoint failed, the last being
/// rho = 0.999 / 2^14; there beta = sqrt(c) (1 - rho) / sqrt(rho) >= 127.9 for any c >= 1, so
/// phi(beta) underflows (exp_neg returns 0 below -700), the probability of waiting is 0 and the
/// check holds whenever the budget is positive. So the answer depends on the budget alone.
TOKENPLAN_HD inline double utilisation_bound(double slots, double hold_s, double budget_s, double tail) {
  (void)tail;
  if (!(budget_s > 0.0) || !(hold_s > 0.0) || !(slots >= 1.0)) return 0.0;
  return 0.999;
}

}  // namespace queueing
}  // namespace tokenplan
