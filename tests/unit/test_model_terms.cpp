// Each model term beyond the dense core, against a hand-computed case: MoE routed experts and
// distinct experts touched, EP all-to-all, MLA, sliding windows, speculative decoding, prefix
// cache, prompt spread, disaggregated KV transfer, queueing, and the deterministic math.
#include <gtest/gtest.h>

#include <random>

#include <cmath>

#include "io/loaders.hpp"
#include "scenarios.hpp"
#include "temp_dir.hpp"
#include "tokenplan/model.hpp"

namespace tokenplan {
namespace {

using testing::gib;

void near_pct(double got, double want, double pct, const char* what) {
  EXPECT_NEAR(got, want, std::fabs(want) * pct / 100.0) << what;
}

// Decode attends to the length-biased answer. Prompts of 1,000 tokens and answers of mean 200 with
// standard deviation 300: E[O^2] = 200^2 + 300^2 = 130,000, E[O^2] / E[O] = 650, so the steps in
// flight attend on average to 1,000 + (650 + 1) / 2 = 1,325.5 tokens, not the mean request's
// 1,000 + 201 / 2 = 1,100.5; with no spread the two agree. More context, the same batch: a longer
// step (the KV read grows with it).
TEST(ModelTerms, DecodeAttendsToTheLengthBiasedAnswer) {
  const model_spec m = testing::llama8b_shape();
  const gpu_spec g = testing::hand_gpu();
  const site_spec site = testing::make_site(g, 8);
  workload_spec w = testing::plain_workload(1e9, 1000.0, 200.0, 1.0, 1e9, 1e9);
  serving_config c{};
  c.main.lay = layout{1, 1, 1, 1};
  c.main.batch = 64;
  c.main.chunk = 2048;
  c.wprec = prec_bf16;
  c.kvprec = prec_bf16;
  const detail::pool_view v = detail::make_view(m, g, c.main.lay, c.wprec, c.kvprec);
  auto ctx = [&](const workload_spec& wl, double* step_s) {
    const detail::request_terms q = detail::make_request_terms(m, wl, site, c);
    pool_metrics d{};
    const detail::step_load s = detail::main_pool_load(wl, c, v, q, true, d);
    *step_s = detail::stage_step(m, g, v, s).stage_s;
    return s.decode_ctx;
  };
  double fixed_s = 0.0, spread_s = 0.0;
  EXPECT_DOUBLE_EQ(ctx(w, &fixed_s), 1100.5);
  w.output_sq_mean = 200.0 * 200.0;  // no spread: the same as unset
  EXPECT_DOUBLE_EQ(ctx(w, &fixed_s), 1100.5);
  w.output_sq_mean = 130000.0;
  EXPECT_DOUBLE_EQ(ctx(w, &spread_s), 1325.5);
  EXPECT_GT(spread_s, fixed_s);
}

// Three tokens each pick 2 of 8 experts: the expected number of distinct experts touched is
// 8 x (1 - (6/8)^3) = 4.625. Each expert holds 3 x 1024 x 512 = 1,572,864 BF16 weights. Bytes:
// 4.625 x 1,572,864 x 2 + 6 routed tokens x (2 x 1024 + 3 x 512) x 2 = 14,592,000 B, at
// 2 TB/s x 0.75 = 9.728 us, over the grouped-GEMM ratio 0.92 at 6 / 4.625 = 1.3 tokens per
// expert: 10.574 us; FLOPs 2 x 6 x 1,572,864 = 1.89e7 at 200 TFLOP/s x 0.84 = 0.112 us, so the
// GEMMs are memory-bound at 10.574 us. The activation kernel between them reads the gate and up
// outputs and writes the activation: 6 x 3 x 512 x 2 = 18,432 B at 1.5 TB/s, 0.012288 us more.
TEST(ModelTerms, RoutedExpertsReadOnlyTheExpertsTheBatchTouches) {
  const model_spec m = testing::one_layer_moe();
  const gpu_spec g = testing::hand_gpu();
  detail::pool_view v = detail::make_view(m, g, layout{1, 1, 1, 1}, prec_bf16, prec_bf16);
  detail::step_load s{};
  s.decode_seqs = 3;
  s.verify_tokens = 1;
  s.decode_ctx = 100;
  s.prefill_ctx = 1;
  s.logit_tokens = 3;
  step_breakdown b = detail::stage_step(m, g, v, s);
  near_pct(b.time_s[comp_routed_experts], 9.728e-6 / 0.92 + 18432.0 / 1.5e12, 0.01, "routed experts");
  EXPECT_GT(b.side_b_s[comp_routed_experts], b.side_a_s[comp_routed_experts]) << "memory-bound";
  EXPECT_DOUBLE_EQ(detail::pow_whole(0.75, 3.0), 0.421875);
  // At a large batch every expert is touched: the bytes stop growing with the batch (1,024
  // tokens per expert: the grouped GEMM streams at 0.90 of the dense 1.5 TB/s; the activation's
  // 8,192 x 3 x 512 x 2 B at the dense rate).
  s.decode_seqs = 4096;
  step_breakdown big = detail::stage_step(m, g, v, s);
  const double act = 8192.0 * 3 * 512 * 2;
  EXPECT_NEAR(big.side_b_s[comp_routed_experts] * 1.35e12 - 4096 * 2 * (2 * 1024 + 3 * 512) * 2.0 - act * 1.35 / 1.5,
              8 * 1572864 * 2.0, 1.0);
  // There the GEMMs are compute-bound (2 x 8,192 x 1,572,864 FLOPs at 200 TFLOP/s, ratio 1.0 at
  // 1,024 tokens per expert: 128.85 us, against 83,886,080 B at 1.35 TB/s = 62.14 us: on the
  // smooth roofline 143.05 us), and the activation's traffic does not hide under them: it adds
  // its 16.777 us, 159.83 us in all.
  const double gemm_a = 2.0 * 8192 * 1572864 / 200e12;
  const double gemm_b = (8 * 1572864 * 2.0 + 4096 * 2 * (2 * 1024 + 3 * 512) * 2.0) / 1.35e12;
  EXPECT_NEAR(big.time_s[comp_routed_experts], std::sqrt(gemm_a * gemm_a + gemm_b * gemm_b) + act / 1.5e12, 1e-12);
  EXPECT_NEAR(big.time_s[comp_routed_experts], 159.83e-6, 0.01e-6);
}

// EP16 over two 8-GPU nodes, 10 tokens per GPU to 8 experts each, 4,096 B per copy (FP8
// dispatch). Decode (DeepEP low-latency): 10 x 8 x 15/16 = 75 copies leave the GPU; half of the
// experts sit on the other node, so 40 copies = 163,840 B cross the 25 GB/s NIC (6.55 us) while
// 35 copies = 143,360 B go over 100 GB/s NVLink (1.43 us): 30 us latency + 6.55 us = 36.55 us.
// Prefill (DeepEP normal) sends one copy per remote node: the 8 experts land on 2 x (1 - 2^-8)
// = 1.992 nodes, 0.996 of them remote, so 40,800 B cross the NIC (1.63 us) and 307,200 B go over
// NVLink (3.07 us): 33.07 us.
// The activation workspace of a step on one rank, in BF16: hidden states plus the widest MLP
// intermediate (gate, up, activated: 3 x width), counted once and split like the weights.
TEST(ModelTerms, ActivationWorkspaceSplitsLikeTheMlp) {
  const gpu_spec g = testing::hand_gpu();
  pool_metrics a{};
  // Dense Llama-8B shape at TP2: 10 tokens x (4096 + 3 x 14336 / 2) x 2 B = 512,000 B.
  const model_spec dense = testing::llama8b_shape();
  detail::pool_memory(dense, g, detail::make_view(dense, g, layout{2, 1, 1, 1}, prec_bf16, prec_bf16), 10, a);
  EXPECT_DOUBLE_EQ(a.activation_bytes, 512000.0);
  // MoE, EP8 over 8 attention-DP ranks: 8 ranks x 100 tokens x top-2 rows over 8 groups = 200
  // rows per GPU of 3 x 512: 100 x (1024 + 8 x 2 / 8 x 1536) x 2 B = 819,200 B.
  const model_spec m = testing::one_layer_moe();
  detail::pool_memory(m, g, detail::make_view(m, g, layout{1, 1, 8, 8}, prec_bf16, prec_bf16), 100, a);
  EXPECT_DOUBLE_EQ(a.activation_bytes, 819200.0);
  // The same experts split by TP8 (EP1): every GPU sees all 200 rows at 1/8 of the width:
  // 100 x (1024 + 2 x 1536 / 8) x 2 B = 281,600 B.
  detail::pool_memory(m, g, detail::make_view(m, g, layout{8, 1, 1, 1}, prec_bf16, prec_bf16), 100, a);
  EXPECT_DOUBLE_EQ(a.activation_bytes, 281600.0);
}

TEST(ModelTerms, AllToAllSplitsNvlinkAndNicAndDeduplicatesPrefill) {
  gpu_spec g = testing::hand_gpu();
  g.scale_up_domain_gpus = 8;
  g.p2p_bytes_per_s = 100e9;
  g.scale_out_bytes_per_s = 25e9;
  g.alltoall_latency_s = 30e-6;
  near_pct(detail::alltoall(g, 16, 8, 10, 0, 4096).t, 36.5536e-6, 0.001, "decode all-to-all");
  near_pct(detail::alltoall(g, 16, 8, 0, 10, 4096).t, 33.072e-6, 0.001, "prefill all-to-all");
  // EP8 inside one node: 10 x 8 x 7/8 = 70 copies x 4,096 B over NVLink = 2.867 us.
  near_pct(detail::alltoall(g, 8, 8, 10, 0, 4096).t, 30e-6 + 70 * 4096 / 100e9, 0.001, "intra-node all-to-all");
  EXPECT_EQ(detail::alltoall(g, 1, 8, 10, 10, 4096).t, 0.0) << "no EP, no all-to-all";
}

// DeepSeek-V3's MLA caches (512 + 64) values per token per layer: 1,152 B at BF16, 70,272 B over
// 61 layers (arXiv 2505.09343), whole on every TP rank. Attention per (query, context, head):
// absorbed decode 2 x (576 + 512) = 2,176 FLOPs; uncompressed prefill 2 x (192 + 128) = 640.
TEST(ModelTerms, MlaCachesTheLatentWholeOnEveryRank) {
  const model_spec m = testing::deepseek_v3_shape();
  const gpu_spec g = testing::hand_gpu();
  EXPECT_EQ(detail::kv_model_token_bytes(m, prec_bf16), 70272.0);
  for (std::uint32_t tp : {1u, 8u}) {
    detail::pool_view v = detail::make_view(m, g, layout{tp, 1, 8, 1}, prec_bf16, prec_bf16);
    EXPECT_EQ(detail::kv_token_layer_bytes(m, v), 1152.0) << "tp " << tp;
  }
  EXPECT_EQ(detail::attention_flops_per_pair(m, true), 2176.0);
  EXPECT_EQ(detail::attention_flops_per_pair(m, false), 640.0);
  // Under attention DP the attention weights are replicated, not split: the same bytes per GPU
  // at DP8 as at DP1 (TP1 both).
  pool_metrics a{}, b{};
  detail::pool_memory(m, g, detail::make_view(m, g, layout{1, 1, 8, 1}, prec_fp8, prec_bf16), 1, a);
  detail::pool_memory(m, g, detail::make_view(m, g, layout{1, 1, 8, 8}, prec_fp8, prec_bf16), 1, b);
  EXPECT_EQ(a.weight_attention_bytes, b.weight_attention_bytes);
}

// Sliding-window layers keep at most the window: a 1,000-token sequence on a 4-layer model with
// 2 sliding layers of window 128 holds (2 x 1,000 + 2 x 128) tokens' worth of per-layer KV.
TEST(ModelTerms, SlidingWindowLayersHoldOnlyTheWindow) {
  model_spec m = testing::llama8b_shape();
  m.layers = 4;
  m.sliding_layers = 2;
  m.sliding_window = 128;
  const gpu_spec g = testing::hand_gpu();
  detail::pool_view v = detail::make_view(m, g, layout{1, 1, 1, 1}, prec_bf16, prec_bf16);
  const double per = detail::kv_token_layer_bytes(m, v);  // 2 x 8 x 128 x 2 = 4,096 B
  EXPECT_EQ(per, 4096.0);
  EXPECT_EQ(detail::kv_sequence_bytes(m, v, 1000.0), per * (2 * 1000 + 2 * 128));
  EXPECT_EQ(detail::kv_sequence_bytes(m, v, 100.0), per * 4 * 100);
}

// Two drafts accepted 80% of the time yield (1 - 0.8^3) / (1 - 0.8) = 2.44 tokens per step; the
// step verifies 3 tokens per sequence and pays the drafting.
TEST(ModelTerms, SpeculativeDecodingTokensPerStepAndCost) {
  EXPECT_NEAR(detail::tokens_per_step(0.8, 2), 2.44, 1e-12);
  EXPECT_EQ(detail::tokens_per_step(0.8, 0), 1.0);
  auto p = testing::hand_problem();
  p->workload.draft_acceptance = 0.8;
  p->workload.draft_cost_layers = 1.0;
  serving_config c{};
  c.mode = mode_aggregated;
  c.wprec = prec_bf16;
  c.kvprec = prec_bf16;
  c.main = pool_config{layout{2, 1, 1, 1}, 2048, 32};
  evaluation plain = evaluate_config(*p, c);
  c.draft = 2;
  evaluation spec = evaluate_config(*p, c);
  EXPECT_NEAR(spec.m.main.tokens_per_cycle, 2.44, 1e-12);
  EXPECT_NEAR(spec.m.tpot_s, spec.m.main.cycle_s / 2.44, 1e-15);
  EXPECT_GT(spec.m.main.step.time_s[comp_draft], 0.0);
  EXPECT_EQ(plain.m.main.step.time_s[comp_draft], 0.0);
  EXPECT_LT(spec.m.tpot_s, plain.m.tpot_s);
  EXPECT_GT(spec.m.main.cycle_s, plain.m.main.cycle_s) << "verifying 3 tokens costs more per step";
}

// With half the prompt cached, a batch of 96 at ISL 1,000 / OSL 200 prefills 96 x 500 / 200 =
// 240 tokens per step (not 480), and those tokens attend to the cached 500 plus half the new
// 500: context 750.5.
TEST(ModelTerms, PrefixCacheSkipsComputeButKeepsContext) {
  auto p = testing::hand_problem();
  p->workload.prefix_cache_hit = 0.5;
  serving_config c{};
  c.mode = mode_aggregated;
  c.main = pool_config{layout{2, 1, 1, 1}, 2048, 96};
  evaluation e = evaluate_config(*p, c);
  EXPECT_DOUBLE_EQ(e.m.main.prefill_tokens_per_step, 240.0);
  EXPECT_DOUBLE_EQ(e.m.main.prompt_tokens_per_s, e.m.main.requests_per_s * 500.0);
  // Attention FLOPs of the prefill: 4 x 240 x 750.5 x 16 heads x 128 per layer.
  detail::pool_view v = detail::make_view(p->model, p->sites[0].gpu, c.main.lay, prec_bf16, prec_bf16);
  const double want = 32 * 4 * 240 * 750.5 * 16 * 128 / v.attention_flops_per_s;
  near_pct(e.m.main.step.side_a_s[comp_attention_prefill], want, 1e-9, "prefill attention FLOPs");
}

// Prefill attention is quadratic: prompts of mean 1,000 with E[L^2] = 3e6 cost their new tokens
// an average context of E[L^2]/E[L] x 1/2 + 1/2 = 1,500.5, not 500.5.
TEST(ModelTerms, PromptSpreadRaisesPrefillAttention) {
  auto p = testing::hand_problem();
  serving_config c{};
  c.mode = mode_aggregated;
  c.main = pool_config{layout{2, 1, 1, 1}, 2048, 96};
  const double narrow = evaluate_config(*p, c).m.main.step.side_a_s[comp_attention_prefill];
  p->workload.input_sq_mean = 3e6;
  const double wide = evaluate_config(*p, c).m.main.step.side_a_s[comp_attention_prefill];
  near_pct(wide / narrow, 1500.5 / 500.5, 1e-9, "attention context ratio");
}

// Disaggregated: the KV of a 1,000-token prompt, 131,072 B per token (32 layers x 2 x 8 heads x
// 128 x 2 B) = 131 MB, crosses 2 streams (the smaller pool has 2 GPUs) at 25 GB/s: 5 us + 2.62 ms.
// Layer-wise overlap hides it behind the prefill compute, leaving at least one layer's share.
TEST(ModelTerms, DisaggregatedKvTransferAndPools) {
  auto p = testing::hand_problem();
  serving_config c{};
  c.mode = mode_disaggregated;
  c.prefill = pool_config{layout{2, 1, 1, 1}, 4096, 0};
  c.main = pool_config{layout{4, 1, 1, 1}, 0, 64};
  evaluation e = evaluate_config(*p, c);
  near_pct(e.m.kv_transfer_s, 5e-6 + 131072.0 * 1000 / (2 * 25e9), 1e-9, "KV transfer");
  EXPECT_GE(e.m.kv_transfer_exposed_s, e.m.kv_transfer_s / 32 - 1e-15);
  EXPECT_LE(e.m.kv_transfer_exposed_s, e.m.kv_transfer_s);
  EXPECT_EQ(e.m.main.prefill_tokens_per_step, 0.0) << "the decode pool does no prefill";
  EXPECT_EQ(e.m.prefill.prefill_tokens_per_step, 4096.0);
  EXPECT_GE(e.m.prefill.instances, 1.0);
  EXPECT_EQ(e.m.gpus, e.m.prefill.gpus + e.m.main.gpus);
  // Pools are sized on their own: the prefill pool carries the prompts, the decode pool the tokens.
  const double peak_rps = p->workload.tokens_per_day / 86400 * p->workload.peak_to_average / 1200;
  EXPECT_GE(e.m.prefill.instances * e.m.prefill.requests_per_s * e.m.prefill.utilisation, peak_rps);
  EXPECT_GE(e.m.main.instances * e.m.main.requests_per_s * e.m.main.utilisation, peak_rps);
}

// Halfin-Whitt against the exact Erlang C (computed by the Erlang-B recursion): 0.175 vs 0.222 at
// 10 slots and 70% load, 0.344 vs 0.364 at 50 slots and 90%, 0.356 vs 0.365 at 200 slots and 95%.
TEST(ModelTerms, QueueingMatchesErlangCAtScale) {
  auto erlang_c = [](int c, double a) {
    double b = 1.0;
    for (int i = 1; i <= c; ++i) b = a * b / (i + a * b);
    return b / (1.0 - a / c * (1.0 - b));
  };
  struct { int c; double rho, tol; } cases[] = {{10, 0.7, 0.25}, {50, 0.9, 0.06}, {200, 0.95, 0.03}};
  for (auto k : cases) {
    const double a = k.c * k.rho;
    const double hw = queueing::wait_probability(k.c, k.rho, std::sqrt(a));
    near_pct(hw, erlang_c(k.c, a), 100 * k.tol, "P(wait)");
  }
  // More slots, the same load per slot: less waiting, so a higher utilisation fits the budget.
  EXPECT_GT(queueing::max_utilisation(800, 36.0, 1.5, 0.01), queueing::max_utilisation(50, 36.0, 1.5, 0.01));
  EXPECT_EQ(queueing::max_utilisation(50, 36.0, -1.0, 0.01), 0.0);
  EXPECT_EQ(queueing::max_utilisation(50, 36.0, 1e9, 0.01), 0.999);
  // At the chosen utilisation the tail wait fits the budget.
  const double u = queueing::max_utilisation(96, 5.7326, 0.9376, 0.01);
  EXPECT_LE(queueing::tail_wait(96, 5.7326, 0.01, u), 0.9376);
  near_pct(u, 0.8605, 0.1, "hand case utilisation");
}

// The search's shortcut: utilisation_bound is 0 exactly where max_utilisation is, 0.999 elsewhere.
TEST(Terms, UtilisationBoundAgreesWithTheSolveOnZero) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  int zeros = 0, positives = 0;
  for (int i = 0; i < 20000; ++i) {
    const double slots = std::floor(1.0 + 2000.0 * u01(rng) * u01(rng));
    const double hold = 0.01 + 100.0 * u01(rng);
    const double budget = -0.5 + 5.0 * u01(rng) * u01(rng);
    const double tail = u01(rng) < 0.5 ? 0.01 : 0.5;
    const double exact = queueing::max_utilisation(slots, hold, budget, tail);
    const double bound = queueing::utilisation_bound(slots, hold, budget, tail);
    ASSERT_EQ(exact == 0.0, bound == 0.0) << slots << " " << hold << " " << budget << " " << tail;
    ASSERT_GE(bound, exact);
    ASSERT_LE(queueing::tail_wait_within(slots, hold, tail, exact, budget), std::max(budget, 0.0) + 1e-12);
    ASSERT_GE(queueing::tail_wait_within(slots, hold, tail, exact, budget), 0.0);
    (exact == 0.0 ? zeros : positives) += 1;
  }
  EXPECT_GT(zeros, 100);  // both sides of the boundary were exercised
  EXPECT_GT(positives, 100);
}

TEST(ModelTerms, DeterministicExpAndLog) {
  for (double x : {-700.0, -50.0, -3.3, -0.5, -1e-9, 0.0, 0.7, 12.0, 300.0}) {
    EXPECT_NEAR(queueing::exp_any(x), std::exp(x), std::exp(x) * 1e-13) << x;
  }
  for (double x : {1e-300, 1e-9, 0.3, 1.0, 2.718281828, 1e7, 1e300}) {
    EXPECT_NEAR(queueing::log_pos(x), std::log(x), 1e-12 * std::max(1.0, std::fabs(std::log(x)))) << x;
  }
  for (double z : {-6.0, -1.0, 0.0, 0.5, 2.0, 8.0}) {
    EXPECT_NEAR(queueing::normal_cdf(z), 0.5 * std::erfc(-z / std::sqrt(2.0)), 2e-7) << z;
  }
}

// Lengths: a number is fixed; {mean, p50} gives a lognormal spread sigma^2 = 2 ln(mean/p50), so
// E[L^2] = 1155^2 x (1155/1020)^2 = 1,710,518 for the Azure conversation trace; a histogram is
// exact; the tail is the requested percentile.
TEST(ModelTerms, LengthDistributions) {
  testing::temp_dir t;
  auto read = [&](const std::string& text) {
    nlohmann::json j = nlohmann::json::parse("{\"x\": " + text + "}");
    field_reader r(j, "w.json", "$");
    return read_length(r, "x", 0.99);
  };
  length_stats fixed = read("1155");
  EXPECT_EQ(fixed.tail, 1155.0);
  EXPECT_EQ(fixed.sq_mean, 1155.0 * 1155.0);
  length_stats pct = read("{\"mean\": 1155, \"p50\": 1020, \"p99\": 4142}");
  EXPECT_EQ(pct.tail, 4142.0);
  near_pct(pct.sq_mean, 1710517.78, 1e-6, "E[L^2] from mean and median");
  length_stats hist = read("{\"histogram\": [[100, 0.5], [1000, 0.49], [10000, 0.01]]}");
  EXPECT_DOUBLE_EQ(hist.mean, 50 + 490 + 100);
  EXPECT_DOUBLE_EQ(hist.sq_mean, 0.5 * 1e4 + 0.49 * 1e6 + 0.01 * 1e8);
  EXPECT_EQ(hist.tail, 1000.0);  // 99% of the mass is at or below 1,000 tokens
  length_stats ln = read("{\"lognormal\": {\"median\": 6909, \"sigma\": 1.054}}");
  near_pct(ln.mean, 6909 * std::exp(0.5 * 1.054 * 1.054), 1e-9, "lognormal mean");
  near_pct(ln.tail, 6909 * std::exp(2.3263478740408408 * 1.054), 1e-4, "lognormal p99");
}

}  // namespace
}  // namespace tokenplan
