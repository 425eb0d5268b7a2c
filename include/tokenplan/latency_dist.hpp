// Latency as a distribution at an operating load: TTFT mean and percentiles from a random
// prompt's prefill plus the wait for a slot, TPOT mean and p99 from the steps that carry a
// prefill chunk. Reads back what latency.hpp left in the metrics, so it can be asked again at
// another utilisation. Plain __host__ __device__ code; includes only other tokenplan/ headers.
#pragma once

#include "tokenplan/detail/arith.hpp"
#include "tokenplan/evaluation.hpp"
#include "tokenplan/hd.hpp"
#include "tokenplan/latency.hpp"
#include "tokenplan/queueing.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {
namespace detail {

/// The wait for a slot in an M/M/c pool: an arrival waits with probability `p`, and then for an
/// exponential time of rate `r` per second (c mu - lambda), as queueing.hpp's tail_wait assumes.
struct slot_wait {
  double p;
  double r;
};

/// The wait at utilisation `rho` of `slots` slots each held `hold_s` seconds; none (p = 0) when
/// the pool is idle or not queued (a closed loop).
TOKENPLAN_HD inline slot_wait mmc_wait(double slots, double hold_s, double rho) {
  slot_wait s{0.0, 1.0};
  if (!(rho > 0.0) || !(slots > 0.0) || !(hold_s > 0.0)) return s;
  const double a = rho * slots;
  s.p = queueing::wait_probability(slots, rho, sqrt(a));
  s.r = (slots - a) / hold_s;
  return s;
}

/// P(Wa + Wb > x) for two independent waits (a disaggregated request waits for a prefill place,
/// then for a decode slot; an aggregated one for a slot, then for the prefill room). Both exponential parts together are
/// hypoexponential: P(Xa + Xb > x) = (rb e^(-ra x) - ra e^(-rb x)) / (rb - ra), which becomes
/// (1 + r x) e^(-r x) as the rates meet.
TOKENPLAN_HD inline double wait_survival(const slot_wait& a, const slot_wait& b, double x) {
  if (x < 0.0) return 1.0;
  if (b.p == 0.0) return a.p == 0.0 ? 0.0 : a.p * queueing::exp_neg(-a.r * x);  // the sum below, term by term
  const double ea = queueing::exp_neg(-a.r * x);
  const double eb = queueing::exp_neg(-b.r * x);
  const double dr = b.r - a.r;
  const double both = dr * dr <= 1e-12 * a.r * a.r ? (1.0 + a.r * x) * ea : (b.r * ea - a.r * eb) / dr;
  return a.p * (1.0 - b.p) * ea + b.p * (1.0 - a.p) * eb + a.p * b.p * both;
}

/// Points of the prompt-length distribution: z = -5 .. 5 in steps of 1/8 (the normal mass
/// outside is 6e-7, well below any percentile reported).
constexpr int prompt_points = 81;

/// Uncached prompt lengths at the grid points of a lognormal with mean `mean` and log-variance
/// `sigma2` (0: every prompt the mean), and each point's probability (normal density, summed to 1).
TOKENPLAN_HD inline void prompt_grid(double mean, double sigma2, double* len, double* prob) {
  const double sigma = sigma2 > 0.0 ? sqrt(sigma2) : 0.0;
  double total = 0.0;
  for (int i = 0; i < prompt_points; ++i) {
    const double z = -5.0 + 0.125 * i;
    len[i] = mean * queueing::exp_any(sigma * z - 0.5 * sigma * sigma);
    prob[i] = queueing::normal_pdf(z);
    total += prob[i];
  }
  for (int i = 0; i < prompt_points; ++i) prob[i] /= total;
}

/// Aggregated: what a step carrying `tokens` prompt tokens adds to the decode-only cycle. Where
/// aggregated_ttft costed shorter chunks (full depth), piecewise linear through them: (0, 0),
/// 1/64, 1/16 and 1/4 of the full chunk, and the full chunk; beyond it, the last piece's slope.
/// Never decreasing (a point below the one before it is held at that one). Otherwise the affine
/// slope through the full chunk.
TOKENPLAN_HD inline double aggregated_chunk_extra_s(const pool_metrics& d, double tokens) {
  const double x_full = d.prefill_curve_tokens;
  if (!(x_full > 0.0)) return d.prefill_s_per_token * tokens;
  double x0 = 0.0, e0 = 0.0;
  for (int k = 0; k <= prefill_curve_points; ++k) {
    const bool last = k == prefill_curve_points;
    const double x1 = last ? x_full : x_full * prefill_curve_fraction(k);
    const double e1 = max2(e0, last ? d.prefill_s_per_token * x_full : d.prefill_curve_s[k]);
    if (tokens <= x1 || last) return e0 + (e1 - e0) * (tokens - x0) / (x1 - x0);
    x0 = x1;
    e0 = e1;
  }
  return e0;
}

/// Aggregated: time from arrival at a free slot to the first token of a prompt of `tokens`
/// uncached tokens: half a cycle to the next step, then a full chunk per cycle and the last
/// partial chunk at its real size (aggregated_chunk_extra_s over the decode-only cycle).
TOKENPLAN_HD inline double aggregated_prefill_s(const pool_metrics& d, double tokens) {
  const double room = d.chunk_tokens;
  if (!(room >= 1.0)) return 0.5 * d.cycle_s;
  const double per_chunk = d.cycle_decode_s + aggregated_chunk_extra_s(d, room);
  const double whole = floor_pos(tokens / room);
  const double rest = tokens - whole * room;
  return whole * per_chunk + (rest > 0.0 ? d.cycle_decode_s + aggregated_chunk_extra_s(d, rest) : 0.0) + 0.5 * d.cycle_s;
}

/// Disaggregated: the prefill pool's time for a prompt of `tokens` uncached tokens (its chunks
/// through the pipeline, as prefill_pool_cycle) plus the KV transfer that outlasts it
/// (disaggregated_ttft), the transfer scaled from the tail prompt's by length.
TOKENPLAN_HD inline double disaggregated_prefill_s(const model_spec& m, const request_terms& q, const metrics& r,
                                                   double tokens) {
  const pool_metrics& f = r.prefill;
  const double chunks = ceil_div(tokens, max2(1.0, f.chunk_tokens));
  const double prefill = (chunks + f.micro_batches - 1.0 + 0.5) * f.cycle_s + f.pp_hops_s * q.ef;
  const double kv = q.isl_new_tail > 0.0 ? r.kv_transfer_s * tokens / q.isl_new_tail : 0.0;
  return prefill + max2(kv / m.layers, kv - chunks * f.cycle_s);
}

/// Hold samples: an admission hold (uniform over its length) is averaged over this many evenly
/// spaced points, each widening the prompt bins by its own share of the hold.
constexpr int hold_points = 8;

/// The share of requests whose TTFT passes `t`: sum over prompts of P(prompt) x P(prefill +
/// hold + wait > t). Each grid point stands for its bin of prompts, whose prefill times spread
/// evenly between the midpoints to its neighbours (a point mass would make every percentile stick
/// to a grid point); the share of the bin still prefilling at t passes for sure, the rest if its
/// wait outlasts t - prefill. `hold_s`: an admission hold, uniform on [0, hold_s] (an engine that
/// takes new prompts only every few steps), averaged over hold_points points, each bin widened by
/// hold_s / hold_points so the average stays smooth; 0: none, and the sum is the plain one.
TOKENPLAN_HD inline double ttft_share_over(const double* pre, const double* prob, const slot_wait& a,
                                           const slot_wait& b, double t, double hold_s = 0.0) {
  const int n = hold_s > 0.0 ? hold_points : 1;
  const double widen = hold_s > 0.0 ? 0.5 * hold_s / n : 0.0;
  double total = 0.0;
  for (int j = 0; j < n; ++j) {
    const double x = t - (hold_s > 0.0 ? (j + 0.5) * hold_s / n : 0.0);
    double share = 0.0;
    for (int i = 0; i < prompt_points; ++i) {
      const double lo = (i > 0 ? 0.5 * (pre[i - 1] + pre[i]) : pre[i]) - widen;
      const double hi = (i + 1 < prompt_points ? 0.5 * (pre[i] + pre[i + 1]) : pre[i]) + widen;
      double done = x >= pre[i] ? 1.0 : 0.0;
      if (hi > lo) done = min2(1.0, max2(0.0, (x - lo) / (hi - lo)));
      share += prob[i] * ((1.0 - done) + done * wait_survival(a, b, max2(0.0, x - pre[i])));
    }
    total += share;
  }
  return total / n;
}

/// The TTFT that a share `tail` of requests exceeds: bisection on ttft_share_over, 60 halvings
/// of a bracket that holds it (the wait alone passes each half of its bound with at most tail / 2;
/// the hold adds at most its length).
TOKENPLAN_HD inline double ttft_quantile(const double* pre, const double* prob, const slot_wait& a,
                                         const slot_wait& b, double tail, double hold_s = 0.0) {
  double wait_hi = 0.0;
  if (a.p > 0.5 * tail) wait_hi = max2(wait_hi, 2.0 * queueing::log_pos(4.0 * a.p / tail) / a.r);
  if (b.p > 0.5 * tail) wait_hi = max2(wait_hi, 2.0 * queueing::log_pos(4.0 * b.p / tail) / b.r);
  double lo = pre[0], hi = pre[0];
  for (int i = 1; i < prompt_points; ++i) {
    lo = min2(lo, pre[i]);
    hi = max2(hi, pre[i]);
  }
  hi += wait_hi + max2(0.0, hold_s);
  for (int it = 0; it < 60; ++it) {
    const double t = 0.5 * (lo + hi);
    if (ttft_share_over(pre, prob, a, b, t, hold_s) > tail) lo = t;
    else hi = t;
  }
  return hi;
}

/// Standard normal 99th percentile, Phi^-1(0.99) = 2.3263 (Abramowitz & Stegun, table 26.5).
constexpr double z_p99 = 2.3263478740408408;

/// Uncached prompt tokens of other requests that share a prompt's step (aggregated): a step takes
/// in the prompts that arrived on its rank while the step before it ran, so the step that carries a
/// prompt also prefills the others of its window, and lasts their prefill too (the cycle at load
/// counts them in its mean; the step a prompt waits for is longer than that mean by them). At
/// main-pool utilisation `u` a rank's steps carry u x prefill_tokens_per_step / dp prompt tokens
/// on average. An admission hold's window is not counted: taken as one step's companions, the
/// prompts a hold releases together put AMD's multi-step MI300X Server p99 TTFT at 1.31x and 1.75x
/// of the measured (configs/validation/RESEARCH-NOTES.md). A closed loop of B sequences a rank
/// counts its own prompt among them: (B - 1) / B. 0 when disaggregated (the prefill pool's steps
/// are costed per prompt) or idle.
TOKENPLAN_HD inline double step_companion_tokens(const workload_spec& w, bool disagg, double dp,
                                                 const pool_metrics& d, double u) {
  if (disagg || !(u > 0.0) || !(d.prefill_tokens_per_step > 0.0) || !(d.chunk_tokens >= 1.0)) return 0.0;
  double o = min2(1.0, u) * d.prefill_tokens_per_step / max2(1.0, dp);
  if (w.closed_loop) {
    const double b = max2(1.0, d.decode_tokens_per_step / max2(1.0, dp));
    o *= (b - 1.0) / b;
  }
  return o;
}

/// The prompts of the workload (lognormal through its mean and E[L^2], input_sq_mean) on the
/// grid, with each one's time to its first token before any wait (with the step an overlap
/// scheduler has already launched, q.lag_steps): `pre` and `prob`, as prompt_grid. `companions`:
/// the mean uncached tokens of other prompts in the same step (step_companion_tokens), a Poisson
/// number of the workload's prompts: the step's prompt tokens are the prompt's plus theirs, mean
/// L + o and E[X^2] = E[L^2] + 2 E[L] o + o^2 + o E[L^2] / E[L] (compound Poisson), on the grid as
/// one lognormal through both. Returns the mean of `pre`.
TOKENPLAN_HD inline double prefill_grid(const model_spec& m, const workload_spec& w, const request_terms& q,
                                        bool disagg, const metrics& r, double* pre, double* prob,
                                        double companions = 0.0) {
  double len[prompt_points];
  const double sq = q.isl * q.isl;
  double mean = q.isl_new;
  double sigma2 = w.input_sq_mean > sq ? queueing::log_pos(w.input_sq_mean / sq) : 0.0;
  if (companions > 0.0 && q.isl_new > 0.0) {
    const double l2 = q.isl_new * q.isl_new * queueing::exp_any(sigma2);  // E[L^2], uncached
    mean = q.isl_new + companions;
    const double x2 = l2 + 2.0 * q.isl_new * companions + companions * companions + companions * l2 / q.isl_new;
    sigma2 = queueing::log_pos(x2 / (mean * mean));
  }
  prompt_grid(mean, sigma2, len, prob);
  // An overlap scheduler takes a prompt in only after the step it has already launched.
  const double lag_s = q.lag_steps * (disagg ? r.prefill.cycle_s : r.main.cycle_s);
  double total = 0.0;
  for (int i = 0; i < prompt_points; ++i) {
    pre[i] = lag_s + (disagg ? disaggregated_prefill_s(m, q, r, len[i]) : aggregated_prefill_s(r.main, len[i]));
    total += prob[i] * pre[i];
  }
  return total;
}

/// The wait of a prompt for the prefill room of its rank's steps (aggregated, chunked prefill).
/// The room a step leaves for prompts is one first-come-first-served server: a prompt is
/// prefilled only once those ahead of it are, each full-chunk cycle serving `chunk_tokens`
/// prompt tokens. Prompts arrive at `u` times the full-occupancy rate (prefill_tokens_per_step
/// over the `dp` ranks), so the room is busy a share rho = u x prefill per rank / room, and the
/// wait is M/G/1's (Pollaczek-Khinchine) in tokens: mean W = rho / (1 - rho) x E[L^2] / (2 E[L])
/// uncached tokens, at the full-chunk cycle per room; its tail given M/M/1's shape, P(wait > x) =
/// rho e^(-rho x / W). The slot wait (M/M/c) is the other, independent one.
TOKENPLAN_HD inline slot_wait prefill_room_wait(const workload_spec& w, const request_terms& q, double dp,
                                                const pool_metrics& d, double u) {
  slot_wait s{0.0, 1.0};
  const double room = d.chunk_tokens;
  if (!(room >= 1.0) || !(u > 0.0) || !(d.cycle_decode_s > 0.0) || !(q.isl_new > 0.0)) return s;
  const double rho = min2(0.999, u * d.prefill_tokens_per_step / (max2(1.0, dp) * room));
  if (!(rho > 0.0)) return s;
  const double new_share = q.isl > 0.0 ? q.isl_new / q.isl : 1.0;
  const double biased = max2(w.input_sq_mean, q.isl * q.isl) / max2(1.0, q.isl) * new_share;  // E[L^2] / E[L], uncached
  const double per_token_s = (d.cycle_decode_s + aggregated_chunk_extra_s(d, room)) / room;
  const double mean_s = rho / (1.0 - rho) * 0.5 * biased * per_token_s;
  if (!(mean_s > 0.0)) return s;
  s.p = rho;
  s.r = rho / mean_s;
  return s;
}

/// The wait for a slot of pool `d` at utilisation `u` (a share of its queue_slots' capacity: the
/// decode batch the TPOT allows). An engine that admits more requests than that batch
/// (admission_slots above queue_slots: vLLM's max_num_seqs, TensorRT-LLM's max_batch_size set
/// above it) runs the same load on more servers: M/M/c with c = admission_slots and occupancy
/// u x queue_slots / c, so a request rarely waits and the TPOT, not the TTFT, bounds the load.
TOKENPLAN_HD inline slot_wait slot_queue_wait(const pool_metrics& d, double u) {
  const double c = max2(d.queue_slots, d.admission_slots);
  return mmc_wait(c, d.queue_hold_s, c > d.queue_slots ? u * d.queue_slots / c : u);
}

/// The waits before a prompt's prefill at main-pool utilisation `u_main` and (disaggregated)
/// prefill-pool utilisation `u_prefill`. Aggregated: the slot (the M/M/c pool the SLO sizing
/// solved) and the prefill room (prefill_room_wait); disaggregated: a prefill place, then a
/// decode slot. A closed loop waits for neither slot nor room (its users take turns).
TOKENPLAN_HD inline void ttft_waits(const workload_spec& w, const request_terms& q, bool disagg, double dp,
                                    const metrics& r, double u_main, double u_prefill, slot_wait& a, slot_wait& b) {
  a = slot_wait{0.0, 1.0};
  b = slot_wait{0.0, 1.0};
  if (w.closed_loop) return;
  if (disagg) {
    a = mmc_wait(r.prefill.queue_slots, r.prefill.queue_hold_s, u_prefill);
    b = slot_queue_wait(r.main, u_main);
    return;
  }
  a = slot_queue_wait(r.main, u_main);
  b = prefill_room_wait(w, q, dp, r.main, u_main);
}

/// The longest admission hold of an aggregated pool `d`: an engine that takes new prompts only
/// once every admission_steps steps (vLLM's multi-step scheduling, num_scheduler_steps;
/// TensorRT-LLM's attention-DP balancing, which holds a rank's prompts up to timeout_iters
/// iterations until every rank has one, then up to batching_wait_iters more) holds a prompt for a uniform share of the
/// q.hold_steps mean cycles beyond the next step (the half cycle to it is in the prefill time).
/// 0 for a disaggregated prefill pool, which schedules its prompts every step.
TOKENPLAN_HD inline double admission_hold_s(const request_terms& q, bool disagg, const pool_metrics& d) {
  return disagg ? 0.0 : q.hold_steps * d.cycle_s;
}

/// The decode-only cycle of aggregated pool `d` with a share `f` of its micro-batch's decodes:
/// piecewise linear through decode_curve_fraction's points and the full micro-batch
/// (cycle_decode_s); below the first point, that point's cycle (the weights are read whatever
/// the batch). cycle_decode_s where the points were not computed.
TOKENPLAN_HD inline double decode_cycle_at(const pool_metrics& d, double f) {
  if (!(d.decode_curve_s[0] > 0.0)) return d.cycle_decode_s;
  double x0 = decode_curve_fraction(0), c0 = d.decode_curve_s[0];
  if (f <= x0) return c0;
  for (int k = 1; k <= decode_curve_points; ++k) {
    const bool last = k == decode_curve_points;
    const double x1 = last ? 1.0 : decode_curve_fraction(k);
    const double c1 = last ? d.cycle_decode_s : d.decode_curve_s[k];
    if (f <= x1 || last) return c0 + (c1 - c0) * (min2(f, 1.0) - x0) / (x1 - x0);
    x0 = x1;
    c0 = c1;
  }
  return d.cycle_decode_s;
}

/// The mean cycle of aggregated pool `d` run at utilisation `u` (< 1) of its full-occupancy
/// capacity. Requests arrive at u times the full rate, so prompts cost the share u phi of every
/// second (phi: the prompts' share of the full cycle, 1 - cycle_decode_s / cycle_s), and the mean
/// cycle is the decode-only cycle over (1 - u phi). The decodes are the slot queue's occupancy as
/// a decoding request sees it: itself and u of the other B - 1 slots of its rank (B the rank's
/// micro-batch, `dp` ranks): decode_cycle_at((1 + u (B - 1)) / B). Not re-solved by Little's law with the faster cycle
/// (a shorter hold, fewer sequences, a faster cycle again): near compute saturation that fixed
/// point is degenerate: five MLPerf Server p99 TPOTs measured near their bound read 0.51-0.58x
/// with it (docs/validation.md). Sets `decode_cycle` to the decode-only cycle used.
TOKENPLAN_HD inline double tpot_cycle_at_load(const pool_metrics& d, double u, double dp, double& decode_cycle) {
  const double phi = d.cycle_s > d.cycle_decode_s ? 1.0 - d.cycle_decode_s / d.cycle_s : 0.0;
  const double b = max2(1.0, d.decode_tokens_per_step / max2(1.0, dp));
  decode_cycle = decode_cycle_at(d, (1.0 + u * (b - 1.0)) / b);
  return decode_cycle / (1.0 - u * phi);
}

/// TPOT of a configuration evaluated into `r` (latency.hpp's pool figures) at main-pool
/// utilisation `u` (1, or 0 for not known: full occupancy, what the SLO sizing checks): the mean
/// is the average cycle, at a load below full tpot_cycle_at_load's (aggregated, open arrivals; a
/// closed loop and a disaggregated decode pool keep the full-occupancy cycle); a request's TPOT
/// averages its O / tau steps, a share f of which carries a prefill chunk (f = prefill tokens
/// per step over the chunk: the room, at most the tail prompt), so the mean of its steps spreads by sqrt(f (1 - f) / steps) of the chunk's extra cycle
/// (binomial, normal approximation). With every answer the mean length, the p99 over requests is
/// the mean plus z_p99 of that spread; with answers of spread lengths (w.output_sq_mean above
/// OSL^2: a lognormal through both on prompt_grid's points), the p99 is the TPOT that 1% of
/// requests exceed over all lengths (bisection, 20 halvings of at most the chunk's extra cycle):
/// a short answer averages few steps, so the short answers set the tail. At most the full-chunk
/// cycle. One step's (ITL) p99 is the full-chunk cycle when more than 1% of steps carry a chunk,
/// else the decode-only cycle; its median the decode-only cycle while at most half the steps carry
/// one. Fills the TPOT and ITL fields of `out` only.
TOKENPLAN_HD inline void tpot_tail(const workload_spec& w, const request_terms& q, bool disagg, double dp,
                                   const metrics& r, latency_dist& out, double u = 1.0) {
  const pool_metrics& d = r.main;
  out.tpot_mean_s = d.tpot_s;
  out.tpot_p99_s = d.tpot_s;
  out.itl_p99_s = d.tpot_s;
  out.itl_p50_s = d.tpot_s;
  if (!disagg && d.chunk_tokens >= 1.0 && d.cycle_decode_s > 0.0) {
    // At a load u below full occupancy (open arrivals; a closed loop keeps its users) the steps
    // run faster: tpot_cycle_at_load.
    const double load = !w.closed_loop && u > 0.0 && u < 1.0 ? u : 1.0;
    double decode_cycle = d.cycle_decode_s;
    const double cycle = load < 1.0 ? tpot_cycle_at_load(d, load, dp, decode_cycle) : d.cycle_s;
    out.tpot_mean_s = cycle / q.tau;
    // A step that carries prefill carries at most its room, and a prompt at most the tail's
    // tokens: that chunk sets the slow steps, and the share of steps carrying one keeps the mean.
    const double chunk = min2(d.chunk_tokens, max2(1.0, q.isl_new_tail));
    const double full_chunk = decode_cycle + d.prefill_s_per_token * chunk;
    const double per_step = load < 1.0 ? d.prefill_tokens_per_step * load * cycle / d.cycle_s : d.prefill_tokens_per_step;
    const double share = min2(1.0, per_step / (dp * chunk));
    const double one_step = sqrt(share * (1.0 - share)) * max2(0.0, full_chunk - decode_cycle);
    const double sq = q.osl * q.osl;
    double p99_cycle = cycle;
    if (!(w.output_sq_mean > sq * (1.0 + 1e-9)) || !(one_step > 0.0)) {
      const double steps = max2(1.0, q.osl / q.tau);
      p99_cycle = cycle + z_p99 * sqrt(share * (1.0 - share) / steps) * max2(0.0, full_chunk - decode_cycle);
    } else {
      double len[prompt_points], prob[prompt_points];
      prompt_grid(q.osl, queueing::log_pos(w.output_sq_mean / sq), len, prob);
      auto over = [&](double x) {
        double share_over = 0.0;
        for (int i = 0; i < prompt_points; ++i) {
          const double spread = one_step / sqrt(max2(1.0, len[i] / q.tau));
          share_over += prob[i] * (1.0 - queueing::normal_cdf((x - cycle) / spread));
        }
        return share_over;
      };
      double lo = cycle, hi = max2(cycle, full_chunk);
      if (over(hi) > 0.01) {
        p99_cycle = hi;
      } else {
        for (int it = 0; it < 20; ++it) {
          const double mid = 0.5 * (lo + hi);
          if (over(mid) > 0.01) lo = mid;
          else hi = mid;
        }
        p99_cycle = hi;
      }
    }
    out.tpot_p99_s = max2(out.tpot_mean_s, min2(full_chunk, p99_cycle) / q.tau);
    out.itl_p99_s = (share > 0.01 ? max2(full_chunk, cycle) : decode_cycle) / q.tau;
    out.itl_p50_s = (share > 0.5 ? max2(full_chunk, cycle) : decode_cycle) / q.tau;
  }
}

/// The latency distribution of a configuration evaluated into `r` (latency.hpp's pool figures),
/// at main-pool utilisation `u_main` and prefill-pool utilisation `u_prefill` (disaggregated).
/// `dp`: the main pool's attention-DP ranks. TTFT: prefill_grid's prompts, ttft_waits' waits,
/// admission_hold_s's hold; TPOT: tpot_tail.
TOKENPLAN_HD inline latency_dist latency_at(const model_spec& m, const workload_spec& w, const request_terms& q,
                                            bool disagg, double dp, const metrics& r, double u_main,
                                            double u_prefill) {
  latency_dist out{};
  const pool_metrics& d = r.main;
  if (!(d.cycle_s > 0.0)) return out;
  double pre[prompt_points], prob[prompt_points];
  const double mean_pre =
      prefill_grid(m, w, q, disagg, r, pre, prob, step_companion_tokens(w, disagg, dp, d, u_main));
  slot_wait a{}, b{};
  ttft_waits(w, q, disagg, dp, r, u_main, u_prefill, a, b);
  const double hold = admission_hold_s(q, disagg, d);
  out.ttft_mean_s = mean_pre + a.p / a.r + b.p / b.r + 0.5 * hold;
  out.ttft_p50_s = ttft_quantile(pre, prob, a, b, 0.5, hold);
  out.ttft_p90_s = ttft_quantile(pre, prob, a, b, 0.1, hold);
  out.ttft_p99_s = ttft_quantile(pre, prob, a, b, 0.01, hold);
  tpot_tail(w, q, disagg, dp, r, out, u_main);
  return out;
}

/// The highest main-pool utilisation (<= 0.999, bisection to 1e-4) at which at most a share
/// `tail` of requests waits longer than `ttft_s` for its first token (aggregated, `dp` attention-DP
/// ranks in the main pool; the prefill pool's utilisation held at `u_prefill` when disaggregated):
/// the load a benchmark that bounds a TTFT percentile, such as MLPerf's Server scenario, runs at.
/// 0 when none does.
TOKENPLAN_HD inline double utilisation_at_ttft(const model_spec& m, const workload_spec& w, const request_terms& q,
                                               bool disagg, double dp, const metrics& r, double ttft_s, double tail,
                                               double u_prefill) {
  double pre[prompt_points], prob[prompt_points];
  const double hold = admission_hold_s(q, disagg, r.main);
  auto over = [&](double u) {
    prefill_grid(m, w, q, disagg, r, pre, prob, step_companion_tokens(w, disagg, dp, r.main, u));
    slot_wait a{}, b{};
    ttft_waits(w, q, disagg, dp, r, u, u_prefill, a, b);
    return ttft_share_over(pre, prob, a, b, ttft_s, hold);
  };
  const double cap = 0.999;
  if (over(cap) <= tail) return cap;
  double lo = 0.0, hi = cap;
  if (over(lo) > tail) return 0.0;
  for (int it = 0; it < 14; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (over(mid) <= tail) lo = mid;
    else hi = mid;
  }
  return lo;
}

}  // namespace detail
}  // namespace tokenplan
