// The analytical performance and cost model: one serving configuration in; memory, step time by
// component, latency, throughput, fleet size, cost and power out. Both backends run this code.
//
// Physics (docs/model.md, "How the model works"): every part of a layer is costed on its own roofline,
// t = max(FLOPs / achieved FLOP/s, bytes / achieved bytes/s), collectives as latency + bytes /
// bandwidth, then the parts add. Aggregated continuous batching with chunked prefill: each step
// carries its micro-batch's decode tokens plus that micro-batch's share of prefill, so prefill
// and decode share GPU time and their costs add. Disaggregated serving sizes a prefill pool and a
// decode pool each on its own and moves the KV cache between them over the scale-out network.
// The arithmetic avoids library transcendentals so the CPU and CUDA backends produce bit-identical
// doubles (compile with --fmad=false / -ffp-contract=off).
#pragma once

#include <cstdint>

#include "tokenplan/hd.hpp"
#include "tokenplan/precision.hpp"
#include "tokenplan/queueing.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {

/// Why a configuration is not feasible; the first failing check wins. The order is the order of
/// the counts in the output.
enum reason : std::uint8_t {
  reason_feasible = 0,
  reason_parallelism = 1,     ///< a layout no engine can run for this model and GPU
  reason_precision = 2,       ///< the GPU has no tensor cores for that format
  reason_memory = 3,          ///< weights + KV for the batch at full context do not fit
  reason_prefill_budget = 4,  ///< the step token budget cannot carry the batch's decode + prefill
  reason_tpot = 5,            ///< time per output token above the SLO
  reason_ttft = 6,            ///< time to first token above the SLO
  reason_count = 7
};

/// Stable names of the reasons, used as JSON keys.
inline const char* reason_name(std::uint8_t r) {
  switch (r) {
    case reason_feasible: return "feasible";
    case reason_parallelism: return "invalid_parallelism";
    case reason_precision: return "unsupported_precision";
    case reason_memory: return "memory";
    case reason_prefill_budget: return "prefill_budget";
    case reason_tpot: return "tpot_slo";
    case reason_ttft: return "ttft_slo";
    default: return "unknown";
  }
}

enum serving_mode : std::uint8_t { mode_aggregated = 0, mode_disaggregated = 1 };

/// One pool's part of a configuration.
struct pool_config {
  layout lay;
  std::uint32_t chunk;  ///< step token budget per attention-DP rank (0: not used by this pool)
  std::uint32_t batch;  ///< concurrent sequences per attention-DP rank (0: not used)
};

/// One point of the grid.
struct serving_config {
  std::uint32_t site;
  std::uint8_t wprec;      ///< weight (and GEMM) format
  std::uint8_t kvprec;     ///< KV-cache format
  std::uint8_t mode;       ///< serving_mode
  std::uint32_t draft;     ///< speculative draft tokens per step
  pool_config main;        ///< the aggregated replica, or the decode pool
  pool_config prefill;     ///< the prefill pool (disaggregated only)
};

/// Parts of an engine step, for the breakdown and the roofline verdicts.
enum component : std::uint8_t {
  comp_attention_proj = 0,  ///< QKV (or MLA down/up) and output projections
  comp_attention_decode,    ///< decode attention over the KV cache
  comp_attention_prefill,   ///< prefill attention
  comp_dense_mlp,           ///< dense MLP (dense models, leading dense layers of MoE models)
  comp_shared_experts,
  comp_router,
  comp_routed_experts,
  comp_tp_allreduce,        ///< tensor-parallel all-reduces (attention, MLP, expert TP)
  comp_ep_alltoall,         ///< expert-parallel dispatch + combine
  comp_lm_head,
  comp_layer_overhead,      ///< per-layer kernel overheads
  comp_draft,               ///< speculative drafting (MTP module or draft model)
  comp_count
};

/// Stable names of the components.
inline const char* component_name(std::uint8_t c) {
  switch (c) {
    case comp_attention_proj: return "attention_projections";
    case comp_attention_decode: return "attention_decode";
    case comp_attention_prefill: return "attention_prefill";
    case comp_dense_mlp: return "dense_mlp";
    case comp_shared_experts: return "shared_experts";
    case comp_router: return "router";
    case comp_routed_experts: return "routed_experts";
    case comp_tp_allreduce: return "tp_allreduce";
    case comp_ep_alltoall: return "ep_dispatch_combine";
    case comp_lm_head: return "lm_head";
    case comp_layer_overhead: return "layer_overhead";
    case comp_draft: return "speculative_draft";
    default: return "unknown";
  }
}

/// True for the parts that are communication (their two sides are latency and network).
TOKENPLAN_HD inline bool component_is_communication(std::uint8_t c) {
  return c == comp_tp_allreduce || c == comp_ep_alltoall;
}

/// One engine step on the slowest pipeline stage, by component. For compute parts `side_a` is
/// the compute-bound time and `side_b` the memory-bound time (the part takes the larger); for
/// communication `side_a` is the latency term and `side_b` the bandwidth term (they add).
struct step_breakdown {
  double time_s[comp_count];
  double side_a_s[comp_count];
  double side_b_s[comp_count];
  double overlap_hidden_s;  ///< time two-batch overlap hid (0 when it does not pay)
  double two_batch_overlap; ///< 1 when the MoE layers run as two overlapped micro-batches, else 0
  double stage_s;           ///< sum of the parts minus the hidden time
};

/// Everything derived for one pool (the aggregated replica, a prefill or a decode instance).
struct pool_metrics {
  double gpus_per_instance;
  double concurrency;              ///< sequences per instance (decode) or 0 (prefill)
  double micro_batches;
  double decode_tokens_per_step;   ///< per micro-batch step, all attention-DP ranks together
  double prefill_tokens_per_step;
  // memory per GPU, bytes
  double weight_attention_bytes;
  double weight_dense_bytes;       ///< dense MLP, shared experts, router, norms
  double weight_expert_bytes;      ///< routed experts
  double weight_embedding_bytes;
  double weight_bytes;
  double activation_bytes;
  double kv_bytes_per_token;       ///< all layers of the stage, this GPU's share
  double kv_bytes_needed;
  double kv_bytes_available;
  // time
  step_breakdown step;             ///< the average step
  double pp_hops_s;
  double host_overhead_s;          ///< runtime host work per cycle: every micro-batch's step, every sequence
  double cycle_s;                  ///< one token cycle: PP stages, hand-offs, host work, x engine factor
  double tokens_per_cycle;         ///< tokens a decoding sequence gains per cycle (speculation)
  double tpot_s;
  double ttft_s;                   ///< aggregated: time to first token; prefill pool: its share
  double prefill_chunks;
  // queueing at the planned load
  double utilisation;              ///< share of capacity the fleet is sized to run at (TTFT tail)
  double queue_wait_s;             ///< the SLO-percentile wait for a slot at that utilisation
  // capacity of one instance
  double output_tokens_per_s;
  double prompt_tokens_per_s;      ///< uncached prompt tokens per second (prefill work)
  double requests_per_s;
  // the pool in the fleet
  double instances;
  double gpus;
  double nodes;
  double gpus_billed;
};

/// Everything the model derives for one configuration. Units are in the names.
struct metrics {
  pool_metrics main;             ///< aggregated replicas, or the decode pool
  pool_metrics prefill;          ///< the prefill pool (disaggregated only; zero otherwise)
  double kv_transfer_s;          ///< KV cache move per request, all of it
  double kv_transfer_exposed_s;  ///< the part that adds to TTFT after layer-wise overlap
  double tpot_s;
  double ttft_s;
  double tokens_per_s_per_gpu;   ///< input + output, at the planned utilisation
  double gpus;
  double nodes;
  double gpus_billed;            ///< whole nodes: slots an instance leaves empty are paid
  double it_power_kw;
  double facility_power_kw;
  double lease_usd_per_day;
  double energy_usd_per_day;
  double cost_usd_per_day;
  double usd_per_million_tokens;
  double shortfall_gpus;         ///< GPUs billed beyond those of this type in the cluster
  /// Share of the serving time owed to input tokens (full evaluations only): aggregated, the
  /// part of a cycle the prefill tokens add (the cycle with them minus the cycle without them,
  /// over the cycle); disaggregated, the prefill pool's share of the GPU-seconds per request.
  /// Splits cost per million tokens into input and output.
  double prefill_time_share;
};

/// evaluation::index of a configuration that does not come from the grid.
constexpr std::uint64_t no_index = ~std::uint64_t(0);

/// A configuration, what it costs, and whether it is feasible.
struct evaluation {
  std::uint64_t index;  ///< grid index, or no_index for a configuration given by hand
  serving_config cfg;
  metrics m;
  std::uint8_t reason;  ///< reason_feasible or the first check that failed
  double key;           ///< ranking key for problem::goal, lower is better
  double tie;           ///< tie_key(): the first tie-break, lower is better
};

namespace detail {

TOKENPLAN_HD inline double max2(double a, double b) { return a > b ? a : b; }
TOKENPLAN_HD inline double min2(double a, double b) { return a < b ? a : b; }

/// Smallest integer >= x for x >= 0; values from 2^52 up are already integers.
TOKENPLAN_HD inline double ceil_pos(double x) {
  if (!(x < 4503599627370496.0)) return x;
  double f = static_cast<double>(static_cast<std::uint64_t>(x));
  return f < x ? f + 1.0 : f;
}

/// Largest integer <= x for x >= 0.
TOKENPLAN_HD inline double floor_pos(double x) {
  if (!(x < 4503599627370496.0)) return x;
  return static_cast<double>(static_cast<std::uint64_t>(x));
}

/// ceil(a / b) for a >= 0, b > 0.
TOKENPLAN_HD inline double ceil_div(double a, double b) { return ceil_pos(a / b); }

/// base^n for a whole n >= 0, by repeated squaring: the same operations on every backend.
TOKENPLAN_HD inline double pow_whole(double base, double n) {
  double result = 1.0;
  std::uint64_t e = static_cast<std::uint64_t>(min2(n, 1e18));
  while (e > 0) {
    if (e & 1u) result *= base;
    base *= base;
    e >>= 1;
  }
  return result;
}

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
  double weight_bytes;        ///< bytes per weight
  double kv_bytes;            ///< bytes per KV element
  double dispatch_bytes;      ///< bytes per activation in the EP dispatch
  double linear_flops_per_s;
  double attention_flops_per_s;
  double hbm_bytes_per_s;
};

TOKENPLAN_HD inline pool_view make_view(const model_spec& m, const gpu_spec& g, const layout& lay,
                                        std::uint8_t wprec, std::uint8_t kvprec) {
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
  v.weight_bytes = precision_bytes(wprec);
  v.kv_bytes = precision_bytes(kvprec);
  v.dispatch_bytes = wprec == prec_bf16 ? 2.0 : 1.0;
  v.linear_flops_per_s = g.dense_flops[wprec] * g.gemm_efficiency;
  v.attention_flops_per_s = g.dense_flops[prec_bf16] * g.gemm_efficiency;
  v.hbm_bytes_per_s = g.hbm_bytes_per_s * g.hbm_efficiency;
  return v;
}

/// Attention weights on one GPU: (replicated, split by TP) parameter counts of one layer.
TOKENPLAN_HD inline void attention_params(const model_spec& m, const pool_view& v, double* replicated,
                                          double* split, double* act_dims) {
  const double h = m.hidden;
  if (m.attention == attention_mla) {
    const double qk = double(m.qk_nope_head_dim) + m.qk_rope_head_dim;
    const double q_in = m.q_lora_rank > 0 ? double(m.q_lora_rank) : h;
    const double q_a = m.q_lora_rank > 0 ? h * m.q_lora_rank : 0.0;
    const double kv_a = h * (double(m.kv_lora_rank) + m.qk_rope_head_dim);
    *replicated = q_a + kv_a + m.q_lora_rank + m.kv_lora_rank;  // down-projections and their norms
    *split = q_in * v.q_heads * qk + double(m.kv_lora_rank) * v.q_heads * (double(m.qk_nope_head_dim) + m.v_head_dim) +
             v.q_heads * m.v_head_dim * h;
    *act_dims = 2.0 * h + q_in + double(m.kv_lora_rank) + v.q_heads * (qk + m.v_head_dim);
  } else {
    const double hd = m.head_dim;
    const double qkv = (v.q_heads + 2.0 * v.kv_heads) * hd;
    *replicated = 0.0;
    *split = h * qkv + v.q_heads * hd * h + (m.qkv_bias ? qkv : 0.0);
    *act_dims = 2.0 * h + qkv + v.q_heads * hd;
  }
}

/// KV bytes one token adds to one layer on one GPU. MLA keeps one latent per token that every
/// TP rank holds whole; GQA splits KV heads over TP and replicates them past TP = kv_heads.
TOKENPLAN_HD inline double kv_token_layer_bytes(const model_spec& m, const pool_view& v) {
  if (m.attention == attention_mla) return (double(m.kv_lora_rank) + m.qk_rope_head_dim) * v.kv_bytes;
  return 2.0 * v.kv_heads * m.head_dim * v.kv_bytes;
}

/// Attention FLOPs per (query token x context token x head): 2 x (QK dim + PV dim). MLA decode
/// runs absorbed over the latent (576 + 512 on DeepSeek-V3); MLA prefill runs uncompressed.
TOKENPLAN_HD inline double attention_flops_per_pair(const model_spec& m, bool decode) {
  if (m.attention == attention_mla) {
    if (decode) return 2.0 * ((double(m.kv_lora_rank) + m.qk_rope_head_dim) + m.kv_lora_rank);
    return 2.0 * ((double(m.qk_nope_head_dim) + m.qk_rope_head_dim) + m.v_head_dim);
  }
  return 4.0 * m.head_dim;
}

/// KV bytes of one sequence of `tokens` on one GPU over the stage's layers.
TOKENPLAN_HD inline double kv_sequence_bytes(const model_spec& m, const pool_view& v, double tokens) {
  const double per = kv_token_layer_bytes(m, v);
  const double window = m.sliding_window > 0 ? min2(tokens, double(m.sliding_window)) : tokens;
  return per * ((v.layers - v.sliding_layers) * tokens + v.sliding_layers * window);
}

/// Whole-model KV bytes per token (every layer, every head): what disaggregation moves.
TOKENPLAN_HD inline double kv_model_token_bytes(const model_spec& m, std::uint8_t kvprec) {
  const double b = precision_bytes(kvprec);
  const double per = m.attention == attention_mla ? (double(m.kv_lora_rank) + m.qk_rope_head_dim) * b
                                                  : 2.0 * m.kv_heads * m.head_dim * b;
  return per * m.layers;
}

/// Accumulates one roofline part into a breakdown slot.
struct part_sum {
  double a, b, t;  // compute (or latency), memory (or bandwidth), time
};

TOKENPLAN_HD inline part_sum roofline(double flops, double bytes, double flops_per_s, double bytes_per_s) {
  part_sum p{};
  p.a = flops / flops_per_s;
  p.b = bytes / bytes_per_s;
  p.t = max2(p.a, p.b);
  return p;
}

/// A linear part: `tokens` rows through `params` weights, activations of `act_dims` per row in BF16.
TOKENPLAN_HD inline part_sum linear(const pool_view& v, double tokens, double params, double act_dims) {
  return roofline(2.0 * tokens * params, params * v.weight_bytes + tokens * act_dims * 2.0, v.linear_flops_per_s,
                  v.hbm_bytes_per_s);
}

/// Ring all-reduce of `bytes` over `n` GPUs of the NVLink domain: alpha + 2 (n-1)/n x bytes / busbw.
TOKENPLAN_HD inline part_sum allreduce(const gpu_spec& g, double n, double bytes) {
  part_sum p{};
  if (n <= 1.0) return p;
  p.a = g.allreduce_latency_s;
  p.b = 2.0 * (n - 1.0) / n * bytes / g.allreduce_busbw_bytes_per_s;
  p.t = p.a + p.b;
  return p;
}

/// One EP all-to-all (dispatch or combine) of `tokens` tokens per GPU, `bytes_per` bytes per
/// token copy. Inside the NVLink domain every copy goes over NVLink. Past it, copies bound for
/// other nodes cross the NIC: decode kernels (DeepEP low-latency) send one copy per remote
/// expert; prefill kernels (DeepEP normal) send one per remote node and forward inside it over
/// NVLink. NVLink and NIC traffic proceed at the same time.
TOKENPLAN_HD inline part_sum alltoall(const gpu_spec& g, double ep, double k, double decode_tokens, double prefill_tokens,
                                      double bytes_per) {
  part_sum p{};
  if (ep <= 1.0) return p;
  p.a = g.alltoall_latency_s;
  const double tokens = decode_tokens + prefill_tokens;
  const double copies = tokens * k * (ep - 1.0) / ep;  // expert copies leaving the GPU
  const double domain = g.scale_up_domain_gpus;
  if (ep <= domain) {
    p.b = copies * bytes_per / g.p2p_bytes_per_s;
  } else {
    const double nodes = ep / domain;
    const double off_node = 1.0 - domain / ep;
    // Distinct nodes a token's k experts land on (uniform routing), of which (nodes-1)/nodes remote.
    const double remote_nodes = nodes * (1.0 - pow_whole(1.0 - 1.0 / nodes, k)) * (nodes - 1.0) / nodes;
    const double nic = (decode_tokens * k * off_node + prefill_tokens * remote_nodes) * bytes_per;
    const double nvlink = copies * bytes_per - decode_tokens * k * off_node * bytes_per;
    p.b = max2(nvlink / g.p2p_bytes_per_s, nic / g.scale_out_bytes_per_s);
  }
  p.t = p.a + p.b;
  return p;
}

/// The load of one engine step of one micro-batch, all attention-DP ranks together.
struct step_load {
  double decode_seqs;     ///< sequences decoding this step
  double verify_tokens;   ///< tokens each decoding sequence runs (1 + draft)
  double prefill_tokens;  ///< uncached prompt tokens processed this step
  double decode_ctx;      ///< mean context a decode token attends to
  double prefill_ctx;     ///< mean context a prefill token attends to (causal mean, cached prefix included)
  double logit_tokens;    ///< tokens that run the LM head
  double draft_tokens;    ///< drafted tokens per decoding sequence
  double draft_cost_layers;
};

/// Per-layer parts of one layer type, before multiplying by the layer counts.
struct layer_parts {
  part_sum p[comp_count];
};

TOKENPLAN_HD inline void add(part_sum& into, const part_sum& x, double times) {
  into.a += x.a * times;
  into.b += x.b * times;
  into.t += x.t * times;
}

/// Attention of one layer (projections and core) at context limit `ctx_limit` (0 = none).
TOKENPLAN_HD inline void attention_layer(const model_spec& m, const gpu_spec& g, const pool_view& v,
                                         const step_load& s, double ctx_limit, layer_parts& out) {
  (void)g;
  const double rank_decode = s.decode_seqs / v.dp;
  const double rank_tokens = (s.decode_seqs * s.verify_tokens + s.prefill_tokens) / v.dp;
  double rep = 0, split = 0, act = 0;
  attention_params(m, v, &rep, &split, &act);
  out.p[comp_attention_proj] = linear(v, rank_tokens, rep + split, act);
  const double kvl = kv_token_layer_bytes(m, v);
  const double dctx = ctx_limit > 0.0 ? min2(s.decode_ctx, ctx_limit) : s.decode_ctx;
  const double pctx = ctx_limit > 0.0 ? min2(s.prefill_ctx, ctx_limit) : s.prefill_ctx;
  // Decode: every verify token attends to the context; the KV is read once per sequence.
  out.p[comp_attention_decode] =
      roofline(rank_decode * s.verify_tokens * dctx * v.q_heads * attention_flops_per_pair(m, true),
               rank_decode * dctx * kvl, v.attention_flops_per_s, v.hbm_bytes_per_s);
  const double rank_prefill = s.prefill_tokens / v.dp;
  out.p[comp_attention_prefill] =
      roofline(rank_prefill * pctx * v.q_heads * attention_flops_per_pair(m, false), rank_prefill * kvl,
               v.attention_flops_per_s, v.hbm_bytes_per_s);
}

/// Feed-forward of one layer: dense MLP or MoE, with its collectives.
TOKENPLAN_HD inline void ffn_layer(const model_spec& m, const gpu_spec& g, const pool_view& v, const step_load& s,
                                   bool moe, layer_parts& out) {
  const double h = m.hidden;
  const double tokens = s.decode_seqs * s.verify_tokens + s.prefill_tokens;
  const double rank_tokens = tokens / v.dp;
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
  out.p[comp_routed_experts] =
      roofline(2.0 * routed * expert_params,
               touched * expert_params * v.weight_bytes + routed * (2.0 * h + 3.0 * fe / v.expert_tp) * 2.0,
               v.linear_flops_per_s, v.hbm_bytes_per_s);
  if (v.ep > 1.0) {
    // Each GPU dispatches its share of the tokens to k experts, most of them remote: dispatch in
    // the GEMM format (FP8 on FP8/FP4 pipelines), combine in BF16. The busiest GPU sets the pace.
    const double dec = s.decode_seqs * s.verify_tokens / v.group * imbalance;
    const double pre = s.prefill_tokens / v.group * imbalance;
    part_sum a2a = alltoall(g, v.ep, k, dec, pre, h * v.dispatch_bytes);
    add(a2a, alltoall(g, v.ep, k, dec, pre, h * 2.0), 1.0);
    out.p[comp_ep_alltoall] = a2a;
    if (m.shared_experts > 0) add(ar, allreduce(g, v.tp, rank_msg), 1.0);
    if (v.expert_tp > 1.0) add(ar, allreduce(g, v.expert_tp, routed * h * 2.0), 1.0);
  } else {
    add(ar, allreduce(g, v.tp, rank_msg), 1.0);  // experts split by TP: reduce like a dense MLP
  }
  out.p[comp_tp_allreduce] = ar;
}

TOKENPLAN_HD inline double parts_time(const layer_parts& l) {
  double t = 0.0;
  for (int c = 0; c < comp_count; ++c) t += l.p[c].t;
  return t;
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
  if (dense_layers > 0.0) {
    layer_parts dense{};
    ffn_layer(m, g, v, s, false, dense);
    for (int c = 0; c < comp_count; ++c) add(total[c], dense.p[c], dense_layers);
  }
  if (v.moe_layers > 0.0) {
    layer_parts moe{};
    ffn_layer(m, g, v, s, true, moe);
    for (int c = 0; c < comp_count; ++c) add(total[c], moe.p[c], v.moe_layers);
    if (v.ep > 1.0) {
      // Two-batch overlap: two half micro-batches, one computing while the other communicates.
      // It hides min(compute, communication) x moe_overlap, at the price of running each half
      // separately (weights are read twice). Engines turn it on where it pays.
      step_load half = s;
      half.decode_seqs *= 0.5;
      half.prefill_tokens *= 0.5;
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
    }
  }
  // Fixed kernel overheads per layer (the runtime's host work is added per cycle).
  total[comp_layer_overhead].t = v.layers * g.layer_overhead_s;
  total[comp_layer_overhead].b = total[comp_layer_overhead].t;
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
    const double layer_t = parts_time(da) + parts_time(df) + g.layer_overhead_s;
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

/// Whether the GPU has tensor cores for the weight and KV formats (FP8 KV needs FP8 support).
TOKENPLAN_HD inline bool precision_supported(const gpu_spec& g, std::uint8_t wprec, std::uint8_t kvprec) {
  if (g.dense_flops[wprec] <= 0.0) return false;
  if (kvprec == prec_fp4) return false;
  if (kvprec == prec_fp8 && g.dense_flops[prec_fp8] <= 0.0) return false;
  return true;
}

/// Weights, activations and KV room of one GPU of a pool.
TOKENPLAN_HD inline void pool_memory(const model_spec& m, const gpu_spec& g, const pool_view& v, double step_tokens,
                                     pool_metrics& r) {
  const double h = m.hidden;
  double rep = 0, split = 0, act = 0;
  attention_params(m, v, &rep, &split, &act);
  r.weight_attention_bytes = v.layers * (rep + split) * v.weight_bytes;
  const double dense_layers = v.layers - v.moe_layers;
  const double shared = m.experts > 0 ? double(m.shared_experts) * 3.0 * h * m.expert_ffn / v.tp : 0.0;
  // Norms (2 x hidden per layer) and the router stay BF16.
  r.weight_dense_bytes = dense_layers * 3.0 * h * (m.ffn / v.tp) * v.weight_bytes +
                         v.moe_layers * (shared * v.weight_bytes + h * m.experts * 2.0) + v.layers * 2.0 * h * 2.0;
  r.weight_expert_bytes = v.moe_layers * v.local_experts * 3.0 * h * m.expert_ffn / v.expert_tp * v.weight_bytes;
  // Vocabulary tables stay BF16 and are split by TP. With PP the embedding sits on the first
  // stage and the LM head on the last, so the worst stage holds one table.
  const double tables = (v.pp == 1.0 && !m.tie_embeddings) ? 2.0 : 1.0;
  r.weight_embedding_bytes = tables * double(m.vocab) * h / v.tp * 2.0;
  r.weight_bytes = r.weight_attention_bytes + r.weight_dense_bytes + r.weight_expert_bytes + r.weight_embedding_bytes;
  // Peak activation workspace of a full step on one rank: hidden states and the widest MLP
  // intermediate in BF16.
  const double dense_ffn = (m.experts == 0 || m.dense_layers > 0) ? m.ffn / v.tp : 0.0;
  const double widest = m.experts > 0 ? max2(dense_ffn, 3.0 * m.expert_ffn) : dense_ffn;
  r.activation_bytes = step_tokens * (h + 3.0 * widest) * 2.0;
  r.kv_bytes_per_token = kv_sequence_bytes(m, v, 1.0);
  // The KV cache takes the usable share of what is left after weights, workspace and the
  // runtime's reserve (TensorRT-LLM's kv_cache_free_gpu_mem_fraction, 0.9 by default).
  r.kv_bytes_available =
      max2(0.0, g.hbm_bytes - g.memory_reserve_bytes - r.weight_bytes - r.activation_bytes) * g.memory_usable_fraction;
}

/// Hand-offs between pipeline stages for one step of `tokens` tokens: inside a node over NVLink,
/// across nodes over the NIC.
TOKENPLAN_HD inline double pp_hops(const gpu_spec& g, const pool_view& v, double gpn, double tokens, double hidden) {
  if (v.pp <= 1.0) return 0.0;
  const double gpr = v.group * v.pp;
  const double out = gpr > gpn ? ceil_div(gpr, gpn) - 1.0 : 0.0;
  const double in = max2(0.0, v.pp - 1.0 - out);
  const double bytes = tokens * hidden * 2.0;
  return in * (g.p2p_latency_s + bytes / g.p2p_bytes_per_s) +
         out * (g.scale_out_latency_s + bytes / g.scale_out_bytes_per_s);
}

/// Instances packed into nodes: an instance of a whole node or more fills whole nodes; smaller
/// ones share nodes and leave slots empty when they do not divide the node.
TOKENPLAN_HD inline void pack_nodes(pool_metrics& r, double gpn) {
  r.gpus = r.instances * r.gpus_per_instance;
  if (r.gpus_per_instance >= gpn) {
    r.nodes = r.instances * ceil_div(r.gpus_per_instance, gpn);
  } else {
    r.nodes = ceil_div(r.instances, floor_pos(gpn / r.gpus_per_instance));
  }
  r.gpus_billed = r.nodes * gpn;
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

}  // namespace detail

/// Decodes one pool's sub-index (0 <= i < pool_size) into layout, chunk and batch.
TOKENPLAN_HD inline pool_config decode_pool(const pool_axes& a, std::uint64_t i) {
  pool_config c{};
  c.batch = a.batch[i % a.n_batch];
  i /= a.n_batch;
  c.chunk = a.chunk[i % a.n_chunk];
  i /= a.n_chunk;
  c.lay = a.layouts[i % a.n_layout];
  return c;
}

/// Decodes a grid index (0 <= index < grid_size) into its configuration. Outermost first: site,
/// weight format, KV format, draft length, then the block of aggregated and disaggregated points.
TOKENPLAN_HD inline serving_config decode_index(const grid_axes& g, std::uint64_t index) {
  serving_config c{};
  const std::uint64_t block = block_size(g);
  std::uint64_t j = index % block;
  std::uint64_t i = index / block;
  c.draft = g.draft[i % g.n_draft];
  i /= g.n_draft;
  c.kvprec = g.kvprec[i % g.n_kvprec];
  i /= g.n_kvprec;
  c.wprec = g.wprec[i % g.n_wprec];
  i /= g.n_wprec;
  c.site = g.site[i % g.n_site];
  const std::uint64_t agg = g.aggregated ? pool_size(g.agg) : 0;
  if (j < agg) {
    c.mode = mode_aggregated;
    c.main = decode_pool(g.agg, j);
  } else {
    j -= agg;
    c.mode = mode_disaggregated;
    const std::uint64_t dec = pool_size(g.decode);
    c.main = decode_pool(g.decode, j % dec);
    c.prefill = decode_pool(g.prefill, j / dec);
  }
  return c;
}

/// Ranking key for the objective; lower is better. Ties are broken by cost, then index.
TOKENPLAN_HD inline double objective_key(objective goal, const metrics& m) {
  if (goal == objective_gpus) return m.gpus_billed;
  if (goal == objective_tokens_per_gpu) return -m.tokens_per_s_per_gpu;
  return m.cost_usd_per_day;
}

/// The first tie-break after objective_key (lower first): for the cost goal, fewer GPUs billed
/// (at a site priced at 0 every configuration costs 0, and the smallest fleet, not the first
/// batch size, should win); for the other goals, the cost per day. Both are no larger in an
/// eval_bound evaluation than in the exact one, as the key is, so pruning stays exact.
TOKENPLAN_HD inline double tie_key(objective goal, const metrics& m) {
  return goal == objective_cost ? m.gpus_billed : m.cost_usd_per_day;
}

/// How much of an evaluation to compute.
enum eval_depth : std::uint8_t {
  eval_full = 0,     ///< every metric, whatever the verdict (reports, explain)
  eval_verdict = 1,  ///< stop at the first failed check; exact verdict and ranking keys (the search)
  /// as eval_verdict, but every pool is sized at the highest utilisation queueing allows (0.999)
  /// instead of solving for the SLO's: the same verdict, and keys no worse than the exact ones
  /// (fewer instances, lower cost). The search uses it to skip configurations that cannot beat
  /// its current N-th best without paying for the queueing solve.
  eval_bound = 2,
  /// only the cheap checks: parallelism, formats, memory and the step budget. reason_feasible
  /// here means those pass (the step is not costed). The search uses it for batches it already
  /// knows fail a later check.
  eval_checks = 3,
  /// Disaggregated configurations only: the checks that depend on the decode pool alone (its
  /// layout, formats, memory, TPOT), the prefill pool ignored; reason_feasible means they pass.
  /// Every prefill pool paired with this decode pool shares these verdicts, so the search
  /// computes them once per decode pool (the same code as the full evaluation, so the same bits).
  eval_decode_side = 4,
  /// Disaggregated only: the checks that depend on the prefill pool alone (layout, formats,
  /// memory); reason_feasible means they pass.
  eval_prefill_side = 5,
};

/// Evaluates one configuration of the problem. Never produces NaN or Inf for validated inputs:
/// every divisor is a validated positive spec value or a count >= 1. Below eval_full it stops at
/// the first failed check - memory, step budget, TPOT, TTFT, the same order as the verdict - and
/// fills only what the verdict and the ranking keys need.
///
/// `decode_known` / `prefill_known` (disaggregated only, may be null): the pool's metrics as an
/// eval_decode_side / eval_prefill_side evaluation of the same pool left them, which this
/// evaluation would compute again bit for bit; given, they are copied instead (the search
/// evaluates every prefill pool with every decode pool and computes each pool once).
TOKENPLAN_HD inline evaluation evaluate_config(const problem& p, const serving_config& c,
                                               eval_depth depth = eval_full,
                                               const pool_metrics* decode_known = nullptr,
                                               const pool_metrics* prefill_known = nullptr) {
  using namespace detail;
  const bool full = depth == eval_full;
  const bool bound = depth == eval_bound;
  evaluation e{};
  e.index = no_index;
  e.cfg = c;
  const model_spec& m = p.model;
  const workload_spec& w = p.workload;
  const site_spec& site = p.sites[c.site];
  const gpu_spec& g = site.gpu;
  const bool disagg = c.mode == mode_disaggregated;
  const bool decode_side = disagg && depth == eval_decode_side;
  const bool prefill_side = disagg && depth == eval_prefill_side;

  if ((!prefill_side && !layout_valid(m, g, c.main.lay)) ||
      (disagg && !decode_side && !layout_valid(m, g, c.prefill.lay))) {
    e.reason = reason_parallelism;
    return e;
  }
  if (!precision_supported(g, c.wprec, c.kvprec)) {
    e.reason = reason_precision;
    return e;
  }

  metrics& r = e.m;
  const double hidden = m.hidden;
  const double isl = w.input_tokens;
  const double osl = w.output_tokens;
  const double cached = isl * w.prefix_cache_hit;
  const double isl_new = isl - cached;                       // prompt tokens that cost compute
  const double isl_new_tail = w.input_tail * (1.0 - w.prefix_cache_hit);
  const double gpn = site.gpus_per_node;
  const double draft = c.draft;
  const double tau = tokens_per_step(w.draft_acceptance, draft);
  const double ef = w.engine_factor;
  const double peak_requests_per_s = w.tokens_per_day / 86400.0 * w.peak_to_average / (isl + osl);
  // One request at the tail beside a batch at the mean: the long request must fit too.
  const double tail_extra = (w.input_tail + w.output_tail) - (isl + osl);

  // ---- the main pool: aggregated replicas, or the decode pool ----------------------------
  pool_metrics& d = r.main;
  const pool_view dv = make_view(m, g, c.main.lay, c.wprec, c.kvprec);
  d.gpus_per_instance = dv.group * dv.pp;
  d.concurrency = double(c.main.batch) * dv.dp;
  d.micro_batches = min2(d.concurrency, dv.pp);
  const double mb = d.concurrency / d.micro_batches;
  d.tokens_per_cycle = tau;
  d.decode_tokens_per_step = mb;
  // Steady state: a micro-batch finishes mb x tau / OSL requests per cycle, so the same number of
  // prompts arrive, each with isl_new tokens to prefill (aggregated only).
  d.prefill_tokens_per_step = disagg ? 0.0 : mb * tau * isl_new / osl;
  step_load avg{};
  avg.decode_seqs = mb;
  avg.verify_tokens = 1.0 + draft;
  avg.prefill_tokens = d.prefill_tokens_per_step;
  avg.decode_ctx = isl + (osl + 1.0) * 0.5;
  // Prefill attention is quadratic in the prompt: a prompt of L tokens, a share h cached, costs
  // its new tokens an average context of L (h + (1 - h) / 2). Averaged over prompts that weighs
  // each by its length: E[L^2] / E[L] replaces L, so heavy-tailed prompts cost more than their mean.
  const double attended = max2(w.input_sq_mean, isl * isl) / isl;
  avg.prefill_ctx = attended * (w.prefix_cache_hit + (1.0 - w.prefix_cache_hit) * 0.5) + 0.5;
  avg.logit_tokens = mb * (1.0 + draft) + d.prefill_tokens_per_step / isl_new;
  avg.draft_tokens = draft;
  avg.draft_cost_layers = w.draft_cost_layers;
  const double rank_step_tokens = (mb * (1.0 + draft) + d.prefill_tokens_per_step) / dv.dp;
  const double budget = disagg ? rank_step_tokens : double(c.main.chunk);
  if (disagg && decode_known != nullptr) {
    d = *decode_known;
  } else {
    pool_memory(m, g, dv, max2(budget, rank_step_tokens), d);
    d.kv_bytes_needed = double(c.main.batch) * kv_sequence_bytes(m, dv, isl + osl) +
                        max2(0.0, kv_sequence_bytes(m, dv, isl + osl + tail_extra) - kv_sequence_bytes(m, dv, isl + osl));
  }
  // The cheap checks first, so the search can stop before costing a step.
  const pool_view pv = make_view(m, g, disagg ? c.prefill.lay : c.main.lay, c.wprec, c.kvprec);
  if (disagg && prefill_known != nullptr) {
    r.prefill = *prefill_known;
  } else if (disagg) {
    pool_memory(m, g, pv, double(c.prefill.chunk), r.prefill);
    // In flight on a rank: a step's worth of prompts plus one tail prompt.
    r.prefill.kv_bytes_needed = kv_sequence_bytes(m, pv, double(c.prefill.chunk) + w.input_tail);
  }
  const bool fits = (prefill_side || (d.kv_bytes_available >= d.kv_bytes_needed && d.kv_bytes_available > 0.0)) &&
                    (!disagg || decode_side ||
                     (r.prefill.kv_bytes_available >= r.prefill.kv_bytes_needed && r.prefill.kv_bytes_available > 0.0));
  const bool budget_ok = disagg || (rank_step_tokens <= double(c.main.chunk) &&
                                    double(c.main.chunk) - mb * (1.0 + draft) / dv.dp >= 1.0);
  if (!full && (!fits || !budget_ok)) {
    e.reason = fits ? reason_prefill_budget : reason_memory;
    return e;
  }
  if (depth == eval_checks) {
    e.reason = reason_feasible;
    return e;
  }
  if (!prefill_side && !(disagg && decode_known != nullptr)) {
    d.step = stage_step(m, g, dv, avg);
    d.pp_hops_s = pp_hops(g, dv, gpn, mb * (1.0 + draft) + d.prefill_tokens_per_step, hidden);
    d.host_overhead_s = host_overhead(g, d.micro_batches, double(c.main.batch) + (disagg ? 0.0 : d.prefill_tokens_per_step * d.micro_batches / dv.dp / isl_new));
    d.cycle_s = (dv.pp * d.step.stage_s + d.pp_hops_s + d.host_overhead_s) * ef;
    d.tpot_s = d.cycle_s / tau;
    d.output_tokens_per_s = d.concurrency * tau / d.cycle_s;
    d.requests_per_s = d.output_tokens_per_s / osl;
  }
  if (!full && !prefill_side && d.tpot_s > w.tpot_slo_s) {
    e.reason = reason_tpot;
    return e;
  }
  if (decode_side) {
    e.reason = reason_feasible;
    return e;
  }

  if (!disagg) {
    // TTFT: a new prompt takes the rank's budget left after the decodes, chunk by chunk, one
    // cycle per chunk, after waiting on average half a cycle. The tail prompt sets the SLO.
    const double room = double(c.main.chunk) - mb * (1.0 + draft) / dv.dp;
    double full_cycle = d.cycle_s;
    if (room >= 1.0) {
      d.prefill_chunks = ceil_div(isl_new_tail, room);
      step_load with_chunk = avg;
      with_chunk.prefill_tokens = min2(isl_new_tail, room) * dv.dp;
      with_chunk.logit_tokens = mb * (1.0 + draft) + with_chunk.prefill_tokens / isl_new;
      step_breakdown fb = stage_step(m, g, dv, with_chunk);
      full_cycle = (dv.pp * fb.stage_s + pp_hops(g, dv, gpn, mb * (1.0 + draft) + with_chunk.prefill_tokens, hidden) +
                    d.host_overhead_s) * ef;
    }
    // Admission queueing: a replica is a pool of `concurrency` slots, each request holding one
    // through its prefill and its OSL decode steps. The fleet runs each replica at the highest
    // utilisation that keeps the SLO percentile of the wait within what the TTFT leaves.
    const double base_ttft = d.prefill_chunks * full_cycle + 0.5 * d.cycle_s;
    const double hold = base_ttft + osl * d.tpot_s;
    // Queueing is solved only for configurations that pass every other check: the others are
    // out anyway, and the search should not pay for them.
    if (fits && budget_ok && d.tpot_s <= w.tpot_slo_s) {
      const double ttft_budget = w.ttft_slo_s - base_ttft;
      if (bound) {
        d.utilisation = queueing::utilisation_bound(d.concurrency, hold, ttft_budget, w.slo_tail);
      } else {
        d.utilisation = queueing::max_utilisation(d.concurrency, hold, ttft_budget, w.slo_tail);
        d.queue_wait_s = queueing::tail_wait_within(d.concurrency, hold, w.slo_tail, d.utilisation, ttft_budget);
      }
    }
    d.ttft_s = base_ttft + d.queue_wait_s;
    d.prompt_tokens_per_s = d.requests_per_s * isl_new;
    d.instances = d.utilisation > 0.0 ? ceil_div(peak_requests_per_s, d.requests_per_s * d.utilisation) : 0.0;
    pack_nodes(d, gpn);
    r.tpot_s = d.tpot_s;
    r.ttft_s = d.utilisation > 0.0 ? d.ttft_s : base_ttft;
    r.tokens_per_s_per_gpu = d.requests_per_s * d.utilisation * (isl + osl) / d.gpus_per_instance;
    if (full && d.cycle_s > 0.0) {
      step_load decode_only = avg;
      decode_only.prefill_tokens = 0.0;
      decode_only.logit_tokens = mb * (1.0 + draft);
      const step_breakdown db = stage_step(m, g, dv, decode_only);
      const double cycle_decode = (dv.pp * db.stage_s + pp_hops(g, dv, gpn, mb * (1.0 + draft), hidden) +
                                   host_overhead(g, d.micro_batches, double(c.main.batch))) * ef;
      r.prefill_time_share = max2(0.0, 1.0 - cycle_decode / d.cycle_s);
    }
  } else {
    // ---- the prefill pool ---------------------------------------------------------------
    pool_metrics& f = r.prefill;
    if (prefill_known == nullptr) {
      f.gpus_per_instance = pv.group * pv.pp;
      f.micro_batches = pv.pp;
      f.tokens_per_cycle = 1.0;
      f.prefill_tokens_per_step = double(c.prefill.chunk) * pv.dp;
      step_load ps{};
      ps.verify_tokens = 1.0;
      ps.prefill_tokens = f.prefill_tokens_per_step;
      ps.prefill_ctx = avg.prefill_ctx;
      ps.logit_tokens = f.prefill_tokens_per_step / isl_new;
      f.step = stage_step(m, g, pv, ps);
      f.pp_hops_s = pp_hops(g, pv, gpn, f.prefill_tokens_per_step, hidden);
      // Pipelined: a chunk enters every stage time; a prompt waits half a step, then its chunks
      // and the pipeline's depth.
      f.host_overhead_s = host_overhead(g, 1.0, double(c.prefill.chunk) / isl_new);
      f.cycle_s = (f.step.stage_s + f.host_overhead_s) * ef;
      f.prefill_chunks = ceil_div(isl_new_tail, double(c.prefill.chunk));
      f.ttft_s = (f.prefill_chunks + pv.pp - 1.0 + 0.5) * f.cycle_s + f.pp_hops_s * ef;
      // Its NICs must carry the KV of everything it prefills (the cached prefix too).
      const double kv_request = kv_model_token_bytes(m, c.kvprec) * isl;
      const double nic_prompts_per_s = f.gpus_per_instance * g.scale_out_bytes_per_s / kv_request;
      f.requests_per_s = min2(f.prefill_tokens_per_step / f.cycle_s / isl_new, nic_prompts_per_s);
      f.prompt_tokens_per_s = f.requests_per_s * isl_new;
    }
    if (prefill_side) {
      e.reason = reason_feasible;
      return e;
    }

    // KV transfer of one tail request over the NICs of the smaller side, overlapped layer by
    // layer with the prefill: only what outlasts the prefill compute (at least one layer) shows.
    const double streams = min2(f.gpus_per_instance, d.gpus_per_instance);
    r.kv_transfer_s = g.scale_out_latency_s +
                      kv_model_token_bytes(m, c.kvprec) * w.input_tail / (streams * g.scale_out_bytes_per_s);
    r.kv_transfer_exposed_s = max2(r.kv_transfer_s / m.layers, r.kv_transfer_s - f.prefill_chunks * f.cycle_s);

    // Queueing on both sides, each given half of what the TTFT leaves: a prompt waits for a
    // place in a prefill step (slots = prompts per step, held for its chunks), then for a decode
    // slot (held for OSL steps).
    const double base_ttft = f.ttft_s + r.kv_transfer_exposed_s;
    const double side_budget = 0.5 * (w.ttft_slo_s - base_ttft);
    const double prefill_slots = max2(1.0, f.prefill_tokens_per_step / isl_new);
    const double prefill_hold = f.prefill_chunks * f.cycle_s;
    if (fits && d.tpot_s <= w.tpot_slo_s) {
      if (bound) {
        f.utilisation = queueing::utilisation_bound(prefill_slots, prefill_hold, side_budget, w.slo_tail);
        d.utilisation = queueing::utilisation_bound(d.concurrency, osl * d.tpot_s, side_budget, w.slo_tail);
      } else {
        f.utilisation = queueing::max_utilisation(prefill_slots, prefill_hold, side_budget, w.slo_tail);
        f.queue_wait_s = queueing::tail_wait_within(prefill_slots, prefill_hold, w.slo_tail, f.utilisation, side_budget);
        d.utilisation = queueing::max_utilisation(d.concurrency, osl * d.tpot_s, side_budget, w.slo_tail);
        d.queue_wait_s = queueing::tail_wait_within(d.concurrency, osl * d.tpot_s, w.slo_tail, d.utilisation, side_budget);
      }
    }
    f.instances = f.utilisation > 0.0 ? ceil_div(peak_requests_per_s, f.requests_per_s * f.utilisation) : 0.0;
    pack_nodes(f, gpn);
    d.ttft_s = 0.0;
    d.instances = d.utilisation > 0.0 ? ceil_div(peak_requests_per_s, d.requests_per_s * d.utilisation) : 0.0;
    pack_nodes(d, gpn);
    r.tpot_s = d.tpot_s;
    r.ttft_s = base_ttft + f.queue_wait_s + d.queue_wait_s;
    // GPU-seconds per request on each side, at the planned utilisation.
    const bool sized = f.utilisation > 0.0 && d.utilisation > 0.0;
    const double gpu_s = sized ? f.gpus_per_instance / (f.requests_per_s * f.utilisation) +
                                     d.gpus_per_instance / (d.requests_per_s * d.utilisation)
                               : 0.0;
    r.tokens_per_s_per_gpu = sized ? (isl + osl) / gpu_s : 0.0;
    r.prefill_time_share = sized ? f.gpus_per_instance / (f.requests_per_s * f.utilisation) / gpu_s : 0.0;
  }

  // ---- the fleet: cost and power ------------------------------------------------------------
  r.gpus = r.main.gpus + r.prefill.gpus;
  r.nodes = r.main.nodes + r.prefill.nodes;
  r.gpus_billed = r.main.gpus_billed + r.prefill.gpus_billed;
  r.it_power_kw = r.gpus_billed * g.power_w / 1000.0;
  r.facility_power_kw = r.it_power_kw * site.pue;
  r.lease_usd_per_day = r.gpus_billed * site.usd_per_gpu_hour * 24.0;
  r.energy_usd_per_day = site.price_includes_power ? 0.0 : r.facility_power_kw * 24.0 * site.usd_per_kwh;
  r.cost_usd_per_day = r.lease_usd_per_day + r.energy_usd_per_day;
  r.usd_per_million_tokens = r.cost_usd_per_day / (w.tokens_per_day / 1e6);
  r.shortfall_gpus = max2(0.0, r.gpus_billed - site.type_gpus_available);

  if (!fits) {
    e.reason = reason_memory;
  } else if (!budget_ok) {
    e.reason = reason_prefill_budget;
  } else if (r.tpot_s > w.tpot_slo_s) {
    e.reason = reason_tpot;
  } else if (d.utilisation <= 0.0 || (disagg && r.prefill.utilisation <= 0.0)) {
    // Queueing sized every pool within what the TTFT SLO leaves (the wait is capped at that
    // budget), so a positive utilisation is the TTFT verdict; comparing the re-added sum with
    // the SLO would only test rounding.
    e.reason = reason_ttft;
  } else {
    e.reason = reason_feasible;
  }
  e.key = objective_key(p.goal, r);
  e.tie = tie_key(p.goal, r);
  return e;
}

/// Evaluates grid point `index` of the problem (`depth`: as evaluate_config).
TOKENPLAN_HD inline evaluation evaluate(const problem& p, std::uint64_t index, eval_depth depth = eval_full) {
  evaluation e = evaluate_config(p, decode_index(p.grid, index), depth);
  e.index = index;
  return e;
}

}  // namespace tokenplan
