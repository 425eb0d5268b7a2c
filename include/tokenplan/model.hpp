// The analytical performance and cost model: one serving configuration in, memory, step time,
// latency, throughput, fleet size, cost and power out. Both backends run exactly this code.
//
// Physics (see README "How the model works"): every operation of a layer is costed on its own
// roofline, t = max(FLOPs / achieved FLOP/s, bytes / achieved bytes/s), then the terms add.
// Aggregated continuous batching with chunked prefill: each engine step carries the decode
// tokens of its micro-batch plus that micro-batch's share of prefill, so prefill and decode share
// GPU time and their costs add. The arithmetic avoids library transcendentals so the CPU and
// CUDA backends produce bit-identical doubles (compile with --fmad=false / -ffp-contract=off).
#pragma once

#include <cstdint>

#include "tokenplan/hd.hpp"
#include "tokenplan/precision.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {

/// Why a configuration is not feasible; the first failing check wins. Order matters: it is the
/// order of the counts in the output.
enum reason : std::uint8_t {
  reason_feasible = 0,
  reason_parallelism = 1,    ///< TP beyond the scale-up domain, heads not divisible by TP, PP > layers
  reason_precision = 2,      ///< the GPU has no tensor cores for that format
  reason_memory = 3,         ///< weights + KV for the batch at full context do not fit
  reason_prefill_budget = 4, ///< the step token budget cannot carry the batch's decode + prefill
  reason_tpot = 5,           ///< time per output token above the SLO
  reason_ttft = 6,           ///< time to first token above the SLO
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

/// One point of the grid.
struct serving_config {
  std::uint32_t site;   ///< index into problem::sites
  std::uint32_t tp;     ///< tensor-parallel degree
  std::uint32_t pp;     ///< pipeline-parallel degree
  std::uint32_t batch;  ///< max concurrent sequences per replica
  std::uint32_t chunk;  ///< token budget per engine step (decode + prefill chunk)
  std::uint8_t wprec;   ///< weight (and GEMM) format
  std::uint8_t kvprec;  ///< KV-cache format
};

/// Time of one engine step on the slowest pipeline stage, by component, seconds.
struct step_breakdown {
  double linear_s;     ///< QKV, output, gate/up and down projections
  double attention_s;  ///< decode attention over the KV cache + prefill attention
  double allreduce_s;  ///< two TP all-reduces per layer
  double lm_head_s;    ///< vocabulary projection of the tokens that sample
  double overhead_s;   ///< per-layer kernel overheads
  double stage_s;      ///< sum of the above
};

/// Everything the model derives for one configuration. Units are in the names.
struct metrics {
  // memory, per GPU
  double weight_bytes;
  double activation_bytes;
  double kv_bytes_per_token;
  double kv_bytes_needed;       ///< batch x (input + output) tokens of KV
  double kv_bytes_available;    ///< usable HBM - reserve - weights - activations
  // one engine step
  double micro_batches;
  double decode_tokens_per_step;
  double prefill_tokens_per_step;
  step_breakdown step;          ///< the average step
  double pp_hops_s;             ///< activation hand-offs between stages per token cycle
  double tpot_s;                ///< mean time per output token
  double prefill_chunks;        ///< engine cycles to prefill one prompt
  double ttft_s;                ///< time to first token
  // one replica
  double gpus_per_replica;
  double replica_output_tokens_per_s;
  double replica_tokens_per_s;  ///< input + output
  double replica_requests_per_s;
  double tokens_per_s_per_gpu;  ///< input + output
  // the fleet that serves the peak
  double replicas;
  double gpus;                  ///< replicas x GPUs per replica
  double nodes;
  double gpus_billed;           ///< nodes x GPUs per node: slots a replica leaves empty are paid
  double it_power_kw;
  double facility_power_kw;
  double lease_usd_per_day;
  double energy_usd_per_day;
  double cost_usd_per_day;
  double usd_per_million_tokens;
  double shortfall_gpus;        ///< GPUs billed beyond those of this type in the cluster
};

/// A configuration, what it costs, and whether it is feasible.
struct evaluation {
  std::uint64_t index;  ///< grid index, or no_index for a configuration given by hand
  serving_config cfg;
  metrics m;
  std::uint8_t reason;  ///< reason_feasible or the first check that failed
  double key;           ///< ranking key for problem::goal, lower is better
};

/// evaluation::index of a configuration that does not come from the grid.
constexpr std::uint64_t no_index = ~std::uint64_t(0);

/// Decodes a grid index (0 <= index < grid_size) into its configuration. Mixed radix, batch
/// innermost.
TOKENPLAN_HD inline serving_config decode_index(const grid_axes& g, std::uint64_t index) {
  serving_config c{};
  std::uint64_t i = index;
  c.batch = g.batch[i % g.n_batch];
  i /= g.n_batch;
  c.chunk = g.chunk[i % g.n_chunk];
  i /= g.n_chunk;
  c.pp = g.pp[i % g.n_pp];
  i /= g.n_pp;
  c.tp = g.tp[i % g.n_tp];
  i /= g.n_tp;
  c.kvprec = g.kvprec[i % g.n_kvprec];
  i /= g.n_kvprec;
  c.wprec = g.wprec[i % g.n_wprec];
  i /= g.n_wprec;
  c.site = g.site[i % g.n_site];
  return c;
}

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

/// How a configuration lays the model out on one GPU, plus achieved throughputs.
struct layout {
  double tp, pp;
  double layers_per_stage;  ///< ceil(layers / PP): the slowest stage sets the pace
  double q_heads;           ///< query heads per GPU (heads / TP)
  double kv_heads;          ///< KV heads per GPU, ceil(kv_heads / TP): replicated past TP = kv_heads
  double weight_bytes;      ///< bytes per linear-layer weight
  double kv_bytes;          ///< bytes per KV element
  double linear_flops_per_s;
  double attention_flops_per_s;
  double hbm_bytes_per_s;
};

/// Roofline of one operation: compute-bound or memory-bound, whichever is slower.
TOKENPLAN_HD inline double roofline_s(double flops, double bytes, double flops_per_s,
                                      double bytes_per_s) {
  return max2(flops / flops_per_s, bytes / bytes_per_s);
}

/// A GEMM of `tokens` rows against a k x n weight slice on this GPU. Activations move in BF16.
TOKENPLAN_HD inline double gemm_s(const layout& l, double tokens, double k, double n) {
  double flops = 2.0 * tokens * k * n;
  double bytes = k * n * l.weight_bytes + tokens * (k + n) * 2.0;
  return roofline_s(flops, bytes, l.linear_flops_per_s, l.hbm_bytes_per_s);
}

/// Inputs of one engine step of one micro-batch.
struct step_load {
  double decode_tokens;   ///< sequences generating a token this step
  double prefill_tokens;  ///< prompt tokens processed this step (chunked prefill)
  double decode_ctx;      ///< mean context a decode token attends to
  double prefill_ctx;     ///< mean context a prefill token attends to (causal mean)
  double logit_tokens;    ///< tokens that run the LM head (decodes + prompts that finish)
};

/// Time of one engine step on the slowest pipeline stage.
TOKENPLAN_HD inline step_breakdown stage_step(const model_spec& m, const gpu_spec& g,
                                              const layout& l, const step_load& s) {
  const double hidden = m.hidden;
  const double hd = m.head_dim;
  const double t = s.decode_tokens + s.prefill_tokens;
  const double qkv_n = (l.q_heads + 2.0 * l.kv_heads) * hd;
  const double o_k = l.q_heads * hd;
  const double ffn = m.ffn / l.tp;

  double linear = gemm_s(l, t, hidden, qkv_n) + gemm_s(l, t, o_k, hidden) +
                  gemm_s(l, t, hidden, 2.0 * ffn) + gemm_s(l, t, ffn, hidden);

  // Attention: FLOPs 4 x tokens x context x heads x head_dim (QK^T and PV); bytes are the KV
  // read by decode and the KV written by prefill. Attention runs in BF16 on the tensor cores.
  const double kv_token_layer = 2.0 * l.kv_heads * hd * l.kv_bytes;
  double attn_decode = roofline_s(4.0 * s.decode_tokens * s.decode_ctx * l.q_heads * hd,
                                  s.decode_tokens * s.decode_ctx * kv_token_layer,
                                  l.attention_flops_per_s, l.hbm_bytes_per_s);
  double attn_prefill = roofline_s(4.0 * s.prefill_tokens * s.prefill_ctx * l.q_heads * hd,
                                   s.prefill_tokens * kv_token_layer, l.attention_flops_per_s,
                                   l.hbm_bytes_per_s);

  // Two all-reduces per layer (after attention and after the MLP), ring estimate:
  // alpha + 2 (TP-1)/TP x message / busbw, message = tokens x hidden x 2 bytes.
  double allreduce = 0.0;
  if (l.tp > 1.0) {
    double msg = t * hidden * 2.0;
    allreduce = 2.0 * (g.allreduce_latency_s +
                       2.0 * (l.tp - 1.0) / l.tp * msg / g.allreduce_busbw_bytes_per_s);
  }

  step_breakdown b{};
  b.linear_s = l.layers_per_stage * linear;
  b.attention_s = l.layers_per_stage * (attn_decode + attn_prefill);
  b.allreduce_s = l.layers_per_stage * allreduce;
  b.overhead_s = l.layers_per_stage * g.layer_overhead_s;
  // LM head in BF16 on the last stage (quantised checkpoints keep it in BF16).
  b.lm_head_s = roofline_s(2.0 * s.logit_tokens * hidden * m.vocab / l.tp,
                           hidden * m.vocab / l.tp * 2.0, g.dense_flops[prec_bf16] * g.gemm_efficiency,
                           l.hbm_bytes_per_s);
  b.stage_s = b.linear_s + b.attention_s + b.allreduce_s + b.overhead_s + b.lm_head_s;
  return b;
}

/// Parallelism the grid may propose but no engine can run.
TOKENPLAN_HD inline bool parallelism_valid(const model_spec& m, const gpu_spec& g,
                                           const serving_config& c) {
  return c.tp >= 1 && c.pp >= 1 && c.tp <= g.scale_up_domain_gpus && m.heads % c.tp == 0 &&
         c.pp <= m.layers;
}

/// Whether the GPU has tensor cores for the weight and KV formats (FP8 KV needs FP8 support).
TOKENPLAN_HD inline bool precision_supported(const gpu_spec& g, const serving_config& c) {
  if (g.dense_flops[c.wprec] <= 0.0) return false;
  if (c.kvprec == prec_fp4) return false;
  if (c.kvprec == prec_fp8 && g.dense_flops[prec_fp8] <= 0.0) return false;
  return true;
}

}  // namespace detail

/// Ranking key for the objective; lower is better. Ties are broken by cost, then index.
TOKENPLAN_HD inline double objective_key(objective goal, const metrics& m) {
  if (goal == objective_gpus) return m.gpus_billed;
  if (goal == objective_tokens_per_gpu) return -m.tokens_per_s_per_gpu;
  return m.cost_usd_per_day;
}

/// Evaluates one configuration of the problem. Never produces NaN or Inf for validated inputs:
/// every divisor is a validated positive spec value or a count >= 1.
TOKENPLAN_HD inline evaluation evaluate_config(const problem& p, const serving_config& c) {
  using namespace detail;
  evaluation e{};
  e.index = no_index;
  e.cfg = c;
  const model_spec& m = p.model;
  const workload_spec& w = p.workload;
  const site_spec& site = p.sites[c.site];
  const gpu_spec& g = site.gpu;

  if (!parallelism_valid(m, g, c)) {
    e.reason = reason_parallelism;
    return e;
  }
  if (!precision_supported(g, c)) {
    e.reason = reason_precision;
    return e;
  }

  layout l{};
  l.tp = c.tp;
  l.pp = c.pp;
  l.layers_per_stage = ceil_div(m.layers, c.pp);
  l.q_heads = double(m.heads) / c.tp;
  l.kv_heads = ceil_div(m.kv_heads, c.tp);
  l.weight_bytes = precision_bytes(c.wprec);
  l.kv_bytes = precision_bytes(c.kvprec);
  l.linear_flops_per_s = g.dense_flops[c.wprec] * g.gemm_efficiency;
  l.attention_flops_per_s = g.dense_flops[prec_bf16] * g.gemm_efficiency;
  l.hbm_bytes_per_s = g.hbm_bytes_per_s * g.hbm_efficiency;

  metrics& r = e.m;
  const double hidden = m.hidden;
  const double hd = m.head_dim;
  const double isl = w.input_tokens;
  const double osl = w.output_tokens;
  const double batch = c.batch;
  const double chunk = c.chunk;

  // ---- memory per GPU -------------------------------------------------------------------
  const double linear_params = hidden * (l.q_heads + 2.0 * l.kv_heads) * hd +
                               l.q_heads * hd * hidden + 3.0 * hidden * (m.ffn / l.tp);
  const double small_params = 2.0 * hidden + (m.qkv_bias ? (l.q_heads + 2.0 * l.kv_heads) * hd : 0.0);
  // Vocabulary tables stay BF16 and are split by TP. With PP the embedding sits on the first
  // stage and the LM head on the last, so the worst stage holds one table.
  const double vocab_tables = (c.pp == 1 && !m.tie_embeddings) ? 2.0 : 1.0;
  r.weight_bytes = l.layers_per_stage * (linear_params * l.weight_bytes + small_params * 2.0) +
                   vocab_tables * double(m.vocab) * hidden / l.tp * 2.0;
  // Peak activation workspace of a full step: input, gate/up and activated MLP tensors in BF16.
  r.activation_bytes = chunk * (hidden + 3.0 * (m.ffn / l.tp)) * 2.0;
  r.kv_bytes_per_token = l.layers_per_stage * 2.0 * l.kv_heads * hd * l.kv_bytes;
  // Every admitted sequence may grow to its full length: size KV for input + output tokens.
  r.kv_bytes_needed = batch * (isl + osl) * r.kv_bytes_per_token;
  r.kv_bytes_available = g.hbm_bytes * g.memory_usable_fraction - g.memory_reserve_bytes -
                         r.weight_bytes - r.activation_bytes;

  // ---- one engine step ------------------------------------------------------------------
  // PP keeps min(batch, PP) micro-batches in flight; each sequence advances one token per cycle
  // of PP stage steps, so TPOT = PP x stage time + hand-offs, and PP never buys latency.
  r.micro_batches = min2(batch, l.pp);
  const double mb = batch / r.micro_batches;
  r.decode_tokens_per_step = mb;
  // Steady state: requests finish at mb / OSL per step, so prompts arrive at mb x ISL / OSL.
  r.prefill_tokens_per_step = mb * isl / osl;

  step_load avg{};
  avg.decode_tokens = mb;
  avg.prefill_tokens = r.prefill_tokens_per_step;
  avg.decode_ctx = isl + (osl + 1.0) * 0.5;
  avg.prefill_ctx = (isl + 1.0) * 0.5;
  avg.logit_tokens = mb + r.prefill_tokens_per_step / isl;
  r.step = stage_step(m, g, l, avg);

  // Stage hand-offs: activations of the step's tokens. Inside a node over NVLink; a replica
  // that spans nodes crosses the scale-out network once per node boundary.
  const double gpr = l.tp * l.pp;
  r.gpus_per_replica = gpr;
  const double gpn = site.gpus_per_node;
  double hops_out = 0.0;
  if (gpr > gpn) hops_out = ceil_div(gpr, gpn) - 1.0;
  const double hops_in = (l.pp > 1.0 ? l.pp : 1.0) - 1.0 - hops_out;
  const double hop_bytes = (mb + r.prefill_tokens_per_step) * hidden * 2.0;
  r.pp_hops_s = hops_in * (g.p2p_latency_s + hop_bytes / g.p2p_bytes_per_s) +
                hops_out * (g.scale_out_latency_s + hop_bytes / g.scale_out_bytes_per_s);
  r.tpot_s = l.pp * r.step.stage_s + r.pp_hops_s + g.step_overhead_s;

  // TTFT: a new prompt takes the budget left after the decodes, chunk by chunk, one engine
  // cycle per chunk, after waiting on average half a cycle for the next step to start.
  const double prefill_room = chunk - mb;
  double ttft_cycle = r.tpot_s;
  if (prefill_room >= 1.0) {
    r.prefill_chunks = ceil_div(isl, prefill_room);
    step_load full = avg;
    full.prefill_tokens = min2(isl, prefill_room);
    full.logit_tokens = mb + full.prefill_tokens / isl;
    step_breakdown fb = stage_step(m, g, l, full);
    const double full_hop_bytes = (mb + full.prefill_tokens) * hidden * 2.0;
    const double full_hops = hops_in * (g.p2p_latency_s + full_hop_bytes / g.p2p_bytes_per_s) +
                             hops_out * (g.scale_out_latency_s + full_hop_bytes / g.scale_out_bytes_per_s);
    ttft_cycle = l.pp * fb.stage_s + full_hops + g.step_overhead_s;
  } else {
    r.prefill_chunks = 0.0;
  }
  r.ttft_s = r.prefill_chunks * ttft_cycle + 0.5 * r.tpot_s;

  // ---- one replica ----------------------------------------------------------------------
  r.replica_output_tokens_per_s = batch / r.tpot_s;
  r.replica_requests_per_s = r.replica_output_tokens_per_s / osl;
  r.replica_tokens_per_s = r.replica_requests_per_s * (isl + osl);
  r.tokens_per_s_per_gpu = r.replica_tokens_per_s / gpr;

  // ---- the fleet for the peak -----------------------------------------------------------
  // Prefill and decode share the replica's time, so size on requests, not on the slower of an
  // input and an output rate.
  const double peak_requests_per_s = w.tokens_per_day / 86400.0 * w.peak_to_average / (isl + osl);
  r.replicas = ceil_div(peak_requests_per_s, r.replica_requests_per_s);
  r.gpus = r.replicas * gpr;
  if (gpr >= gpn) {
    r.nodes = r.replicas * ceil_div(gpr, gpn);
  } else {
    double per_node = floor_pos(gpn / gpr);
    r.nodes = ceil_div(r.replicas, per_node);
  }
  r.gpus_billed = r.nodes * gpn;
  r.it_power_kw = r.gpus_billed * g.power_w / 1000.0;
  r.facility_power_kw = r.it_power_kw * site.pue;
  r.lease_usd_per_day = r.gpus_billed * site.usd_per_gpu_hour * 24.0;
  r.energy_usd_per_day = site.price_includes_power ? 0.0 : r.facility_power_kw * 24.0 * site.usd_per_kwh;
  r.cost_usd_per_day = r.lease_usd_per_day + r.energy_usd_per_day;
  r.usd_per_million_tokens = r.cost_usd_per_day / (w.tokens_per_day / 1e6);
  r.shortfall_gpus = max2(0.0, r.gpus_billed - site.type_gpus_available);

  if (r.kv_bytes_available < r.kv_bytes_needed || r.kv_bytes_available <= 0.0) {
    e.reason = reason_memory;
  } else if (mb + r.prefill_tokens_per_step > chunk) {
    e.reason = reason_prefill_budget;
  } else if (r.tpot_s > w.tpot_slo_s) {
    e.reason = reason_tpot;
  } else if (r.ttft_s > w.ttft_slo_s) {
    e.reason = reason_ttft;
  } else {
    e.reason = reason_feasible;
  }
  e.key = objective_key(p.goal, r);
  return e;
}

/// Evaluates grid point `index` of the problem.
TOKENPLAN_HD inline evaluation evaluate(const problem& p, std::uint64_t index) {
  evaluation e = evaluate_config(p, decode_index(p.grid, index));
  e.index = index;
  return e;
}

}  // namespace tokenplan
