// The waits before a prompt's prefill that the engine's scheduler adds (latency.hpp,
// latency_dist.hpp): an admission hold (prompts taken in once every few steps) and an overlap
// scheduler's lag (the step already launched), each against a hand-computed case.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>

#include "hand_pool.hpp"
#include "scenarios.hpp"
#include "tokenplan/model.hpp"

namespace tokenplan {
namespace {

using detail::slot_wait;
using testing::hand_pool;
using testing::hand_request;

// An engine that admits prompts every few steps holds each one a uniform share of the steps beyond
// the next. Every prompt prefills in 0.1 s and the hold is uniform on [0, 0.2 s]: with no wait the
// TTFT is uniform on [0.1, 0.3], so its median is 0.2, its p90 0.28 and its p99 0.298. With a fifth
// of the arrivals waiting at rate 10/s: P(TTFT > t) = (1 / 0.2) x integral over the hold h of
// 0.2 e^(-10 (t - 0.1 - h)) = 0.1 (1 - e^-2) e^(-10 (t - 0.3)) past 0.3, so the p99 is
// 0.3 + ln(8.64665) / 10 = 0.51572 (8 hold points: within 0.26% of the tail, 3e-4 s).
TEST(LatencyDist, AnAdmissionHoldIsUniformOverItsSteps) {
  double len[detail::prompt_points], prob[detail::prompt_points], pre[detail::prompt_points];
  detail::prompt_grid(1000.0, 0.0, len, prob);
  for (int i = 0; i < detail::prompt_points; ++i) pre[i] = 0.1;
  const slot_wait none{0.0, 1.0}, w{0.2, 10.0};
  EXPECT_NEAR(detail::ttft_quantile(pre, prob, none, none, 0.5, 0.2), 0.2, 1e-9);
  EXPECT_NEAR(detail::ttft_quantile(pre, prob, none, none, 0.1, 0.2), 0.28, 1e-9);
  EXPECT_NEAR(detail::ttft_quantile(pre, prob, none, none, 0.01, 0.2), 0.298, 1e-9);
  const double exact = 0.3 + std::log(0.1 * (1.0 - std::exp(-2.0)) / 0.01) / 10.0;
  EXPECT_NEAR(exact, 0.51572, 1e-5);
  EXPECT_NEAR(detail::ttft_quantile(pre, prob, w, none, 0.01, 0.2), exact, 3e-4);
  // An explicit zero hold is the plain sum: the closed form above, 0.1 + ln(20) / 10.
  EXPECT_NEAR(detail::ttft_quantile(pre, prob, w, none, 0.01, 0.0), 0.1 + std::log(20.0) / 10.0, 1e-9);
  // The hand pool admitting prompts every 9 steps: 8 cycles of 25 ms beyond the next step, a hold
  // uniform on [0, 0.2 s] after the prompt's own 42.5 ms: mean 142.5 ms, p99 42.5 + 198 ms.
  model_spec m = testing::llama8b_shape();
  workload_spec wl = testing::plain_workload(1e9, 1000.0, 100.0, 1.0, 1e9, 1e9);
  wl.admission_steps = 9.0;
  const metrics r = hand_pool();
  detail::request_terms q = hand_request(1000.0);
  q.hold_steps = 8.0;
  EXPECT_NEAR(detail::admission_hold_s(q, false, r.main), 0.2, 1e-15);
  EXPECT_EQ(detail::admission_hold_s(q, true, r.main), 0.0);  // a prefill pool schedules every step
  const latency_dist l = detail::latency_at(m, wl, q, false, 1.0, r, 0.0, 0.0);
  EXPECT_NEAR(l.ttft_mean_s, 0.0425 + 0.1, 1e-12);
  EXPECT_NEAR(l.ttft_p99_s, 0.0425 + 0.198, 1e-9);
  EXPECT_NEAR(l.ttft_p50_s, 0.0425 + 0.1, 1e-9);
  EXPECT_EQ(l.tpot_p99_s, detail::latency_at(m, wl, hand_request(1000.0), false, 1.0, r, 0.0, 0.0).tpot_p99_s);
}

// One GPU of the hand GPU serving the Llama-8B shape, 1,000-token prompts and 200-token answers,
// 2,048-token chunks and 64 sequences: the request terms of its workload `w`, the planned TTFT
// before queueing at a mean cycle of 25 ms, and the slot hold of a TTFT of 0.3 s with 200 answer
// tokens at 20 ms.
struct one_gpu_pool {
  model_spec m = testing::llama8b_shape();
  gpu_spec g = testing::hand_gpu();
  site_spec site = testing::make_site(g, 8);
  workload_spec w = testing::plain_workload(1e9, 1000.0, 200.0, 1.0, 1e9, 1e9);
  serving_config c = [] {
    serving_config x{};
    x.main = pool_config{layout{1, 1, 1, 1}, 2048u, 64u};
    x.wprec = prec_bf16;
    x.kvprec = prec_bf16;
    return x;
  }();
  detail::pool_view v = detail::make_view(m, g, c.main.lay, c.wprec, c.kvprec);

  detail::request_terms terms() const { return detail::make_request_terms(m, w, site, c); }
  double planned_ttft() const {
    const detail::request_terms q = terms();
    pool_metrics d{};
    const detail::step_load s = detail::main_pool_load(w, c, v, q, false, d);
    d.cycle_s = 0.025;
    return detail::aggregated_ttft(m, g, v, s, 2048.0, q, false, d);
  }
  pool_metrics queued(double chunk_tokens = 0.0) const {
    pool_metrics d{};
    d.concurrency = 64.0;
    d.cycle_s = 0.025;
    d.tpot_s = 0.020;
    d.chunk_tokens = chunk_tokens;
    detail::aggregated_queueing(w, terms(), 0.3, false, d);
    return d;
  }
};

// The workload's admission_steps reaches the request terms as the steps beyond the next one (0 and
// 1 alike mean every step), and the planned TTFT before queueing carries the longest hold, those
// steps at the mean cycle: 8 x 25 ms = 0.2 s more for admission every 9 steps.
TEST(LatencyDist, PlannedTtftCarriesTheLongestHold) {
  one_gpu_pool p;
  auto base = [&](double steps) {
    p.w.admission_steps = steps;
    return std::make_pair(p.terms().hold_steps, p.planned_ttft());
  };
  EXPECT_EQ(base(0.0).first, 0.0);
  EXPECT_EQ(base(1.0).first, 0.0);
  EXPECT_EQ(base(9.0).first, 8.0);
  EXPECT_EQ(base(0.0).second, base(1.0).second);
  EXPECT_NEAR(base(9.0).second - base(1.0).second, 0.2, 1e-12);
  // A held prompt has no slot yet: the slot is held from admission, its prefill and its 200
  // answer tokens at 20 ms, not the hold. A TTFT of 0.3 s with 0.2 s of hold: 0.1 + 4 = 4.1 s.
  p.w.admission_steps = 9.0;
  EXPECT_NEAR(p.queued().queue_hold_s, 4.1, 1e-12);
}

// An overlap scheduler (SGLang's event loop, TensorRT-LLM's PyTorch executor) launches step k+1
// while step k runs and takes in new requests only then: a prompt that arrives during step k waits
// out its rest (half a cycle on average, as before), then step k+1, already launched, then its
// own prefill. One more cycle, exactly: the hand pool's 25 ms. Every quantile of a prompt that
// never waits for a slot moves by it, the planned TTFT before queueing too; the prompt holds its
// slot through the launched step; a closed loop's user waits it out on each turn.
TEST(LatencyDist, AnOverlapSchedulerWaitsOutTheLaunchedStep) {
  model_spec m = testing::llama8b_shape();
  workload_spec wl = testing::plain_workload(1e9, 1000.0, 100.0, 1.0, 1e9, 1e9);
  const metrics r = hand_pool();
  detail::request_terms q = hand_request(1000.0);
  const latency_dist plain = detail::latency_at(m, wl, q, false, 1.0, r, 0.0, 0.0);
  EXPECT_NEAR(plain.ttft_mean_s, 0.0425, 1e-12);  // 0.5 x 25 ms to the next step + 30 ms of prefill
  q.lag_steps = 1.0;
  const latency_dist lag = detail::latency_at(m, wl, q, false, 1.0, r, 0.0, 0.0);
  EXPECT_NEAR(lag.ttft_mean_s, 0.0425 + 0.025, 1e-12);
  EXPECT_NEAR(lag.ttft_p50_s - plain.ttft_p50_s, 0.025, 1e-9);
  EXPECT_NEAR(lag.ttft_p99_s - plain.ttft_p99_s, 0.025, 1e-9);
  EXPECT_EQ(lag.tpot_p99_s, plain.tpot_p99_s);  // the steps themselves do not change

  one_gpu_pool p;
  auto base = [&](double lag_steps) {
    p.w.scheduler_lag_steps = lag_steps;
    return std::make_pair(p.terms().lag_steps, p.planned_ttft());
  };
  EXPECT_EQ(base(0.0).first, 0.0);
  EXPECT_EQ(base(1.0).first, 1.0);
  EXPECT_NEAR(base(1.0).second - base(0.0).second, 0.025, 1e-12);
  // A disaggregated prefill pool's scheduler lags the same way: one of its own cycles.
  auto prefill_ttft = [&](double lag_steps) {
    p.w.scheduler_lag_steps = lag_steps;
    pool_metrics f{};
    detail::prefill_pool_cycle(p.m, p.g, p.v, 2048.0, 1000.0, p.c.kvprec, p.terms(), f);
    return std::make_pair(f.cycle_s, f.ttft_s);
  };
  EXPECT_GT(prefill_ttft(1.0).first, 0.0);
  EXPECT_NEAR(prefill_ttft(1.0).second - prefill_ttft(0.0).second, prefill_ttft(1.0).first, 1e-12);
  // The slot: the prompt is taken in, its slot allocated, as the launched step starts, so a TTFT
  // of 0.3 s (25 ms of it the launched step), then 200 tokens at 20 ms: 0.3 + 4 = 4.3 s, as
  // without the lag (the lag is in the TTFT, not taken out of the hold as a hold's steps are).
  p.w.scheduler_lag_steps = 1.0;
  EXPECT_NEAR(p.queued().queue_hold_s, 4.3, 1e-12);
  // A closed loop: each turn decodes 200 x 20 ms = 4 s and spends on its own 1,000-token prompt
  // one 1,000-token chunk (25 ms), half a cycle to the next step and the launched step (37.5 ms):
  // a utilisation of 4 / 4.0625.
  p.w.closed_loop = true;
  EXPECT_NEAR(p.queued(1000.0).utilisation, 4.0 / 4.0625, 1e-12);
}

}  // namespace
}  // namespace tokenplan
