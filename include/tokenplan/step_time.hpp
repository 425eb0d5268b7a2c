// Step time by component: the load of one engine step (step_load), each layer's parts on their
// own rooflines (attention projections and core, dense MLP, shared and routed experts, router)
// with their collectives, the slowest pipeline stage's step with two-batch overlap, LM head and
// speculative drafting (stage_step), the runtime's host work per cycle and the tokens a
// speculating sequence gains per step. Includes only other tokenplan/ headers and the standard
// library.
#pragma once

#include "tokenplan/communication.hpp"
#include "tokenplan/detail/arith.hpp"
#include "tokenplan/evaluation.hpp"
#include "tokenplan/hd.hpp"
#include "tokenplan/memory.hpp"
#include "tokenplan/pool_view.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {
namespace detail {

/// Attention FLOPs per (query token x context token x head): 2 x (QK dim + PV dim). MLA decode
/// runs absorbed over the latent (576 + 512 on DeepSeek-V3); MLA prefill runs uncompressed.
TOKENPLAN_HD inline double attention_flops_per_pair(const model_spec& m, bool decode) {
  if (m.attention == attention_mla) {
    if (decode) return 2.0 * ((double(m.kv_lora_rank) + m.qk_rope_head_dim) + m.kv_lora_rank);
    return 2.0 * ((double(m.qk_nope_head_dim) + m.qk_rope_head_dim) + m.v_head_dim);
  }
  return 4.0 * m.head_dim;
}

/// A linear part: `tokens` rows through `params` weights, activations of `act_dims` per row in BF16.
TOKENPLAN_HD inline part_sum linear(const pool_view& v, double tokens, double params, double act_dims) {
  return roofline(2.0 * tokens * params, params * v.weight_bytes + tokens * act_dims * 2.0, v.linear_flops_per_s,
                  v.hbm_bytes_per_s);
}

/// Grouped (MoE) FP8 GEMMs stream their weights slower than a dense GEMM of the same size: each
/// expert is a small GEMM of m rows with its own tiles, pipeline fill and scale loads. Returns the
/// grouped kernel's achieved HBM bandwidth over the dense GEMM's, by m = tokens per active expert.
/// Fixed priors, not fitted. The dense reference is DeepGEMM's dense FP8 GEMM at M = 64 and 128 on
/// H800 (github.com/deepseek-ai/DeepGEMM README, Feb 2025, "Normal GEMMs": median of 12 shapes
/// 2,299 GB/s, 0.686 of 3.35 TB/s). Grouped: SGLang's FP8 grouped-GEMM benchmark on H200
/// (sgl-project/sglang benchmark/kernels/fbgemm/README.md: Qwen2-57B-A14B, 64 experts, 4 to 64
/// tokens per expert; median of its three kernels, FBGEMM Triton, FBGEMM CUTLASS, SGLang Triton:
/// 0.634, 0.631 of 4.8 TB/s at m = 4, 8 and 0.491, 0.516, 0.465 at m = 16, 32, 64) and DeepGEMM's
/// masked grouped GEMM on H800 at m = 256 (2,064 and 2,047 GB/s, 0.61). Over the dense 0.686:
/// 0.92 up to m = 8, 0.72 from 16 to 64, 0.90 from 256; linear in m between. The data are FP8;
/// other formats use the same curve.
TOKENPLAN_HD inline double grouped_gemm_hbm_ratio(double m) {
  if (m <= 8.0) return 0.92;
  if (m <= 16.0) return 0.92 + (0.72 - 0.92) * (m - 8.0) / 8.0;
  if (m <= 64.0) return 0.72;
  if (m <= 256.0) return 0.72 + (0.90 - 0.72) * (m - 64.0) / 192.0;
  return 0.90;
}

/// A grouped GEMM's achieved tensor throughput over a large dense GEMM's, by tokens per active
/// expert m. Fixed priors from DeepGEMM's README (H800, FP8): dense M = 4096 median of 6 shapes
/// 1,041 TFLOPS; masked grouped at m = 256 averages 874 TFLOPS (0.84), m = 512 978 (0.94),
/// m = 1024 1,079 (1.0, capped); contiguous grouped at 4,096 to 8,192 tokens per expert 1,194
/// (1.0, capped). Below 256 the kernel is memory-bound and 0.84 holds; linear in m between.
TOKENPLAN_HD inline double grouped_gemm_flops_ratio(double m) {
  if (m <= 256.0) return 0.84;
  if (m <= 512.0) return 0.84 + (0.94 - 0.84) * (m - 256.0) / 256.0;
  if (m <= 1024.0) return 0.94 + (1.0 - 0.94) * (m - 512.0) / 512.0;
  return 1.0;
}

/// Kernels an MoE layer launches beyond a dense layer's MLP, in layers' worth of overhead: each
/// kernel costs a tenth of the per-layer overhead (the calibration's layer_overhead is "about ten kernels per layer": norm, QKV, RoPE
/// and KV write, attention, output projection, all-reduce, norm, gate-up, activation, down).
/// Counted from SGLang's DeepEP MoE path (python/sglang/srt/models/deepseek_v2.py forward_deepep,
/// python/sglang/srt/layers/moe/ep_moe/layer.py forward_deepgemm_masked and _contiguous): router
/// GEMM, top-k selection, token permute (ep_scatter) and unpermute (ep_gather), the activation's
/// FP8 re-quantisation, on top of the dense MLP's gate-up, activation and down that the two
/// grouped GEMMs and the activation replace: 5 more; shared experts run their own gate-up,
/// activation and down: 3 more. Dispatch and combine are costed by the all-to-all.
TOKENPLAN_HD inline double moe_extra_layers(const model_spec& m) {
  return (5.0 + (m.shared_experts > 0 ? 3.0 : 0.0)) / 10.0;
}

/// The load of one engine step of one micro-batch, all attention-DP ranks together.
struct step_load {
  double decode_seqs;     ///< sequences decoding this step
  double verify_tokens;   ///< tokens each decoding sequence runs (1 + draft)
  double prefill_tokens;  ///< uncached prompt tokens processed this step
  double rank_prefill_peak;  ///< of them, on the busiest attention-DP rank (0: an even share)
  double decode_ctx;      ///< mean context a decode token attends to
  double prefill_ctx;     ///< mean context a prefill token attends to (causal mean, cached prefix included)
  double logit_tokens;    ///< tokens that run the LM head
  double draft_tokens;    ///< drafted tokens per decoding sequence
  double draft_cost_layers;
};

/// Prompt tokens the busiest attention-DP rank prefills this step. Each rank schedules its own
/// requests, so a prompt's chunk stays on one rank, and the expert all-to-all makes every rank
/// wait for the slowest at every layer: the rank carrying the prefill sets the step.
TOKENPLAN_HD inline double busy_rank_prefill(const step_load& s, const pool_view& v) {
  return max2(s.prefill_tokens / v.dp, min2(s.rank_prefill_peak, s.prefill_tokens));
}

/// Per-layer parts of one layer type, before multiplying by the layer counts.
struct layer_parts {
  part_sum p[comp_count];
  double dispatch_s;          ///< of p[comp_ep_alltoall].t: the dispatch
  double combine_transfer_s;  ///< the combine's bytes over the links, its fixed latency excluded
};

/// Attention of one layer (projections and core) at context limit `ctx_limit` (0 = none).
TOKENPLAN_HD inline void attention_layer(const model_spec& m, const gpu_spec& g, const pool_view& v,
                                         const step_load& s, double ctx_limit, layer_parts& out) {
  (void)g;
  const double rank_decode = s.decode_seqs / v.dp;
  const double rank_prefill = busy_rank_prefill(s, v);
  const double rank_tokens = s.decode_seqs * s.verify_tokens / v.dp + rank_prefill;
  double rep = 0, split = 0, act = 0;
  attention_params(m, v, &rep, &split, &act);
  out.p[comp_attention_proj] = linear(v, rank_tokens, rep + split, act);
  const double kvl = kv_token_layer_bytes(m, v);
  const double dctx = ctx_limit > 0.0 ? min2(s.decode_ctx, ctx_limit) : s.decode_ctx;
  const double pctx = ctx_limit > 0.0 ? min2(s.prefill_ctx, ctx_limit) : s.prefill_ctx;
  // Decode: every verify token attends to the context; the KV is read once per sequence.
  out.p[comp_attention_decode] =
      roofline(rank_decode * s.verify_tokens * dctx * v.q_heads * attention_flops_per_pair(m, true),
               rank_decode * dctx * kvl, v.kv_math_flops_per_s, v.hbm_bytes_per_s);
  out.p[comp_attention_prefill] =
      roofline(rank_prefill * pctx * v.q_heads * attention_flops_per_pair(m, false), rank_prefill * kvl,
               v.kv_math_flops_per_s, v.hbm_bytes_per_s);
}

/// Feed-forward of one layer: dense MLP or MoE, with its collectives.
TOKENPLAN_HD inline void ffn_layer(const model_spec& m, const gpu_spec& g, const pool_view& v, const step_load& s,
                                   bool moe, layer_parts& out) {
  const double h = m.hidden;
  const double tokens = s.decode_seqs * s.verify_tokens + s.prefill_tokens;
  const double rank_prefill = busy_rank_prefill(s, v);
  const double rank_tokens = s.decode_seqs * s.verify_tokens / v.dp + rank_prefill;  // the busiest rank
  const double rank_msg = rank_tokens * h * 2.0;
  part_sum ar = allreduce(g, v.tp, rank_msg);  // after attention
  if (!moe) {
    const double f = m.ffn / v.tp;
    out.p[comp_dense_mlp] = linear(v, rank_tokens, 3.0 * h * f, 2.0 * h + 3.0 * f);
    add(ar, allreduce(g, v.tp, rank_msg), 1.0);
    out.p[comp_tp_allreduce] = ar;
    return;
  }
  const double fe = m.expert_ffn;
  if (m.shared_experts > 0) {
    const double f = m.shared_experts * fe / v.tp;
    out.p[comp_shared_experts] = linear(v, rank_tokens, 3.0 * h * f, 2.0 * h + 3.0 * f);
  }
  // Router in BF16, replicated on every GPU.
  out.p[comp_router] = roofline(2.0 * rank_tokens * h * m.experts, h * m.experts * 2.0 + rank_tokens * h * 2.0,
                                v.attention_flops_per_s, v.hbm_bytes_per_s);
  // Routed experts: the busiest GPU gets its share of the routed tokens times the imbalance; the
  // weights read are those of the local experts the batch touches: with uniform routing of T
  // tokens choosing k of E, an expert is touched with probability 1 - (1 - k/E)^T.
  const double k = m.experts_per_token;
  const double imbalance = v.ep > 1.0 ? g.expert_imbalance : 1.0;
  const double routed = tokens * k / v.ep * imbalance;
  const double touched = v.local_experts * (1.0 - pow_whole(1.0 - k / m.experts, ceil_pos(tokens)));
  const double expert_params = 3.0 * h * fe / v.expert_tp;
  // The experts run as grouped GEMMs of `per_expert` rows each, slower than one dense GEMM.
  const double per_expert = touched > 0.0 ? routed / touched : 0.0;
  part_sum experts =
      roofline(2.0 * routed * expert_params,
               touched * expert_params * v.expert_weight_bytes + routed * (2.0 * h + 3.0 * fe / v.expert_tp) * 2.0,
               v.expert_flops_per_s * grouped_gemm_flops_ratio(per_expert),
               v.hbm_bytes_per_s * grouped_gemm_hbm_ratio(per_expert));
  // The gated activation between the two grouped GEMMs is a kernel of its own in the engines' MoE
  // paths (vLLM's fused_moe calls silu_and_mul between its two Triton GEMMs; SGLang's DeepGEMM path
  // silu_and_mul_masked_post_quant; TensorRT-LLM's CUTLASS MoE doActivation): it reads the gate and
  // up outputs (2 x fe) and writes the activation (fe), BF16, and that traffic cannot hide under
  // the GEMMs' compute, so it adds even where they are compute-bound.
  add(experts, roofline(0.0, routed * 3.0 * fe / v.expert_tp * 2.0, 1.0, v.hbm_bytes_per_s), 1.0);
  out.p[comp_routed_experts] = experts;
  if (v.ep > 1.0 && v.dp > 1.0) {
    // Each GPU dispatches its share of the tokens to k experts, most of them remote: dispatch in
    // the GEMM format (FP8 on FP8/FP4 pipelines), combine in BF16. The busiest GPU sets the pace.
    const double dec = s.decode_seqs * s.verify_tokens / v.group * imbalance;
    const double pre = max2(s.prefill_tokens / v.group * imbalance, rank_prefill / v.tp);
    part_sum a2a = alltoall(g, v.ep, k, dec, pre, h * v.dispatch_bytes);
    const part_sum combine = alltoall(g, v.ep, k, dec, pre, h * 2.0);
    out.dispatch_s = a2a.t;
    out.combine_transfer_s = combine.b;
    add(a2a, combine, 1.0);
    out.p[comp_ep_alltoall] = a2a;
    if (m.shared_experts > 0) add(ar, allreduce(g, v.tp, rank_msg), 1.0);
    if (v.expert_tp > 1.0) add(ar, allreduce(g, v.expert_tp, routed * h * 2.0), 1.0);
  } else {
    // Experts split by TP, or spread by EP under tensor-parallel attention: every rank holds every
    // token after the attention all-reduce, runs its own experts on the tokens routed to them
    // and the layer's output is summed by one all-reduce, as a dense MLP's (TensorRT-LLM's
    // "indexed local reduction before a global allreduce", vLLM's and SGLang's EP without
    // attention DP). Nothing is dispatched over the network.
    add(ar, allreduce(g, v.tp, rank_msg), 1.0);
  }
  out.p[comp_tp_allreduce] = ar;
}

TOKENPLAN_HD inline double parts_time(const layer_parts& l) {
  double t = 0.0;
  for (int c = 0; c < comp_count; ++c) t += l.p[c].t;
  return t;
}

/// A layer's kernel work outside its collectives (which carry their own latency).
TOKENPLAN_HD inline double local_work(const layer_parts& l) {
  return parts_time(l) - l.p[comp_tp_allreduce].t - l.p[comp_ep_alltoall].t;
}

/// What a layer's kernel floor f adds to its kernel work w (rooflines, without the collectives):
/// sqrt(w^2 + f^2) - w. A layer is about ten kernels (moe_extra_layers), and none finishes
/// faster than its launch, ramp and tail, a few microseconds however little it computes or
/// reads: at a small batch the floor sets the layer's time, at a large one the work hides it.
/// The 2-norm joins them as roofline() joins compute and memory (a hard max() left the floor
/// unidentified in the fit: no gradient where the work hides it). The calibration's
/// layer_overhead is the floor of a dense layer's ten kernels. Evidence: TensorRT-LLM's
/// DeepSeek-R1 decode at batch 1 on 8 B200 takes 9.0 ms a step (111 tokens/s without MTP,
/// blog 1), about 148 us a layer where its weights take some 25 us; an additive overhead fitted
/// across every batch (14 us a layer) left small-batch TPOT 21% off out of sample.
TOKENPLAN_HD inline double floor_excess(double w, double f) {
  return sqrt(w * w + f * f) - w;
}

/// Time of one engine step on the slowest pipeline stage.
TOKENPLAN_HD inline step_breakdown stage_step(const model_spec& m, const gpu_spec& g, const pool_view& v,
                                              const step_load& s) {
  step_breakdown b{};
  part_sum total[comp_count] = {};
  const double full_layers = v.layers - v.sliding_layers;
  // Attention: full-context layers and sliding-window layers.
  layer_parts att_full{}, att_slide{};
  attention_layer(m, g, v, s, 0.0, att_full);
  if (v.sliding_layers > 0.0) attention_layer(m, g, v, s, double(m.sliding_window), att_slide);
  for (int c = 0; c < comp_count; ++c) {
    add(total[c], att_full.p[c], full_layers);
    add(total[c], att_slide.p[c], v.sliding_layers);
  }
  const double dense_layers = v.layers - v.moe_layers;
  // One layer's attention work, full and sliding-window layers in their proportions.
  const double att_w = v.layers > 0.0 ? (local_work(att_full) * full_layers + local_work(att_slide) * v.sliding_layers) /
                                             v.layers
                                       : 0.0;
  double floor_s = 0.0;
  if (dense_layers > 0.0) {
    layer_parts dense{};
    ffn_layer(m, g, v, s, false, dense);
    for (int c = 0; c < comp_count; ++c) add(total[c], dense.p[c], dense_layers);
    floor_s += dense_layers * floor_excess(att_w + local_work(dense), g.layer_overhead_s);
  }
  if (v.moe_layers > 0.0) {
    layer_parts moe{};
    ffn_layer(m, g, v, s, true, moe);
    for (int c = 0; c < comp_count; ++c) add(total[c], moe.p[c], v.moe_layers);
    floor_s += v.moe_layers * floor_excess(att_w + local_work(moe), (1.0 + moe_extra_layers(m)) * g.layer_overhead_s);
    if (v.ep > 1.0 && v.moe_overlap_mode == moe_overlap_two_batch) {
      // Two-batch overlap: two half micro-batches, one computing while the other communicates.
      // It hides min(compute, communication) x moe_overlap, at the price of running each half
      // separately (weights are read twice). Engines turn it on where it pays.
      step_load half = s;
      half.decode_seqs *= 0.5;
      half.prefill_tokens *= 0.5;
      half.rank_prefill_peak *= 0.5;
      layer_parts hatt{}, hmoe{};
      attention_layer(m, g, v, half, 0.0, hatt);
      ffn_layer(m, g, v, half, true, hmoe);
      const double comm_full = moe.p[comp_ep_alltoall].t;
      const double comp_full = parts_time(moe) - comm_full + parts_time(att_full);
      const double comm_half = 2.0 * hmoe.p[comp_ep_alltoall].t;
      const double comp_half = 2.0 * (parts_time(hmoe) - hmoe.p[comp_ep_alltoall].t + parts_time(hatt));
      const double plain = comp_full + comm_full;
      const double overlapped = comp_half + comm_half - g.moe_overlap * min2(comp_half, comm_half);
      if (overlapped < plain) {
        b.two_batch_overlap = 1.0;
        b.overlap_hidden_s = (plain - overlapped) * v.moe_layers;
      }
    } else if (v.ep > 1.0 && v.moe_overlap_mode != moe_overlap_none) {
      // Single-batch overlap: the shared expert computes while the dispatch is in flight, and the
      // down GEMM, a third of the routed experts' weights and FLOPs, hands its rows to the combine
      // as they finish: that hides the combine's transfer, never its fixed latency (the last rows
      // leave when the GEMM ends, and the receiver waits for them). Each pair hides moe_overlap of
      // its shorter side.
      const double hidden = min2(moe.p[comp_shared_experts].t, moe.dispatch_s) +
                            min2(moe.p[comp_routed_experts].t / 3.0, moe.combine_transfer_s);
      b.overlap_hidden_s = g.moe_overlap * hidden * v.moe_layers;
    }
  }
  // The kernel floor (the runtime's host work is added per cycle): see floor_excess.
  total[comp_layer_overhead].t = floor_s;
  total[comp_layer_overhead].b = floor_s;
  // LM head in BF16 on the last stage (quantised checkpoints keep it in BF16), split by TP.
  total[comp_lm_head] = roofline(2.0 * (s.logit_tokens / v.dp) * m.hidden * m.vocab / v.tp,
                                 double(m.hidden) * m.vocab / v.tp * 2.0, v.attention_flops_per_s, v.hbm_bytes_per_s);
  // Speculative drafting: per drafted token, `draft_cost_layers` average layers and an LM head
  // over the decoding sequences (DeepSeek's MTP module is one transformer layer).
  if (s.draft_tokens > 0.0) {
    step_load d = s;
    d.verify_tokens = 1.0;
    d.prefill_tokens = 0.0;
    layer_parts da{}, df{};
    attention_layer(m, g, v, d, 0.0, da);
    ffn_layer(m, g, v, d, v.moe_layers > 0.0, df);
    const double layer_t = parts_time(da) + parts_time(df) +
                           floor_excess(local_work(da) + local_work(df),
                                        (1.0 + (v.moe_layers > 0.0 ? moe_extra_layers(m) : 0.0)) * g.layer_overhead_s);
    part_sum head = roofline(2.0 * (s.decode_seqs / v.dp) * m.hidden * m.vocab / v.tp,
                             double(m.hidden) * m.vocab / v.tp * 2.0, v.attention_flops_per_s, v.hbm_bytes_per_s);
    total[comp_draft].t = s.draft_tokens * (s.draft_cost_layers * layer_t + head.t);
    total[comp_draft].a = total[comp_draft].t;
  }
  double sum = 0.0;
  for (int c = 0; c < comp_count; ++c) {
    b.time_s[c] = total[c].t;
    b.side_a_s[c] = total[c].a;
    b.side_b_s[c] = total[c].b;
    sum += total[c].t;
  }
  b.stage_s = sum - b.overlap_hidden_s;
  return b;
}

/// Host work of one token cycle: the scheduler and sampler run once per micro-batch step, and the
/// per-sequence work once per sequence of the rank (all micro-batches).
TOKENPLAN_HD inline double host_overhead(const gpu_spec& g, double micro_batches, double rank_sequences) {
  return micro_batches * g.step_overhead_s + rank_sequences * g.sequence_overhead_s;
}

/// Expected tokens a decoding sequence gains per step with d drafts of acceptance a:
/// (1 - a^(d+1)) / (1 - a).
TOKENPLAN_HD inline double tokens_per_step(double a, double d) {
  if (d <= 0.0) return 1.0;
  return (1.0 - pow_whole(a, d + 1.0)) / (1.0 - a);
}

/// Step token budget a rank has left for prefill after its micro-batch's decode tokens:
/// `chunk` minus `decode_seqs` sequences of 1 + `draft` tokens over `dp` ranks.
TOKENPLAN_HD inline double prefill_room(double chunk, double decode_seqs, double draft, double dp) {
  return chunk - decode_seqs * (1.0 + draft) / dp;
}

}  // namespace detail
}  // namespace tokenplan
