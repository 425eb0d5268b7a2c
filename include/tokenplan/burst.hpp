// An open burst: a fixed number of requests submitted at once (a benchmark client with no request
// rate, such as `vllm bench serve --num-prompts N` without --request-rate), timed from the first
// request to the last answer. Its throughput is the work over that makespan, not the steady state
// of a loaded engine: the engine first prefills the prompts, then decodes at a batch that falls as
// the answers end, and the longest answers pace the end at a batch of a few sequences, where a
// step costs nearly what it costs full. Includes only other tokenplan/ headers.
#pragma once

#include "tokenplan/detail/arith.hpp"
#include "tokenplan/hd.hpp"
#include "tokenplan/queueing.hpp"

namespace tokenplan {

/// One instance's share of an open burst.
struct burst_shape {
  double requests;         ///< prompts the instance gets
  double slots;            ///< sequences it holds at once (its batch per rank x ranks)
  double dp;               ///< attention-DP ranks (a prompt is prefilled on one of them)
  double chunk;            ///< prompt tokens a rank prefills per step
  double prompt_tokens;    ///< mean prompt tokens to prefill (past any prefix cache)
  double output_mean;      ///< mean answer, tokens
  double output_sigma;     ///< log-sd of a lognormal of answer lengths (0: every answer the mean)
  double output_max;       ///< the longest answer the data set allows (0: no cap)
  double tokens_per_step;  ///< tokens a decoding sequence gains per step (1 without speculation)
};

/// The decode-only cycle at a few batch sizes per rank, ascending from 1: the cycle at any batch
/// is interpolated linearly between them (a step's cost is affine in its batch between points).
struct burst_cycles {
  static constexpr int max_points = 24;
  double batch[max_points];
  double cycle_s[max_points];
  int n;
};

namespace detail {

TOKENPLAN_HD inline double cycle_at(const burst_cycles& c, double b) {
  if (c.n <= 0) return 0.0;
  if (b <= c.batch[0]) return c.cycle_s[0];
  for (int i = 1; i < c.n; ++i) {
    if (b <= c.batch[i]) {
      const double t = (b - c.batch[i - 1]) / (c.batch[i] - c.batch[i - 1]);
      return c.cycle_s[i - 1] + t * (c.cycle_s[i] - c.cycle_s[i - 1]);
    }
  }
  return c.cycle_s[c.n - 1];
}

/// Share of answers longer than `x` tokens: a lognormal of mean `mean` and log-sd `sigma`, cut at
/// `cap` (no answer reaches it); with sigma 0 every answer is the mean.
TOKENPLAN_HD inline double answers_longer(double x, double mean, double sigma, double cap) {
  if (cap > 0.0 && x >= cap) return 0.0;
  if (!(sigma > 0.0)) return x < mean ? 1.0 : 0.0;
  if (x <= 0.0) return 1.0;
  const double mu = queueing::log_pos(mean) - 0.5 * sigma * sigma;
  return 1.0 - queueing::normal_cdf((queueing::log_pos(x) - mu) / sigma);
}

}  // namespace detail

/// The burst's makespan on one instance, in seconds.
///  - Fill: every prompt is prefilled, `chunk` tokens per rank per step, each step costing the
///    decode-only cycle of one sequence plus `prefill_s_per_token` per prompt token a rank carries
///    (the slope of the cycle in prompt tokens; the ranks prefill side by side). An engine that
///    mixes decodes into these steps (vLLM) or runs them apart (SGLang) takes about as many steps,
///    since the decodes advance once per step either way.
///  - Queue: prompts beyond the slots wait for an answer to end; until the last of them is
///    admitted the batch stays full, (requests - slots) x mean answer / slots steps.
///  - Drain: the last `slots` answers end in order of length, so decode step k carries the share of
///    them longer than k tokens (the first token comes with the prefill); it ends where fewer than
///    half a sequence is expected to be left.
TOKENPLAN_HD inline double burst_makespan(const burst_shape& s, const burst_cycles& c, double prefill_s_per_token) {
  const double tau = detail::max2(1.0, s.tokens_per_step);
  const double dp = detail::max2(1.0, s.dp);
  const double admitted = detail::min2(s.requests, detail::max2(1.0, s.slots));
  const double prompt_work = s.requests * s.prompt_tokens;
  const double fill_steps = prompt_work / (dp * detail::max2(1.0, s.chunk));
  double t = fill_steps * detail::cycle_at(c, 1.0) + prompt_work * prefill_s_per_token / dp;
  const double queued = s.requests - admitted;
  if (queued > 0.0) t += queued * (s.output_mean / tau) / admitted * detail::cycle_at(c, admitted / dp);
  // At most the cap's (or 64 x the mean answer's) steps: the lognormal's tail is thin past that.
  const double last = s.output_max > 0.0 ? s.output_max : 64.0 * s.output_mean;
  // The first token comes with the prompt's prefill: step k serves the answers longer than k + 1.
  for (double k = 1.0; k * tau < last; k += 1.0) {
    const double left = admitted * detail::answers_longer(k * tau, s.output_mean, s.output_sigma, s.output_max);
    if (left < 0.5) break;
    t += detail::cycle_at(c, detail::max2(1.0, left / dp));
  }
  return t;
}

}  // namespace tokenplan
