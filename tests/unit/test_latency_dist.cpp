// Latency as a distribution (latency_dist.hpp), the closed loop of a fixed concurrency and the
// last partial prefill chunk (latency.hpp), each against a hand-computed case.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "hand_pool.hpp"
#include "scenarios.hpp"
#include "tokenplan/model.hpp"

namespace tokenplan {
namespace {

using detail::slot_wait;
using testing::hand_pool;
using testing::hand_request;

// An aggregated BF16 configuration on one GPU: TP 1, 2,048-token chunks, `batch` sequences.
serving_config one_gpu_bf16(std::uint32_t batch) {
  serving_config c{};
  c.wprec = prec_bf16;
  c.kvprec = prec_bf16;
  c.mode = mode_aggregated;
  c.main = pool_config{layout{1, 1, 1, 1}, 2048u, batch};
  return c;
}

// One wait: P(W > x) = p e^(-r x); two: the atoms times each tail plus the hypoexponential part.
TEST(LatencyDist, WaitSurvivalByHand) {
  const slot_wait none{0.0, 1.0};
  EXPECT_NEAR(detail::wait_survival(slot_wait{0.5, 2.0}, none, 1.0), 0.5 * std::exp(-2.0), 1e-14);
  EXPECT_EQ(detail::wait_survival(slot_wait{0.5, 2.0}, none, -0.1), 1.0);
  // Both always wait, rates 1 and 2: (2 e^-1 - 1 e^-2) / (2 - 1) = 0.600424...
  EXPECT_NEAR(detail::wait_survival(slot_wait{1.0, 1.0}, slot_wait{1.0, 2.0}, 1.0), 2.0 * std::exp(-1.0) - std::exp(-2.0),
              1e-14);
  // Equal rates: Erlang-2, (1 + r x) e^(-r x) = 2 e^-1 at r = x = 1.
  EXPECT_NEAR(detail::wait_survival(slot_wait{1.0, 1.0}, slot_wait{1.0, 1.0}, 1.0), 2.0 * std::exp(-1.0), 1e-14);
  // At 0: the chance that either waits, 1 - (1 - 0.2)(1 - 0.5) = 0.6.
  EXPECT_NEAR(detail::wait_survival(slot_wait{0.2, 3.0}, slot_wait{0.5, 7.0}, 0.0), 0.6, 1e-14);
}

// Every prompt prefills in 0.1 s; a fifth of the arrivals wait, at rate 10/s. Then
// P(TTFT > t) = 0.2 e^(-10 (t - 0.1)): p99 = 0.1 + ln(20) / 10, p90 = 0.1 + ln(2) / 10, and the
// median is the prefill alone (80% never wait). The mean adds p / r = 0.02 s.
TEST(LatencyDist, QuantileOfPrefillPlusWaitByHand) {
  double len[detail::prompt_points], prob[detail::prompt_points], pre[detail::prompt_points];
  detail::prompt_grid(1000.0, 0.0, len, prob);
  double total = 0.0;
  for (int i = 0; i < detail::prompt_points; ++i) {
    EXPECT_NEAR(len[i], 1000.0, 1e-9);
    pre[i] = 0.1;
    total += prob[i];
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  const slot_wait w{0.2, 10.0}, none{0.0, 1.0};
  EXPECT_NEAR(detail::ttft_quantile(pre, prob, w, none, 0.01), 0.1 + std::log(20.0) / 10.0, 1e-9);
  EXPECT_NEAR(detail::ttft_quantile(pre, prob, w, none, 0.1), 0.1 + std::log(2.0) / 10.0, 1e-9);
  EXPECT_NEAR(detail::ttft_quantile(pre, prob, w, none, 0.5), 0.1, 1e-9);
}

// The p99 of a sum is not the sum of the p99s: lognormal prompts (sigma 0.5, mean 1000) whose
// prefill costs 1 ms per token, plus the wait above. The prompt's own p99 is
// 1000 e^(-0.125 + 2.3263 x 0.5) = 2826 tokens (2.826 s); the wait's p99 is ln(20) / 10 = 0.30 s; the
// p99 of their sum lies above the larger part and below the two added.
TEST(LatencyDist, P99OfTheSumIsBelowTheSumOfP99s) {
  double len[detail::prompt_points], prob[detail::prompt_points], pre[detail::prompt_points];
  detail::prompt_grid(1000.0, 0.25, len, prob);
  double mean = 0.0;
  for (int i = 0; i < detail::prompt_points; ++i) {
    pre[i] = 1e-3 * len[i];
    mean += prob[i] * len[i];
  }
  EXPECT_NEAR(mean, 1000.0, 1.0);  // the grid keeps the lognormal's mean
  const slot_wait none{0.0, 1.0};
  const double prompt_p99 = detail::ttft_quantile(pre, prob, none, none, 0.01);
  EXPECT_NEAR(prompt_p99, 2.826, 2.826 * 0.01);  // a grid of 81 points, bins spread evenly
  const double both = detail::ttft_quantile(pre, prob, slot_wait{0.2, 10.0}, none, 0.01);
  EXPECT_GT(both, prompt_p99);
  EXPECT_LT(both, prompt_p99 + std::log(20.0) / 10.0);
}

// A pool that prefills 1000 tokens a step: decode-only cycle 20 ms, 10 us per prompt token, so a
// full chunk's cycle is 30 ms; average cycle 25 ms. A 2,500-token prompt: half a cycle, two full
// chunks, and its last 500 tokens at their real size: 12.5 + 60 + 25 = 97.5 ms (not 102.5).
TEST(LatencyDist, LastPartialChunkCostsItsRealSize) {
  pool_metrics d{};
  d.chunk_tokens = 1000.0;
  d.cycle_decode_s = 0.020;
  d.prefill_s_per_token = 1e-5;
  d.cycle_s = 0.025;
  EXPECT_NEAR(detail::aggregated_prefill_s(d, 2500.0), 0.0975, 1e-12);
  EXPECT_NEAR(detail::aggregated_prefill_s(d, 2000.0), 0.0725, 1e-12);
}

// The same pool with the step costed at shorter chunks (full chunk 1,000 tokens, 10 ms over the
// decode-only cycle): 2 ms at 15.625 tokens (1/64), 4 ms at 62.5 (1/16), 6 ms at 250 (1/4). The
// extra is piecewise linear through them: 1 ms at 7.8125, 5 ms at 156.25, 8 ms at 625; past the
// full chunk the last piece's slope (4 ms per 750 tokens): 11.6 ms at 1,300. A prompt of 2,062.5
// tokens: two full chunks (2 x 30 ms), 62.5 tokens (20 + 4 ms) and half a cycle: 96.5 ms (on the
// affine line 20.625 + 60 + 12.5 = 93.125 ms).
TEST(LatencyDist, ShortChunksFollowTheCostedCurve) {
  pool_metrics d{};
  d.chunk_tokens = 1000.0;
  d.cycle_decode_s = 0.020;
  d.prefill_s_per_token = 1e-5;
  d.cycle_s = 0.025;
  d.prefill_curve_tokens = 1000.0;
  d.prefill_curve_s[0] = 0.002;
  d.prefill_curve_s[1] = 0.004;
  d.prefill_curve_s[2] = 0.006;
  EXPECT_EQ(detail::aggregated_chunk_extra_s(d, 0.0), 0.0);
  EXPECT_NEAR(detail::aggregated_chunk_extra_s(d, 7.8125), 0.001, 1e-15);
  EXPECT_NEAR(detail::aggregated_chunk_extra_s(d, 62.5), 0.004, 1e-15);
  EXPECT_NEAR(detail::aggregated_chunk_extra_s(d, 156.25), 0.005, 1e-15);
  EXPECT_NEAR(detail::aggregated_chunk_extra_s(d, 625.0), 0.008, 1e-15);
  EXPECT_NEAR(detail::aggregated_chunk_extra_s(d, 1000.0), 0.010, 1e-15);
  EXPECT_NEAR(detail::aggregated_chunk_extra_s(d, 1300.0), 0.0116, 1e-15);
  EXPECT_NEAR(detail::aggregated_prefill_s(d, 2062.5), 0.0965, 1e-12);
  d.prefill_curve_tokens = 0.0;  // not costed: the affine line
  EXPECT_NEAR(detail::aggregated_prefill_s(d, 2062.5), 0.093125, 1e-12);
}

// The curve a full evaluation costs. An MoE step at batch 8 reads the experts its tokens touch:
// a 1/64 chunk already touches far more of them than its share, so the extra per prompt token
// falls as the chunk grows (concave). A dense step at batch 8 is memory-bound: the first tokens
// ride on the weight read, so the 1/64 chunk costs less than its share of the full chunk.
TEST(LatencyDist, ShortChunkCostIsConcaveForMoeAndConvexForADenseMemoryBoundStep) {
  auto p = testing::hand_problem();
  serving_config c = one_gpu_bf16(8u);
  p->workload.input_tail = 4000.0;
  const pool_metrics dense = evaluate_config(*p, c, eval_report).m.main;
  ASSERT_GT(dense.prefill_curve_tokens, 0.0);
  const double dense_full = dense.prefill_s_per_token * dense.prefill_curve_tokens;
  EXPECT_LT(dense.prefill_curve_s[0], dense_full / 64.0);
  p->model = testing::deepseek_v3_shape();
  p->sites[0].gpu.hbm_bytes = 141 * testing::gib;  // an H200's HBM: DeepSeek-V3 in FP8 on 8
  p->workload.ttft_slo_s = 100.0;                    // the SLOs of a small dense model do not bind it
  p->workload.tpot_slo_s = 1.0;
  c.main = pool_config{layout{8, 1, 1, 1}, 2048u, 8u};
  c.wprec = prec_fp8;
  c.kvprec = prec_fp8;
  const evaluation moe_eval = evaluate_config(*p, c, eval_report);
  ASSERT_EQ(moe_eval.reason, reason_feasible);
  const pool_metrics& moe = moe_eval.m.main;
  ASSERT_GT(moe.prefill_curve_tokens, 0.0);
  double last_per_token = 1e30, last = 0.0;
  for (int k = 0; k <= detail::prefill_curve_points; ++k) {
    const bool full = k == detail::prefill_curve_points;
    const double x = moe.prefill_curve_tokens * (full ? 1.0 : detail::prefill_curve_fraction(k));
    const double extra = full ? moe.prefill_s_per_token * moe.prefill_curve_tokens : moe.prefill_curve_s[k];
    EXPECT_GT(extra, last) << "point " << k;
    EXPECT_LT(extra / x, last_per_token) << "point " << k;
    last = extra;
    last_per_token = extra / x;
  }
  // Planned-load TTFT quantiles read the curve: a full evaluation without it (the affine line)
  // gives a lower p50 for the MoE step, whose short prompts touch every expert.
  pool_metrics affine = moe;
  affine.prefill_curve_tokens = 0.0;
  EXPECT_GT(detail::aggregated_prefill_s(moe, 500.0), detail::aggregated_prefill_s(affine, 500.0));
}

// TPOT of the same pool, OSL 100, half the steps carry a chunk (500 prompt tokens per step of a
// 1000 room): the mean is the average cycle, 25 ms; a request averages 100 steps, so its p99 is
// 25 ms + 2.3263 sqrt(0.5 x 0.5 / 100) x 10 ms = 26.163 ms; one step's p99 is a full-chunk cycle,
// its median (ITL p50) a decode-only one, 20 ms.
TEST(LatencyDist, TpotTailFromTheStepsThatCarryAChunk) {
  model_spec m = testing::llama8b_shape();
  workload_spec w = testing::plain_workload(1e9, 1000.0, 100.0, 1.0, 1e9, 1e9);
  const detail::request_terms q = hand_request(1000.0);
  const metrics r = hand_pool();
  const latency_dist l = detail::latency_at(m, w, q, false, 1.0, r, 0.0, 0.0);
  EXPECT_NEAR(l.tpot_mean_s, 0.025, 1e-15);
  EXPECT_NEAR(l.tpot_p99_s, 0.025 + 2.3263478740408408 * 0.05 * 0.010, 1e-12);
  EXPECT_NEAR(l.itl_p99_s, 0.030, 1e-15);
  // The median gap: at most half the steps carry a chunk (here exactly half), so a decode-only one.
  EXPECT_NEAR(l.itl_p50_s, 0.020, 1e-15);
  // No wait (utilisation 0), every prompt 1000 tokens: one full chunk and half a cycle.
  EXPECT_NEAR(l.ttft_p99_s, 0.030 + 0.0125, 1e-9);
  EXPECT_NEAR(l.ttft_mean_s, 0.030 + 0.0125, 1e-9);
}

// Below full occupancy the steps run faster. Hand pool: prompts a fifth of the full cycle (phi = 0.2),
// 5 sequences a rank, decode-only cycles 11, 14, 17 ms at 1/16, 1/4, 1/2 of them. A request sees
// itself and u of the 4 others: at half load 3/5 of the batch, 17 + 3 x 0.1/0.5 = 17.6 ms, over
// 1 - 0.5 x 0.2: 19.56 ms; a step carries 500 x 0.5 x 19.56/25 prompt tokens, that share of the
// steps the 1,000-token chunk (17.6 + 10 ms). At 0.6: 0.68 of it, 18.08 ms over 0.88; at 0.1: 0.28,
// 14 + 3 x 0.03/0.25 = 14.36 ms over 0.98; with 100 a rank at 0.05: 0.0595, below 1/16, 11 ms over
// 0.99; full: 20/0.8 = 25 ms. Without the costed occupancies, the full decode cycle: 20/0.9 at half.
TEST(LatencyDist, TpotAtALoadBelowFullRunsFasterSteps) {
  model_spec m = testing::llama8b_shape();
  workload_spec w = testing::plain_workload(1e9, 1000.0, 100.0, 1.0, 1e9, 1e9);
  const detail::request_terms q = hand_request(1000.0);
  metrics r = hand_pool();
  pool_metrics& d = r.main;
  d.decode_curve_s[0] = 0.011, d.decode_curve_s[1] = 0.014, d.decode_curve_s[2] = 0.017;
  d.decode_tokens_per_step = 5.0;
  double dec = 0.0;
  EXPECT_NEAR(detail::tpot_cycle_at_load(d, 0.5, 1.0, dec), 0.0176 / 0.9, 1e-15);
  EXPECT_NEAR(dec, 0.0176, 1e-15);
  EXPECT_NEAR(detail::tpot_cycle_at_load(d, 0.6, 1.0, dec), 0.01808 / 0.88, 1e-15);
  EXPECT_NEAR(detail::tpot_cycle_at_load(d, 0.1, 1.0, dec), 0.01436 / 0.98, 1e-15);
  EXPECT_NEAR(detail::tpot_cycle_at_load(d, 1.0, 1.0, dec), 0.025, 1e-15);
  const latency_dist half = detail::latency_at(m, w, q, false, 1.0, r, 0.5, 0.0);
  const double cycle = 0.0176 / 0.9, share = 500.0 * 0.5 * cycle / 0.025 / 1000.0;
  EXPECT_NEAR(half.tpot_mean_s, cycle, 1e-15);
  EXPECT_NEAR(half.tpot_p99_s, cycle + 2.3263478740408408 * std::sqrt(share * (1.0 - share) / 100.0) * 0.010, 1e-12);
  EXPECT_NEAR(half.itl_p99_s, 0.0276, 1e-15);
  EXPECT_NEAR(half.itl_p50_s, 0.0176, 1e-15);  // a fifth of the steps carry a chunk: the median is decode-only
  EXPECT_NEAR(detail::latency_at(m, w, q, false, 1.0, r, 1.0, 0.0).tpot_mean_s, 0.025, 1e-15);  // full: the sizing's
  EXPECT_NEAR(detail::latency_at(m, w, q, false, 1.0, r, 0.0, 0.0).tpot_mean_s, 0.025, 1e-15);
  w.closed_loop = true;  // a closed loop keeps its users decoding: the full cycle at any utilisation
  EXPECT_NEAR(detail::latency_at(m, w, q, false, 1.0, r, 0.5, 0.0).tpot_mean_s, 0.025, 1e-15);
  d.decode_tokens_per_step = 100.0;
  EXPECT_NEAR(detail::tpot_cycle_at_load(d, 0.05, 1.0, dec), 0.011 / 0.99, 1e-15);
  d.decode_curve_s[0] = d.decode_curve_s[1] = d.decode_curve_s[2] = 0.0;
  EXPECT_NEAR(detail::tpot_cycle_at_load(d, 0.5, 1.0, dec), 0.020 / 0.9, 1e-15);
}

// Answers of spread lengths: a short answer averages few steps, so the short answers set the p99
// TPOT over requests. The hand pool (mean cycle 25 ms, half the steps carry a 10 ms longer chunk:
// one step spreads by 5 ms): with every answer 100 tokens the p99 is 25 + 2.3263 x 5 / 10 ms
// (26.163 ms, as above); with the same mean and a coefficient of variation of 1 it is the TPOT that
// 1% of requests exceed, checked here by integrating the lognormal finely (20,001 points from
// z = -8 to 8), independently of the model's 81-point grid; at most the full-chunk cycle, 30 ms.
TEST(LatencyDist, ShortAnswersSetTheP99Tpot) {
  workload_spec w = testing::plain_workload(1e9, 1000.0, 100.0, 1.0, 1e9, 1e9);
  const detail::request_terms q = hand_request(1000.0);
  const metrics r = hand_pool();
  latency_dist fixed{}, spread{}, wider{};
  w.output_sq_mean = 100.0 * 100.0;
  detail::tpot_tail(w, q, false, 1.0, r, fixed);
  EXPECT_NEAR(fixed.tpot_p99_s, 0.025 + 2.3263478740408408 * 0.05 * 0.010, 1e-12);
  w.output_sq_mean = 2.0 * 100.0 * 100.0;  // CV 1
  detail::tpot_tail(w, q, false, 1.0, r, spread);
  w.output_sq_mean = 5.0 * 100.0 * 100.0;  // CV 2
  detail::tpot_tail(w, q, false, 1.0, r, wider);
  EXPECT_GT(spread.tpot_p99_s, fixed.tpot_p99_s);
  EXPECT_GT(wider.tpot_p99_s, spread.tpot_p99_s);
  EXPECT_LE(wider.tpot_p99_s, 0.030);
  EXPECT_EQ(spread.tpot_mean_s, 0.025);
  // The share of requests above the p99, integrated over a fine lognormal (sigma^2 = ln 2).
  const double sigma = std::sqrt(std::log(2.0));
  double over = 0.0, total = 0.0;
  for (int i = 0; i <= 20000; ++i) {
    const double z = -8.0 + 16.0 * i / 20000.0;
    const double density = std::exp(-0.5 * z * z);
    const double answer = 100.0 * std::exp(sigma * z - 0.5 * sigma * sigma);
    const double steps = std::max(1.0, answer);
    const double sd = 0.005 / std::sqrt(steps);
    over += density * 0.5 * std::erfc((spread.tpot_p99_s - 0.025) / sd / std::sqrt(2.0));
    total += density;
  }
  EXPECT_NEAR(over / total, 0.01, 0.001);
}

// Prompts queue for the prefill room. A pool whose steps leave 1,000 tokens of room, 500 prompt
// tokens per step at full occupancy, run at 80%: the room is busy rho = 0.8 x 500 / 1,000 = 0.4.
// Every prompt 500 tokens (E[L^2] / E[L] = 500), a full-chunk cycle 20 ms + 1e-5 s x 1,000 =
// 30 ms per 1,000 tokens: the mean wait is 0.4 / 0.6 x 250 x 30 us = 5 ms, and P(wait > x) =
// 0.4 e^(-80 x). With no slot queue (no slots), the TTFT is the prefill of the prompt's step (its
// own tokens and the 400 of the others that share it, prefill_grid) plus that wait; idle, the
// prompt's own 25 ms cycle after half a 25 ms cycle, 37.5 ms, and no wait.
TEST(LatencyDist, PromptsQueueForThePrefillRoom) {
  model_spec m = testing::llama8b_shape();
  workload_spec w = testing::plain_workload(1e9, 500.0, 100.0, 1.0, 1e9, 1e9);
  const detail::request_terms q = hand_request(500.0);
  metrics r = hand_pool();
  pool_metrics& d = r.main;
  const detail::slot_wait b = detail::prefill_room_wait(w, q, 1.0, d, 0.8);
  EXPECT_NEAR(b.p, 0.4, 1e-15);
  EXPECT_NEAR(b.p / b.r, 0.005, 1e-15);
  EXPECT_NEAR(detail::step_companion_tokens(w, false, 1.0, d, 0.8), 400.0, 1e-12);
  double pre[detail::prompt_points], prob[detail::prompt_points];
  const double own_step = detail::prefill_grid(m, w, q, false, r, pre, prob, 400.0);
  const latency_dist l = detail::latency_at(m, w, q, false, 1.0, r, 0.8, 0.0);
  EXPECT_NEAR(l.ttft_mean_s, own_step + 0.005, 1e-12);
  EXPECT_GT(l.ttft_mean_s, 0.0375 + 0.005);
  EXPECT_GT(l.ttft_p99_s, 0.0375 + std::log(40.0) / 80.0);
  EXPECT_NEAR(detail::latency_at(m, w, q, false, 1.0, r, 0.0, 0.0).ttft_mean_s, 0.0375, 1e-12);
  // Two ranks share the same prompts: each room is half as busy. Idle, no wait.
  EXPECT_NEAR(detail::prefill_room_wait(w, q, 2.0, d, 0.8).p, 0.2, 1e-15);
  EXPECT_EQ(detail::prefill_room_wait(w, q, 1.0, d, 0.0).p, 0.0);
  // A closed loop takes turns: neither wait, and its step carries only the other users' prompts.
  w.closed_loop = true;
  d.decode_tokens_per_step = 5.0;
  const double others = detail::step_companion_tokens(w, false, 1.0, d, 0.8);
  EXPECT_NEAR(others, 400.0 * 4.0 / 5.0, 1e-12);
  EXPECT_NEAR(detail::latency_at(m, w, q, false, 1.0, r, 0.8, 0.0).ttft_mean_s,
              detail::prefill_grid(m, w, q, false, r, pre, prob, others), 1e-12);
}

// A step takes in every prompt that arrived on its rank while the step before it ran, so a
// prompt's step also prefills the others of its window. A pool with room for every prompt (no
// chunk boundary), decode-only cycle 20 ms, 10 us per prompt token, average cycle 25 ms, 500
// prompt tokens a step at full occupancy, prompts of 500 tokens: at 80% load a step carries 400
// of them (200 a rank over 2 ranks; none idle, none disaggregated). The step's prompt tokens are
// 500 + a Poisson number (mean 0.8) of 500-token prompts: mean 900, E[X^2] = 500^2 + 2 x 500 x 400
// + 400^2 + 400 x 500 = 1,010,000, a lognormal of sigma^2 = ln(1,010,000 / 900^2) = 0.220671.
// TTFT: half a cycle, the decode-only cycle and the step's tokens: mean 12.5 + 20 + 9 = 41.5 ms;
// p99 at 900 e^(-sigma^2 / 2 + 2.3263 sigma) = 2,404 tokens: 56.54 ms (idle: 37.5 ms, no spread).
TEST(LatencyDist, APromptSharesItsStepWithTheOthersOfItsWindow) {
  model_spec m = testing::llama8b_shape();
  workload_spec w = testing::plain_workload(1e9, 500.0, 100.0, 1.0, 1e9, 1e9);
  const detail::request_terms q = hand_request(500.0);
  metrics r = hand_pool();
  pool_metrics& d = r.main;
  d.chunk_tokens = 1e9;  // room for every prompt and its companions: no chunk boundary
  EXPECT_NEAR(detail::step_companion_tokens(w, false, 1.0, d, 0.8), 400.0, 1e-12);
  EXPECT_NEAR(detail::step_companion_tokens(w, false, 2.0, d, 0.8), 200.0, 1e-12);
  EXPECT_EQ(detail::step_companion_tokens(w, false, 1.0, d, 0.0), 0.0);
  EXPECT_EQ(detail::step_companion_tokens(w, true, 1.0, d, 0.8), 0.0);
  double pre[detail::prompt_points], prob[detail::prompt_points];
  const double mean = detail::prefill_grid(m, w, q, false, r, pre, prob, 400.0);
  EXPECT_NEAR(mean, 0.0415, 1e-5);  // the grid keeps the lognormal's mean within 0.1%
  const slot_wait none{0.0, 1.0};
  EXPECT_NEAR(detail::ttft_quantile(pre, prob, none, none, 0.01), 0.05654, 0.05654 * 0.01);
  const double idle = detail::prefill_grid(m, w, q, false, r, pre, prob, 0.0);
  EXPECT_NEAR(idle, 0.0375, 1e-12);
  EXPECT_NEAR(detail::ttft_quantile(pre, prob, none, none, 0.01), 0.0375, 1e-9);
}

// An engine that admits more requests than the decode batch the TPOT allows serves the same
// arrivals on more slots. 100 slots held 10 s at 90%: 9 arrivals a second, a = 90 in service.
// Admitting 400: the same a = 90 on c = 400 (occupancy 0.225), so the wait drains at
// (c - a) / hold = 31 a second instead of 1, and hardly anyone waits. Plans (admission equal to
// the batch, or unset) keep the M/M/c of the batch.
TEST(LatencyDist, AnEngineAdmittingMoreThanTheBatchSpreadsTheSlotQueue) {
  pool_metrics d{};
  d.queue_slots = 100.0;
  d.queue_hold_s = 10.0;
  const detail::slot_wait plan = detail::mmc_wait(100.0, 10.0, 0.9);
  EXPECT_NEAR(plan.r, 1.0, 1e-12);
  for (double admission : {0.0, 100.0}) {
    d.admission_slots = admission;
    const detail::slot_wait s = detail::slot_queue_wait(d, 0.9);
    EXPECT_EQ(s.p, plan.p);
    EXPECT_EQ(s.r, plan.r);
  }
  d.admission_slots = 400.0;
  const detail::slot_wait wide = detail::slot_queue_wait(d, 0.9);
  EXPECT_NEAR(wide.r, 31.0, 1e-12);
  EXPECT_EQ(wide.p, detail::mmc_wait(400.0, 10.0, 0.225).p);
  EXPECT_LT(wide.p, 1e-12);
  EXPECT_GT(plan.p, 0.1);
}

// The occupancy a p99 TPOT allows without an admission cap: n + 0.858 x 2.326 sqrt(n) = batch.
// batch 117: k = 1.99546, sqrt(n) = (sqrt(3.98185 + 468) - 1.99546) / 2 = 9.86484, n = 97.3151;
// batch 1878: sqrt(n) = (sqrt(3.98185 + 7512) - 1.99546) / 2 = 42.3497, n = 1793.49.
TEST(LatencyDist, PoissonOccupancyUnderABatchByHand) {
  EXPECT_NEAR(queueing::poisson_occupancy_within(117.0, detail::z_p99), 97.3151, 1e-3);
  EXPECT_NEAR(queueing::poisson_occupancy_within(1878.0, detail::z_p99), 1793.49, 1e-2);
  EXPECT_EQ(queueing::poisson_occupancy_within(0.0, detail::z_p99), 0.0);
  EXPECT_DOUBLE_EQ(queueing::poisson_occupancy_within(50.0, 0.0), 50.0);
  // A larger batch carries a larger share of itself: the spread grows as its square root.
  EXPECT_LT(queueing::poisson_occupancy_within(117.0, detail::z_p99) / 117.0,
            queueing::poisson_occupancy_within(1878.0, detail::z_p99) / 1878.0);
}

// A closed loop of 4 users has no admission queue: each slot is busy but for its own prompt. With
// OSL 100 at 20 ms the slot decodes 2 s a turn; a 500-token prompt fits one 1000-token step
// (one 20 ms cycle) after half a cycle, 30 ms: utilisation 2 / 2.03.
TEST(LatencyDist, ClosedLoopHasNoQueue) {
  workload_spec w = testing::plain_workload(1e9, 500.0, 100.0, 1.0, 1e9, 1e9);
  w.closed_loop = true;
  detail::request_terms q{};
  q.isl_new = 500.0;
  q.osl = 100.0;
  pool_metrics d{};
  d.concurrency = 4.0;
  d.tpot_s = 0.020;
  d.cycle_s = 0.020;
  d.chunk_tokens = 1000.0;
  detail::aggregated_queueing(w, q, 0.05, false, d);
  EXPECT_NEAR(d.utilisation, 2.0 / 2.03, 1e-12);
  EXPECT_EQ(d.queue_wait_s, 0.0);
}

// The cause of the millions of milliseconds: with no SLO (1e9 s) an open queue is run at 99.9%
// of 4 slots, where the p99 wait is ln(100 P(wait)) x hold / 0.004, about 1,150 holds. A closed
// loop of the same 4 users delivers TTFT of the order of its prefill, and its distribution with it.
TEST(LatencyDist, FixedConcurrencyTtftIsThePrefillNotAnOpenQueue) {
  auto p = testing::hand_problem();
  p->workload.ttft_slo_s = 1e9;
  p->workload.tpot_slo_s = 1e9;
  serving_config c = one_gpu_bf16(4u);
  const evaluation open = evaluate_config(*p, c, eval_report);
  ASSERT_EQ(open.reason, reason_feasible);
  EXPECT_GT(open.m.ttft_s, 100.0 * (open.m.main.tpot_s * 200.0));
  p->workload.closed_loop = true;
  const evaluation closed = evaluate_config(*p, c, eval_report);
  ASSERT_EQ(closed.reason, reason_feasible);
  EXPECT_EQ(closed.m.main.queue_wait_s, 0.0);
  EXPECT_LT(closed.m.ttft_s, 10.0 * closed.m.main.cycle_s);
  // No queue: the prompt's prefill, spread only by the other users' prompts sharing its step.
  EXPECT_GE(closed.m.latency.ttft_p99_s, closed.m.ttft_s);
  EXPECT_LT(closed.m.latency.ttft_p99_s, 2.0 * closed.m.ttft_s);
  EXPECT_GT(closed.m.main.utilisation, 0.9);
  // One user alone shares its steps with nobody: no spread at all.
  const evaluation alone = evaluate_config(*p, one_gpu_bf16(1u), eval_report);
  ASSERT_EQ(alone.reason, reason_feasible);
  EXPECT_NEAR(alone.m.latency.ttft_p99_s, alone.m.ttft_s, 1e-9);
}

// The TPOT tail alone (what validation asks of each MLPerf candidate) is the distribution's TPOT
// bit for bit, and so are the waits without a second queue: a closed loop's TTFT mean and p99.
TEST(LatencyDist, TpotTailAloneIsTheDistributionsTpot) {
  auto p = testing::hand_problem();
  serving_config c = one_gpu_bf16(8u);
  const evaluation e = evaluate_config(*p, c, eval_report);
  ASSERT_EQ(e.reason, reason_feasible);
  const latency_dist t = tpot_tail_of(*p, e);
  // tpot_tail_of is the TPOT at full occupancy (what the SLO sizing checks); the plan's load is
  // below it, where the steps run faster.
  const latency_dist full = latency_at_load(*p, e, 1.0, e.m.prefill.utilisation);
  EXPECT_EQ(t.tpot_mean_s, full.tpot_mean_s);
  EXPECT_EQ(t.tpot_p99_s, full.tpot_p99_s);
  EXPECT_EQ(t.itl_p99_s, full.itl_p99_s);
  EXPECT_EQ(t.ttft_p99_s, 0.0);
  ASSERT_LT(e.m.main.utilisation, 1.0);
  EXPECT_LT(e.m.latency.tpot_mean_s, t.tpot_mean_s);
  EXPECT_LE(e.m.latency.tpot_p99_s, t.tpot_p99_s);
  // wait_survival with no second wait: the general formula's terms, each as it computes them.
  const detail::slot_wait a{0.3, 7.0}, none{0.0, 1.0};
  for (double x : {0.0, 0.01, 0.2, 1.5}) {
    const double ea = queueing::exp_neg(-a.r * x);
    EXPECT_EQ(detail::wait_survival(a, none, x), a.p * (1.0 - none.p) * ea) << x;
  }
  EXPECT_EQ(detail::wait_survival(none, none, 0.5), 0.0);
}

// A prompt one token past the room costs one more token, not a second full chunk.
TEST(LatencyDist, PartialChunkInTheSloSizing) {
  auto p = testing::hand_problem();
  serving_config c = one_gpu_bf16(8u);
  const double room = 2048.0 - 8.0;
  p->workload.input_tail = room;
  const evaluation at_room = evaluate_config(*p, c, eval_report);
  p->workload.input_tail = room + 1.0;
  const evaluation past = evaluate_config(*p, c, eval_report);
  const double chunk_cycle = at_room.m.main.cycle_decode_s + at_room.m.main.prefill_s_per_token * room;
  const double ttft_at = at_room.m.main.ttft_s - at_room.m.main.queue_wait_s;
  const double ttft_past = past.m.main.ttft_s - past.m.main.queue_wait_s;
  EXPECT_NEAR(ttft_at, chunk_cycle + 0.5 * at_room.m.main.cycle_s, 1e-9 * chunk_cycle);
  EXPECT_NEAR(ttft_past - ttft_at, past.m.main.cycle_decode_s + past.m.main.prefill_s_per_token, 1e-9);
}

}  // namespace
}  // namespace tokenplan
