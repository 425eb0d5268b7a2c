// The model against a case computed by hand, plus index decoding and numeric hygiene.
#include <gtest/gtest.h>

#include <cmath>

#include "search/backend.hpp"
#include "scenarios.hpp"
#include "tokenplan/model.hpp"

namespace tokenplan {
namespace {

using testing::gib;
using testing::hand_problem;

// Finds the grid index of (tp, batch) in the hand problem (one site, one precision, pp 1, chunk).
std::uint64_t hand_index(const problem& p, std::uint32_t tp, std::uint32_t batch) {
  for (std::uint64_t i = 0; i < grid_size(p.grid); ++i) {
    serving_config c = decode_index(p.grid, i);
    if (c.main.lay.tp == tp && c.main.batch == batch) return i;
  }
  ADD_FAILURE() << "no index for tp " << tp << " batch " << batch;
  return 0;
}

void expect_within_1pct(double got, double want, const char* what) {
  EXPECT_NEAR(got, want, std::fabs(want) * 0.01) << what;
}

/// An aggregated configuration on site 0.
serving_config agg(std::uint32_t tp, std::uint32_t pp, std::uint32_t batch, std::uint32_t chunk,
                   std::uint8_t wprec = prec_bf16, std::uint8_t kvprec = prec_bf16) {
  serving_config c{};
  c.mode = mode_aggregated;
  c.wprec = wprec;
  c.kvprec = kvprec;
  c.main = pool_config{layout{tp, pp, 1, 1}, chunk, batch};
  return c;
}

// Hand computation of the winner, TP2 x batch 96 (Llama-3.1-8B shape, BF16, 20 GiB GPU):
//
// Memory per GPU. Per layer per GPU: QKV 4096 x (16 + 2x4) x 128 = 12,582,912 params, output
// 2048 x 4096 = 8,388,608, MLP 3 x 4096 x 7168 = 88,080,384, together 109,051,904 x 2 B
// = 218,103,808 B, plus norms 2 x 4096 x 2 B = 16,384 B; x 32 layers = 6,979,846,144 B. Embedding
// and LM head, BF16, split by TP: 2 x 128,256 x 4096 / 2 x 2 B = 1,050,673,152 B.
// Weights = 8,030,519,296 B (7.48 GiB). KV per token = 32 x 2 x 4 heads x 128 x 2 B = 65,536 B;
// 96 sequences x 1,200 tokens -> 7,549,747,200 B needed. Activations for a 2048-token step:
// 2048 x (4096 + 3 x 7168) x 2 B = 104,857,600 B. The KV cache takes 90% of what is left after
// the 2 GiB reserve, weights and activations: (20 GiB - 2 GiB - weights - activations) x 0.9
// = 10,072,778,342 B >= needed: fits.
//
// One step: 96 decode tokens + on average 96 x 1000/200 = 480 prefill tokens. A step carries one
// whole 1000-token prompt (the 2048-token budget leaves 1952) or none: 480 / 1000 = 48% of the
// steps carry 1096 tokens, 52% carry the 96 decodes alone, and the mean step is the mix of the two
// (latency.hpp, main_pool_cycle). Each kernel takes the smooth roofline sqrt(compute^2 + memory^2)
// of its two sides (pool_view.hpp, roofline).
//  linear, per layer: attention projections (QKV + output) 20,971,520 params: 2 x T x params
//    FLOP / (400 TFLOP/s x 0.5) against (41.9 MB weights + T x 13,312 x 2 B of activations) /
//    1.5 TB/s; MLP 88,080,384 params against (176.2 MB + T x 29,696 x 2 B) / 1.5 TB/s.
//    T = 96: 20.13 us against 29.67 us -> 35.85 us; MLP 84.56 against 121.24 -> 147.82 us.
//    T = 1096: 229.85 against 47.42 -> 234.69 us; MLP 965.36 against 160.84 -> 978.67 us.
//    Mean 0.52 x 183.67 + 0.48 x 1,213.35 = 677.92 us; x 32 = 21.69 ms (one step carrying the
//    average 576 tokens would take 20.90 ms: the roofline is convex in the tokens)
//  attention: decode reads 96 x 1100.5 ctx x 2,048 B = 216.4 MB / 1.5 TB/s = 144.3 us; prefill
//    4 x 480 x 500.5 x 16 x 128 FLOP / 200 TFLOP/s = 9.8 us (linear in the prompt tokens: the
//    mix keeps the mean); x 32 = 4.93 ms
//  all-reduce: 2 x (10 us + 2 x 1/2 x 576 x 4096 x 2 B / 200 GB/s) = 67.2 us (linear: the same
//    mean); x 32 = 2.15 ms
//  kernel floor: 32 x (sqrt(w^2 + 10^2) - w) us, w the layer's kernel work (at least 180 us): under
//    0.01 ms; LM head reads 4096 x 64,128 x 2 B / 1.5 TB/s = 350.2 us against 2 x 96 x 4096 x
//    64,128 FLOP / 200 TFLOP/s = 252.2 us: 0.432 ms
//  stage = 29.21 ms; TPOT = stage + 0.5 ms step overhead = 29.71 ms (<= 30 ms SLO)
// Replica: 96 / 29.71 ms = 3,231 output tokens/s = 16.16 requests/s.
// Queueing: the replica is 96 slots, each request holding one for its TTFT (63.4 ms: the 48.0 ms
// step that carries its prompt, 0.5 ms, and half a mean step of waiting) plus 200 x 29.71 ms of
// decode = 6.01 s. The p99 TTFT SLO of 1 s leaves 0.937 s of waiting; by the Halfin-Whitt
// approximation of M/M/c (computed separately in Python with math.erf) the highest utilisation
// keeping the p99 wait inside it is 0.8578. Peak demand: 1e6 tokens/s x 1.5 / 1,200 = 1,250
// requests/s -> ceil(1,250 / (16.16 x 0.8578)) = 91 replicas = 182 GPUs; 4 replicas per 8-GPU
// node -> 23 nodes = 184 GPUs billed.
// Cost: 184 x 2 USD x 24 h = 8,832 + 184 kW x 1.5 PUE x 24 h x 0.1 USD/kWh = 662.4
// -> 9,494.4 USD/day.
//
// Alternatives: TP1 from batch 32 up does not fit (KV needs 5.03 GB, 2.77 GB left); TP2 x 128
// breaks the TPOT SLO (38.02 ms); TP4 x 128 costs 9,907.2 USD/day (192 GPUs billed), TP4 x 96
// 10,320 (200).
TEST(HandComputed, TopConfigurationMatchesHandArithmetic) {
  auto p = hand_problem();
  std::unique_ptr<backend> cpu = make_cpu_backend(2);
  search_options opt;
  opt.top_n = 3;
  search_result r = cpu->search(*p, opt);
  ASSERT_FALSE(r.top.empty());
  evaluation best = evaluate(*p, r.top[0].index);
  EXPECT_EQ(best.cfg.main.lay.tp, 2u);
  EXPECT_EQ(best.cfg.main.batch, 96u);
  EXPECT_EQ(best.reason, reason_feasible);

  const metrics& m = best.m;
  const pool_metrics& pm = m.main;
  const double* t = pm.step.time_s;
  expect_within_1pct(pm.weight_bytes, 8030519296.0, "weights");
  expect_within_1pct(pm.kv_bytes_per_token, 65536.0, "kv per token");
  expect_within_1pct(pm.kv_bytes_needed, 7549747200.0, "kv needed");
  expect_within_1pct(pm.kv_bytes_available, 10072778342.0, "kv available");
  expect_within_1pct(pm.prefill_tokens_per_step, 480.0, "prefill tokens per step");
  expect_within_1pct(t[comp_attention_proj] + t[comp_dense_mlp], 21.69e-3, "linear");
  expect_within_1pct(t[comp_attention_decode] + t[comp_attention_prefill], 4.93e-3, "attention");
  expect_within_1pct(t[comp_tp_allreduce], 2.15e-3, "all-reduce");
  expect_within_1pct(t[comp_lm_head], 0.432e-3, "lm head");
  expect_within_1pct(m.tpot_s, 29.71e-3, "tpot");
  expect_within_1pct(pm.output_tokens_per_s, 3231.0, "replica output tokens/s");
  expect_within_1pct(pm.utilisation, 0.8578, "utilisation");
  EXPECT_LE(m.ttft_s, 1.0);
  EXPECT_EQ(pm.instances, 91.0);
  EXPECT_EQ(m.gpus, 182.0);
  EXPECT_EQ(m.nodes, 23.0);
  EXPECT_EQ(m.gpus_billed, 184.0);
  expect_within_1pct(m.cost_usd_per_day, 9494.4, "cost");
  expect_within_1pct(m.usd_per_million_tokens, 9494.4 / 86400.0, "usd per million tokens");
  expect_within_1pct(m.facility_power_kw, 276.0, "facility power");
  EXPECT_EQ(m.shortfall_gpus, 84.0);  // 184 billed, 100 available

  // The runners-up: TP4 x 128 at 9,907.2 USD/day (192 GPUs billed, the tie-break), then TP4 x 96
  // at 10,320 (200).
  ASSERT_EQ(r.top.size(), 3u);
  EXPECT_NEAR(r.top[1].key, 9907.2, 0.01);
  EXPECT_NEAR(r.top[2].key, 10320.0, 0.01);
  EXPECT_EQ(r.top[1].tie, 192.0);
  EXPECT_EQ(r.top[2].tie, 200.0);
  const serving_config second = decode_index(p->grid, r.top[1].index);
  const serving_config third = decode_index(p->grid, r.top[2].index);
  EXPECT_EQ(second.main.lay.tp, 4u);
  EXPECT_EQ(second.main.batch, 128u);
  EXPECT_EQ(third.main.lay.tp, 4u);
  EXPECT_EQ(third.main.batch, 96u);
}

TEST(HandComputed, AlternativesFailForTheStatedReasons) {
  auto p = hand_problem();
  evaluation tp1 = evaluate(*p, hand_index(*p, 1, 32));
  EXPECT_EQ(tp1.reason, reason_memory);
  expect_within_1pct(tp1.m.main.kv_bytes_needed, 5033164800.0, "tp1 kv needed");
  expect_within_1pct(tp1.m.main.kv_bytes_available, 2766510490.0, "tp1 kv available");

  evaluation tp2_128 = evaluate(*p, hand_index(*p, 2, 128));
  EXPECT_EQ(tp2_128.reason, reason_tpot);
  expect_within_1pct(tp2_128.m.tpot_s, 38.02e-3, "tp2 x 128 tpot");

  evaluation tp4_8 = evaluate(*p, hand_index(*p, 4, 8));
  EXPECT_EQ(tp4_8.reason, reason_feasible);
  // 8 slots queue badly, and a step that carries a whole prompt is 1008 tokens: 896 GPUs billed.
  expect_within_1pct(tp4_8.m.cost_usd_per_day, 46233.6, "tp4 x 8 cost");
}

TEST(HandComputed, KvHeadsReplicateBeyondTheirCount) {
  // Llama-3.1-70B-like: 8 KV heads. KV per token per GPU halves up to TP8, then stops.
  auto p = hand_problem();
  p->model.layers = 80;
  p->model.hidden = 8192;
  p->model.heads = 64;
  p->model.ffn = 28672;
  p->sites[0].gpu.scale_up_domain_gpus = 16;
  serving_config c = agg(8, 1, 8, 2048);
  double kv8 = evaluate_config(*p, c).m.main.kv_bytes_per_token;
  c.main.lay.tp = 16;
  double kv16 = evaluate_config(*p, c).m.main.kv_bytes_per_token;
  EXPECT_EQ(kv8, 80.0 * 2 * 1 * 128 * 2);
  EXPECT_EQ(kv16, kv8);
}

TEST(Model, PipelineParallelismBuysMemoryNotLatency) {
  auto p = hand_problem();
  serving_config c = agg(1, 1, 8, 2048);
  evaluation pp1 = evaluate_config(*p, c);
  c.main.lay.pp = 4;
  evaluation pp4 = evaluate_config(*p, c);
  EXPECT_LT(pp4.m.main.weight_bytes, pp1.m.main.weight_bytes);
  EXPECT_GE(pp4.m.tpot_s, pp1.m.tpot_s * 0.999);  // every token still crosses every stage
  EXPECT_GT(pp4.m.main.pp_hops_s, 0.0);
}

TEST(Model, ReasonsInCheckOrder) {
  auto p = hand_problem();
  serving_config c = agg(16, 1, 8, 2048);  // TP16 > 8-GPU domain
  EXPECT_EQ(evaluate_config(*p, c).reason, reason_parallelism);
  c.main.lay.tp = 3;  // 32 heads not divisible by 3
  EXPECT_EQ(evaluate_config(*p, c).reason, reason_parallelism);
  c.main.lay.tp = 1;
  c.main.lay.pp = 64;  // more stages than layers
  EXPECT_EQ(evaluate_config(*p, c).reason, reason_parallelism);
  c.main.lay.pp = 1;
  c.main.lay.ep = 2;  // a dense model has no experts
  EXPECT_EQ(evaluate_config(*p, c).reason, reason_parallelism);
  c.main.lay.ep = 1;
  c.wprec = prec_fp4;  // the hand GPU has no FP4
  EXPECT_EQ(evaluate_config(*p, c).reason, reason_precision);
  c.wprec = prec_bf16;
  c.main.batch = 128;
  c.main.chunk = 256;  // 128 decode + 640 prefill tokens cannot fit a 256-token step, and memory fails first
  EXPECT_EQ(evaluate_config(*p, c).reason, reason_memory);
  c.main.lay.tp = 4;
  EXPECT_EQ(evaluate_config(*p, c).reason, reason_prefill_budget);
}

TEST(Model, DecodeIndexCoversTheGridInMixedRadixOrder) {
  auto p = hand_problem();
  ASSERT_EQ(grid_size(p->grid), 12u);
  serving_config first = decode_index(p->grid, 0);
  EXPECT_EQ(first.main.lay.tp, 1u);
  EXPECT_EQ(first.main.batch, 8u);
  serving_config second = decode_index(p->grid, 1);  // batch is innermost
  EXPECT_EQ(second.main.lay.tp, 1u);
  EXPECT_EQ(second.main.batch, 32u);
  serving_config last = decode_index(p->grid, 11);
  EXPECT_EQ(last.main.lay.tp, 4u);
  EXPECT_EQ(last.main.batch, 128u);
}

TEST(Model, NoNanOrInfAnywhereOnRandomScenarios) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    auto p = testing::random_problem(seed);
    for (std::uint64_t i = 0; i < grid_size(p->grid); ++i) {
      evaluation e = evaluate(*p, i);
      const double* v = reinterpret_cast<const double*>(&e.m);
      for (std::size_t k = 0; k < sizeof(metrics) / sizeof(double); ++k) {
        ASSERT_TRUE(std::isfinite(v[k])) << "seed " << seed << " index " << i << " metric #" << k;
      }
      ASSERT_TRUE(std::isfinite(e.key));
      if (e.reason == reason_feasible) {
        ASSERT_LE(e.m.tpot_s, p->workload.tpot_slo_s);
        ASSERT_LE(e.m.ttft_s, p->workload.ttft_slo_s);
        ASSERT_LE(e.m.main.kv_bytes_needed, e.m.main.kv_bytes_available);
        ASSERT_GE(e.m.main.instances, 1.0);
        ASSERT_GE(e.m.gpus_billed, e.m.gpus);
        if (e.cfg.mode == mode_disaggregated) {
          ASSERT_GE(e.m.prefill.instances, 1.0);
        }
      }
    }
  }
}

// The search evaluates with early exits (eval_verdict) and optimistic queueing (eval_bound):
// both give the full evaluation's verdict; eval_verdict its exact keys, eval_bound keys no worse.
TEST(Model, ShallowEvaluationsKeepTheVerdict) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    auto p = testing::random_problem(seed);
    for (std::uint64_t i = 0; i < grid_size(p->grid); ++i) {
      const evaluation full = evaluate(*p, i, eval_full);
      const evaluation verdict = evaluate(*p, i, eval_verdict);
      const evaluation bound = evaluate(*p, i, eval_bound);
      ASSERT_EQ(verdict.reason, full.reason) << "seed " << seed << " index " << i;
      ASSERT_EQ(bound.reason, full.reason) << "seed " << seed << " index " << i;
      if (full.reason != reason_feasible) continue;
      ASSERT_EQ(verdict.key, full.key);
      ASSERT_EQ(verdict.m.cost_usd_per_day, full.m.cost_usd_per_day);
      ASSERT_LE(bound.key, full.key);
      ASSERT_LE(bound.m.cost_usd_per_day, full.m.cost_usd_per_day);
    }
  }
}

TEST(Model, EdgeCasesStayFinite) {
  auto p = hand_problem();
  p->workload.input_tokens = 1;
  p->workload.output_tokens = 1;
  p->workload.input_tail = 1;
  p->workload.output_tail = 1;
  p->workload.input_sq_mean = 1;
  p->workload.tokens_per_day = 1e-3;  // just above zero
  serving_config c = agg(1, 1, 1, 2);
  evaluation e = evaluate_config(*p, c);
  EXPECT_TRUE(std::isfinite(e.m.cost_usd_per_day));
  EXPECT_EQ(e.m.main.instances, 1.0);
  p->workload.tokens_per_day = 1e18;  // the loader's ceiling
  e = evaluate_config(*p, c);
  EXPECT_TRUE(std::isfinite(e.m.cost_usd_per_day));
  EXPECT_GT(e.m.main.instances, 1e9);
}

}  // namespace
}  // namespace tokenplan
