// The MoE step's terms against hand-computed cases: the grouped-GEMM efficiency priors by tokens
// per expert, the extra kernels of an MoE layer and its kernel floor, expert parallelism without
// attention DP, and the slowest attention-DP rank.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "scenarios.hpp"
#include "tokenplan/model.hpp"

namespace tokenplan {
namespace {

// A decode-only step of `seqs` sequences at `ctx` tokens of context, one token each, no prompt.
detail::step_load decode_step(double seqs, double ctx = 100) {
  detail::step_load s{};
  s.decode_seqs = seqs;
  s.verify_tokens = 1;
  s.decode_ctx = ctx;
  s.prefill_ctx = 1;
  s.logit_tokens = seqs;
  return s;
}

// The smooth roofline: a kernel of 6e8 FLOPs at 200 TFLOP/s (3 us) moving 6 MB at 1.5 TB/s
// (4 us) takes sqrt(3^2 + 4^2) = 5 us, not max = 4 us. One roof alone is itself: pure traffic
// (a collective, FLOPs 0) or pure compute. Far from the ridge the other roof hardly counts: at
// 7x, sqrt(1 + 1/49) = 1.0102; at the ridge it costs sqrt(2).
TEST(MoeTerms, KernelTimeIsTheSmoothRooflineOfItsTwoSides) {
  const detail::part_sum p = detail::roofline(6e8, 6e6, 200e12, 1.5e12);
  EXPECT_NEAR(p.a, 3e-6, 1e-18);
  EXPECT_NEAR(p.b, 4e-6, 1e-18);
  EXPECT_NEAR(p.t, 5e-6, 1e-18);
  EXPECT_DOUBLE_EQ(detail::roofline(0.0, 6e6, 200e12, 1.5e12).t, 6e6 / 1.5e12);
  EXPECT_DOUBLE_EQ(detail::roofline(6e8, 0.0, 200e12, 1.5e12).t, 6e8 / 200e12);
  EXPECT_NEAR(detail::roofline(7.0, 1.0, 1.0, 1.0).t, 7.0 * 1.0102, 7e-4);
  EXPECT_NEAR(detail::roofline(1.0, 1.0, 1.0, 1.0).t, std::sqrt(2.0), 1e-15);
  detail::part_sum sum{};
  detail::add(sum, p, 2.0);
  EXPECT_NEAR(sum.t, 10e-6, 1e-18);  // whole kernels add; their sides are summed separately
}

// The curves' anchors and the straight lines between them (DeepGEMM and SGLang's benchmark):
// HBM 0.92 to m = 8, 0.72 at 16 to 64, 0.90 from 256; 12 is halfway from 8 to 16: 0.82; 160 is
// halfway from 64 to 256: 0.81. Tensor 0.84 to 256, 0.94 at 512, 1.0 from 1024: 384 gives 0.89,
// 768 gives 0.97.
TEST(MoeTerms, GroupedGemmEfficiencyByTokensPerExpert) {
  EXPECT_DOUBLE_EQ(detail::grouped_gemm_hbm_ratio(1.0), 0.92);
  EXPECT_DOUBLE_EQ(detail::grouped_gemm_hbm_ratio(8.0), 0.92);
  EXPECT_NEAR(detail::grouped_gemm_hbm_ratio(12.0), 0.82, 1e-12);
  EXPECT_DOUBLE_EQ(detail::grouped_gemm_hbm_ratio(32.0), 0.72);
  EXPECT_NEAR(detail::grouped_gemm_hbm_ratio(160.0), 0.81, 1e-12);
  EXPECT_DOUBLE_EQ(detail::grouped_gemm_hbm_ratio(5000.0), 0.90);
  EXPECT_DOUBLE_EQ(detail::grouped_gemm_flops_ratio(100.0), 0.84);
  EXPECT_NEAR(detail::grouped_gemm_flops_ratio(384.0), 0.89, 1e-12);
  EXPECT_NEAR(detail::grouped_gemm_flops_ratio(768.0), 0.97, 1e-12);
  EXPECT_DOUBLE_EQ(detail::grouped_gemm_flops_ratio(4096.0), 1.0);
}

// 64 tokens pick 2 of 8 experts: all 8 are touched (1 - 0.75^64 = 1 - 1.0e-8), 16 tokens each:
// HBM ratio 0.72. Bytes 8 x 1,572,864 x 2 (BF16, x (1 - 0.75^64)) + 128 x 3,584 x 2 = 26,083,328
// at 2 TB/s x 0.75 x 0.72 = 1.08 TB/s: 24.151 us. The same bytes as one dense GEMM: 17.389 us.
// FLOPs 2 x 128 x 1,572,864 at 200 TFLOP/s x 0.84 = 2.397 us: on the smooth roofline 24.270 us.
// The activation kernel adds 128 x 3 x 512 x 2 = 393,216 B at the dense 1.5 TB/s: 0.262 us.
TEST(MoeTerms, RoutedExpertsStreamAtTheGroupedGemmRate) {
  const model_spec m = testing::one_layer_moe();
  const gpu_spec g = testing::hand_gpu();
  detail::pool_view v = detail::make_view(m, g, layout{1, 1, 1, 1}, prec_bf16, prec_bf16);
  detail::step_load s = decode_step(64);
  const step_breakdown b = detail::stage_step(m, g, v, s);
  const double touched = 8.0 * (1.0 - std::pow(0.75, 64.0));
  const double bytes = touched * 1572864.0 * 2.0 + 128.0 * (2.0 * 1024 + 3.0 * 512) * 2.0;
  const double act = 128.0 * 3 * 512 * 2;
  EXPECT_NEAR(b.side_b_s[comp_routed_experts], bytes / (2e12 * 0.75 * 0.72) + act / 1.5e12, 1e-12);
  EXPECT_NEAR(b.time_s[comp_routed_experts], 24.270e-6 + 0.262e-6, 0.001e-6);
}

// The kernel floor joins a layer's kernel work w as sqrt(w^2 + f^2): with no work the layer
// takes the floor itself; 20 us of work under a 15 us floor take 25 us (5 us more, the 3-4-5
// triangle); 1 ms of work hides a 15 us floor to within f^2 / 2w = 0.1125 us.
TEST(MoeTerms, TheKernelFloorJoinsTheWorkOnASmoothRoofline) {
  EXPECT_DOUBLE_EQ(detail::floor_excess(0.0, 15e-6), 15e-6);
  EXPECT_NEAR(detail::floor_excess(20e-6, 15e-6), 5e-6, 1e-18);
  EXPECT_NEAR(detail::floor_excess(1e-3, 15e-6), 0.1125e-6, 0.0001e-6);
  EXPECT_DOUBLE_EQ(detail::floor_excess(1e-3, 0.0), 0.0);
}

// Layer floor 10 us (the hand GPU's layer_overhead). A one-layer MoE without shared experts has 5
// more kernels (router, top-k, permute, unpermute, re-quantisation) at a tenth of a layer each: a
// 15 us floor; with shared experts 3 more: 18 us; a dense layer keeps 10 us. Each adds to the
// layer's kernel work w (its rooflines, collectives and LM head aside) sqrt(w^2 + f^2) - w.
TEST(MoeTerms, MoeLayersPayForTheirExtraKernels) {
  model_spec m = testing::one_layer_moe();
  const gpu_spec g = testing::hand_gpu();
  detail::step_load s = decode_step(4);
  const auto expect_floor = [&](const model_spec& mm, double f) {
    const detail::pool_view v = detail::make_view(mm, g, layout{1, 1, 1, 1}, prec_bf16, prec_bf16);
    const step_breakdown b = detail::stage_step(mm, g, v, s);
    double w = 0.0;
    for (int c : {comp_attention_proj, comp_attention_decode, comp_attention_prefill, comp_dense_mlp,
                  comp_shared_experts, comp_router, comp_routed_experts}) {
      w += b.time_s[c];
    }
    EXPECT_GT(w, 0.0);
    EXPECT_NEAR(b.time_s[comp_layer_overhead], std::sqrt(w * w + f * f) - w, 1e-15);
    EXPECT_LT(b.time_s[comp_layer_overhead], f);
  };
  expect_floor(m, 15e-6);
  m.shared_experts = 1;
  expect_floor(m, 18e-6);
  model_spec dense = testing::llama8b_shape();
  dense.layers = 1;
  expect_floor(dense, 10e-6);
}

// Expert parallelism under tensor-parallel attention (TP 4, EP 4, no attention DP): every rank
// holds every token after the attention all-reduce, so nothing is dispatched; the layer's output
// is summed by a second all-reduce of the same 64 tokens x 1024 x 2 B = 131,072 B over 4 GPUs:
// 10 us + 2 x 3/4 x 131,072 B / 200 GB/s = 10.983 us each. The same experts behind attention DP 4
// (TP 1) pay a dispatch and a combine.
TEST(MoeTerms, ExpertParallelismUnderTensorParallelAttentionDispatchesNothing) {
  const model_spec m = testing::one_layer_moe();
  const gpu_spec g = testing::hand_gpu();
  detail::step_load s = decode_step(64);
  const detail::pool_view tp = detail::make_view(m, g, layout{4, 1, 4, 1}, prec_bf16, prec_bf16);
  const step_breakdown b = detail::stage_step(m, g, tp, s);
  EXPECT_EQ(b.time_s[comp_ep_alltoall], 0.0);
  EXPECT_NEAR(b.time_s[comp_tp_allreduce], 2.0 * (10e-6 + 2.0 * 0.75 * 131072.0 / 200e9), 1e-15);
  const detail::pool_view adp = detail::make_view(m, g, layout{1, 1, 4, 4}, prec_bf16, prec_bf16);
  EXPECT_GT(detail::stage_step(m, g, adp, s).time_s[comp_ep_alltoall], 30e-6);
}

// Attention DP 4 (EP 4): 4,000 prompt tokens this step, 3,000 of them on one rank. That rank
// runs 8 / 4 = 2 decode tokens plus 3,000 prompt tokens through the attention projections, not
// 2 + 1,000: its projections, 1024 x (1024 + 2 x 1024 + 1024) = 4,194,304 BF16 weights
// (GQA, 8 KV heads of 128), are compute-bound: 2 x 3,002 x 4,194,304 FLOPs at 200 TFLOP/s =
// 125.91 us, against (8,388,608 B of weights + 3,002 x 6,144 x 2 B of activations) / 1.5 TB/s =
// 30.18 us: 129.48 us on the smooth roofline. An even share is the floor: a peak below 1,000
// changes nothing.
TEST(MoeTerms, TheRankCarryingThePrefillSetsTheStep) {
  const model_spec m = testing::one_layer_moe();
  const gpu_spec g = testing::hand_gpu();
  detail::pool_view v = detail::make_view(m, g, layout{1, 1, 4, 4}, prec_bf16, prec_bf16);
  detail::step_load s = decode_step(8);
  s.prefill_ctx = 500;
  s.prefill_tokens = 4000;
  s.rank_prefill_peak = 3000;
  EXPECT_DOUBLE_EQ(detail::busy_rank_prefill(s, v), 3000.0);
  const step_breakdown busy = detail::stage_step(m, g, v, s);
  EXPECT_NEAR(busy.side_a_s[comp_attention_proj], 2.0 * 3002.0 * 4194304.0 / 200e12, 1e-12);
  EXPECT_NEAR(busy.time_s[comp_attention_proj], 129.48e-6, 0.01e-6);
  s.rank_prefill_peak = 0;
  EXPECT_DOUBLE_EQ(detail::busy_rank_prefill(s, v), 1000.0);
  const step_breakdown even = detail::stage_step(m, g, v, s);
  EXPECT_NEAR(even.side_a_s[comp_attention_proj], 2.0 * 1002.0 * 4194304.0 / 200e12, 1e-12);
  s.rank_prefill_peak = 500;
  EXPECT_DOUBLE_EQ(detail::busy_rank_prefill(s, v), 1000.0);
  EXPECT_GT(busy.stage_s, even.stage_s);
}

// FP8 attention math (FlashMLA-FP8, FA3-FP8): DeepSeek-V3's MLA decode, 10 sequences at 4,000
// tokens of context, one layer, TP1. Per pair 2 x (512 + 64 + 512) = 2,176 FLOPs per head x 128
// heads: 10 x 4,000 x 128 x 2,176 = 1.11411e10 FLOPs. In BF16 at 400 x 0.5 TFLOP/s: 55.706 us;
// in FP8 at 800 x 0.5: 27.853 us. The cache read, 10 x 4,000 x 576 B (FP8) = 23.04 MB at
// 1.5 TB/s = 15.36 us, is the same either way. Only an FP8 cache allows FP8 math: with a BF16
// cache the flag changes nothing, and neither does it on a GPU without FP8 tensor cores.
TEST(MoeTerms, Fp8AttentionMultipliesTheFp8CacheAtTheFp8Rate) {
  const model_spec m = testing::deepseek_v3_shape();
  gpu_spec g = testing::hand_gpu();
  detail::step_load s = decode_step(10, 4000);
  auto decode = [&](std::uint8_t kv, bool fp8) {
    detail::layer_parts out{};
    detail::attention_layer(m, g, detail::make_view(m, g, layout{1, 1, 1, 1}, prec_fp8, kv, fp8), s, 0.0, out);
    return out.p[comp_attention_decode];
  };
  const double flops = 10.0 * 4000 * 128 * 2176;
  EXPECT_NEAR(decode(prec_fp8, false).a, flops / 200e12, 1e-15);
  EXPECT_NEAR(decode(prec_fp8, true).a, flops / 400e12, 1e-15);
  EXPECT_NEAR(decode(prec_fp8, true).a, 27.853e-6, 0.001e-6);
  EXPECT_NEAR(decode(prec_fp8, true).b, 15.36e-6, 1e-12);
  EXPECT_DOUBLE_EQ(decode(prec_fp8, true).b, decode(prec_fp8, false).b);
  EXPECT_DOUBLE_EQ(decode(prec_bf16, true).a, decode(prec_bf16, false).a);
  g.dense_flops[prec_fp8] = 0.0;
  EXPECT_DOUBLE_EQ(decode(prec_fp8, true).a, flops / 200e12);
}

// FP4 on an MoE model quantises the routed experts only. The hand GPU has no FP4 tensor cores
// (a Hopper): the experts run weight-only, 0.5625 B per weight into BF16 GEMMs at 400 x 0.5 =
// 200 TFLOP/s, attention and shared experts stay FP8 (1 B, 800 x 0.5 = 400 TFLOP/s) and the
// dispatch carries BF16. Weights of the one-layer MoE: 8 experts x 1,572,864 x 0.5625 =
// 7,077,888 B of experts. A dense model's FP4 still needs FP4 tensor cores.
TEST(MoeTerms, Fp4ExpertsRunWeightOnlyWithoutFp4TensorCores) {
  const model_spec m = testing::one_layer_moe();
  gpu_spec g = testing::hand_gpu();
  EXPECT_TRUE(detail::precision_supported(m, g, prec_fp4, prec_fp8));
  EXPECT_FALSE(detail::precision_supported(testing::llama8b_shape(), g, prec_fp4, prec_fp8));
  detail::pool_view v = detail::make_view(m, g, layout{1, 1, 1, 1}, prec_fp4, prec_fp8);
  EXPECT_DOUBLE_EQ(v.weight_bytes, 1.0);
  EXPECT_DOUBLE_EQ(v.expert_weight_bytes, 0.5625);
  EXPECT_DOUBLE_EQ(v.linear_flops_per_s, 400e12);
  EXPECT_DOUBLE_EQ(v.expert_flops_per_s, 200e12);
  EXPECT_DOUBLE_EQ(v.dispatch_bytes, 2.0);
  pool_metrics r{};
  detail::pool_memory(m, g, v, 1.0, r);
  EXPECT_DOUBLE_EQ(r.weight_expert_bytes, 8 * 1572864.0 * 0.5625);
  // With FP4 tensor cores (a Blackwell) the experts compute in FP4 and dispatch FP8.
  g.dense_flops[prec_fp4] = 1600e12;
  v = detail::make_view(m, g, layout{1, 1, 1, 1}, prec_fp4, prec_fp8);
  EXPECT_DOUBLE_EQ(v.expert_flops_per_s, 800e12);
  EXPECT_DOUBLE_EQ(v.linear_flops_per_s, 400e12);
  EXPECT_DOUBLE_EQ(v.dispatch_bytes, 1.0);
}

// What the engine hides under the all-to-all (moe_overlap_kind), on one MoE layer with a shared
// expert at EP 4, 64 decode tokens: the layer's own parts give each mode's hidden time.
// Single-batch overlap hides moe_overlap (0.8) x [min(shared expert, dispatch) + min(down GEMM =
// a third of the routed experts, the combine's transfer, its 30 us latency excluded)]; none hides
// nothing. The parts themselves are the same in every mode.
TEST(MoeTerms, OverlapUnderTheAllToAllIsTheEngines) {
  model_spec m = testing::one_layer_moe();
  m.shared_experts = 1;
  const gpu_spec g = testing::hand_gpu();
  detail::step_load s = decode_step(64);
  const layout lay{1, 1, 4, 4};
  auto step = [&](std::uint8_t mode) {
    return detail::stage_step(m, g, detail::make_view(m, g, lay, prec_bf16, prec_bf16, false, mode), s);
  };
  detail::layer_parts parts{};
  detail::ffn_layer(m, g, detail::make_view(m, g, lay, prec_bf16, prec_bf16), s, true, parts);
  EXPECT_GT(parts.dispatch_s, 30e-6);
  // BF16 weights: dispatch and combine move the same bytes; the combine's fixed latency (30 us)
  // is not its transfer.
  EXPECT_NEAR(parts.combine_transfer_s + 30e-6, parts.dispatch_s, 1e-18);
  EXPECT_NEAR(parts.dispatch_s + parts.combine_transfer_s + 30e-6, parts.p[comp_ep_alltoall].t, 1e-18);
  const double shared = parts.p[comp_shared_experts].t;
  const double down = parts.p[comp_routed_experts].t / 3.0;
  EXPECT_GT(shared, 0.0);
  const step_breakdown none = step(moe_overlap_none);
  const step_breakdown sb = step(moe_overlap_single_batch);
  EXPECT_EQ(none.overlap_hidden_s, 0.0);
  EXPECT_EQ(none.two_batch_overlap, 0.0);
  EXPECT_EQ(sb.two_batch_overlap, 0.0);
  EXPECT_NEAR(sb.overlap_hidden_s, 0.8 * (std::min(shared, parts.dispatch_s) + std::min(down, parts.combine_transfer_s)),
              1e-18);
  EXPECT_GT(sb.overlap_hidden_s, 0.0);
  for (int c = 0; c < comp_count; ++c) EXPECT_EQ(sb.time_s[c], none.time_s[c]);
  EXPECT_NEAR(none.stage_s - sb.stage_s, sb.overlap_hidden_s, 1e-18);
  // Two batches where that pays: never slower than one batch with nothing hidden.
  EXPECT_LE(step(moe_overlap_two_batch).stage_s, none.stage_s);
  // Without expert parallelism nothing crosses GPUs, so no mode hides anything.
  const step_breakdown tp = detail::stage_step(
      m, g, detail::make_view(m, g, layout{4, 1, 1, 1}, prec_bf16, prec_bf16, false, moe_overlap_single_batch), s);
  EXPECT_EQ(tp.overlap_hidden_s, 0.0);
}

}  // namespace
}  // namespace tokenplan
