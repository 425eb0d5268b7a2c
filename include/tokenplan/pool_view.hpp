// A pool seen from one of its GPUs (pool_view: per-GPU heads, experts and layers, the achieved
// throughputs of its formats), the checks a layout and formats must pass before anything is
// costed (layout_valid, precision_supported), and part_sum, the two-sided time every cost term
// of memory, step time and communication is built from (roofline, add). Includes only other
// tokenplan/ headers and the standard library.
#pragma once

#include <cmath>
#include <cstdint>

#include "tokenplan/detail/arith.hpp"
#include "tokenplan/hd.hpp"
#include "tokenplan/precision.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {
namespace detail {

/// A pool's layout seen from one GPU, with the achieved throughputs it runs at.
struct pool_view {
  double tp, pp, ep, dp;
  double group;               ///< tp x dp GPUs per stage
  double expert_tp;           ///< group / ep: how each expert is split
  double layers;              ///< layers on the slowest stage: ceil(layers / pp)
  double moe_layers;          ///< of which MoE
  double sliding_layers;      ///< of which sliding-window
  double q_heads;             ///< query heads per GPU
  double kv_heads;            ///< GQA KV heads per GPU, ceil(kv_heads / tp)
  double local_experts;       ///< routed experts per GPU, ceil(experts / ep)
  double weight_bytes;        ///< bytes per weight of attention, dense MLP and shared experts
  double expert_weight_bytes; ///< bytes per routed-expert weight
  double kv_bytes;            ///< bytes per KV element
  double dispatch_bytes;      ///< bytes per activation in the EP dispatch
  double linear_flops_per_s;  ///< attention projections, dense MLP, shared experts
  double expert_flops_per_s;  ///< routed experts
  double attention_flops_per_s;  ///< router and LM head (BF16)
  double kv_math_flops_per_s;    ///< attention's math over the KV cache, prefill and decode
  double hbm_bytes_per_s;
  std::uint8_t moe_overlap_mode;  ///< what the engine hides under the all-to-all (moe_overlap_kind)
};

TOKENPLAN_HD inline pool_view make_view(const model_spec& m, const gpu_spec& g, const layout& lay,
                                        std::uint8_t wprec, std::uint8_t kvprec, bool fp8_attention = false,
                                        std::uint8_t moe_overlap_mode = moe_overlap_two_batch) {
  pool_view v{};
  v.tp = lay.tp;
  v.pp = lay.pp;
  v.ep = lay.ep;
  v.dp = lay.dp;
  v.group = v.tp * v.dp;
  v.expert_tp = v.group / v.ep;
  v.layers = ceil_div(m.layers, lay.pp);
  const double moe_share = m.experts > 0 ? double(m.layers - m.dense_layers) / m.layers : 0.0;
  v.moe_layers = v.layers * moe_share;
  v.sliding_layers = v.layers * (double(m.sliding_layers) / m.layers);
  v.q_heads = double(m.heads) / lay.tp;
  v.kv_heads = ceil_div(m.kv_heads, lay.tp);
  v.local_experts = m.experts > 0 ? ceil_div(m.experts, lay.ep) : 0.0;
  // FP4 checkpoints of MoE models quantise the routed experts only: NVFP4 DeepSeek runs FP8
  // attention with FP4 experts (SGLang's GB200 "FP8 attention, NVFP4 MoE" configuration, the
  // sglang-dsv3-gb200-*-fp8attn-nvfp4moe validation points), MXFP4 gpt-oss keeps attention in
  // BF16 (approximated here by FP8 where the GPU has it). Without FP4 tensor cores (Hopper) the
  // experts run weight-only: FP4 weights dequantised into BF16 GEMMs (vLLM's Marlin MXFP4 MoE).
  const bool moe_fp4 = wprec == prec_fp4 && m.experts > 0;
  const std::uint8_t fallback = g.dense_flops[prec_fp8] > 0.0 ? std::uint8_t(prec_fp8) : std::uint8_t(prec_bf16);
  const std::uint8_t rest = moe_fp4 ? fallback : wprec;
  const bool weight_only = wprec == prec_fp4 && g.dense_flops[prec_fp4] <= 0.0;
  v.weight_bytes = precision_bytes(rest);
  v.expert_weight_bytes = precision_bytes(wprec);
  v.kv_bytes = precision_bytes(kvprec);
  v.dispatch_bytes = wprec == prec_bf16 || weight_only ? 2.0 : 1.0;
  v.linear_flops_per_s = g.dense_flops[rest] * g.gemm_efficiency;
  v.expert_flops_per_s = g.dense_flops[weight_only ? std::uint8_t(prec_bf16) : wprec] * g.gemm_efficiency;
  v.attention_flops_per_s = g.dense_flops[prec_bf16] * g.gemm_efficiency;
  // An FP8 attention kernel multiplies the FP8 cache at the FP8 rate (twice BF16 on Hopper):
  // only with an FP8 cache, and only where the GPU has FP8 tensor cores.
  const bool fp8_attn = fp8_attention && kvprec == prec_fp8 && g.dense_flops[prec_fp8] > 0.0;
  v.kv_math_flops_per_s = g.dense_flops[fp8_attn ? std::uint8_t(prec_fp8) : std::uint8_t(prec_bf16)] * g.gemm_efficiency;
  v.hbm_bytes_per_s = g.hbm_bytes_per_s * g.hbm_efficiency;
  v.moe_overlap_mode = moe_overlap_mode;
  return v;
}

/// Parallelism the grid may propose but no engine can run for this model on this GPU.
TOKENPLAN_HD inline bool layout_valid(const model_spec& m, const gpu_spec& g, const layout& l) {
  if (l.tp < 1 || l.pp < 1 || l.ep < 1 || l.dp < 1) return false;
  if (l.tp > g.scale_up_domain_gpus || m.heads % l.tp != 0 || l.pp > m.layers) return false;
  if ((l.tp * l.dp) % l.ep != 0) return false;
  if (m.experts == 0) return l.ep == 1 && l.dp == 1;  // a dense model has no experts to spread
  if (l.ep > m.experts) return false;
  if (l.dp > 1 && l.ep == 1) return false;  // attention DP feeds expert parallelism
  return true;
}

/// Whether the GPU can run the weight and KV formats (FP8 KV needs FP8 support). FP4 experts of
/// an MoE model also run weight-only on a GPU without FP4 tensor cores (see make_view).
TOKENPLAN_HD inline bool precision_supported(const model_spec& m, const gpu_spec& g, std::uint8_t wprec,
                                             std::uint8_t kvprec) {
  const bool weight_only = wprec == prec_fp4 && m.experts > 0 && g.dense_flops[prec_bf16] > 0.0;
  if (g.dense_flops[wprec] <= 0.0 && !weight_only) return false;
  if (kvprec == prec_fp4) return false;
  if (kvprec == prec_fp8 && g.dense_flops[prec_fp8] <= 0.0) return false;
  return true;
}

/// Accumulates one roofline part into a breakdown slot.
struct part_sum {
  double a, b, t;  // compute (or latency), memory (or bandwidth), time
};

/// A kernel's time from its compute time a and memory time b: sqrt(a^2 + b^2), a smooth roofline.
/// max(a, b) is the ideal, reached only far from the ridge; near it a kernel overlaps neither
/// fully (its tiles wait on loads, then the loads wait on the tensor cores), and both roofs cost.
/// The 2-norm equals max(a, b) where one side is zero (pure traffic, pure latency), is within 1%
/// of it once one side is 7x the other and costs sqrt(2) at the ridge. Evidence: MLPerf MI300X
/// Llama-2-70B steps grow 0.27 ms per sequence from 36 sequences up, where max() keeps the step
/// flat to about 200; leave-one-source-out over the shipped points, p = 1.5, 2 and 3 all beat max()
/// (docs/validation.md, "What moved"), and 2 has the fewest points off by more than 1.5x.
/// sqrt is correctly rounded on host and device, so the backends agree exactly.
TOKENPLAN_HD inline part_sum roofline(double flops, double bytes, double flops_per_s, double bytes_per_s) {
  part_sum p{};
  p.a = flops / flops_per_s;
  p.b = bytes / bytes_per_s;
  p.t = p.a == 0.0 ? p.b : (p.b == 0.0 ? p.a : sqrt(p.a * p.a + p.b * p.b));
  return p;
}

/// Adds `x`, `times` over, into `into` (a, b and t each).
TOKENPLAN_HD inline void add(part_sum& into, const part_sum& x, double times) {
  into.a += x.a * times;
  into.b += x.b * times;
  into.t += x.t * times;
}

}  // namespace detail
}  // namespace tokenplan
