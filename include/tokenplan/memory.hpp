// The memory fit: weights per GPU (attention parameters, dense and expert MLPs, vocabulary
// tables), the activation workspace, KV-cache bytes per token and per sequence, the KV room left
// on a GPU of each pool and whether what the pool needs fits in it. Includes only other tokenplan/
// headers and the standard library.
#pragma once

#include <cstdint>

#include "tokenplan/detail/arith.hpp"
#include "tokenplan/evaluation.hpp"
#include "tokenplan/hd.hpp"
#include "tokenplan/pool_view.hpp"
#include "tokenplan/precision.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {
namespace detail {

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
  r.weight_expert_bytes = v.moe_layers * v.local_experts * 3.0 * h * m.expert_ffn / v.expert_tp * v.expert_weight_bytes;
  // Vocabulary tables stay BF16 and are split by TP. With PP the embedding sits on the first
  // stage and the LM head on the last, so the worst stage holds one table.
  const double tables = (v.pp == 1.0 && !m.tie_embeddings) ? 2.0 : 1.0;
  r.weight_embedding_bytes = tables * double(m.vocab) * h / v.tp * 2.0;
  r.weight_bytes = r.weight_attention_bytes + r.weight_dense_bytes + r.weight_expert_bytes + r.weight_embedding_bytes;
  // Peak activation workspace of a full step on one rank (`step_tokens` tokens): the hidden
  // states and the widest MLP intermediate (gate, up and activated outputs) in BF16. A dense MLP
  // splits its width by TP. Routed experts: the pool's dp x step_tokens tokens make k rows each,
  // an EP group takes 1/ep of the rows and each of its GPUs 1/expert_tp of each expert's width.
  const double dense_ffn = (m.experts == 0 || m.dense_layers > 0) ? 3.0 * m.ffn / v.tp : 0.0;
  const double routed_ffn = m.experts > 0 ? v.dp * double(m.experts_per_token) / v.ep * 3.0 * m.expert_ffn / v.expert_tp
                                          : 0.0;
  r.activation_bytes = step_tokens * (h + max2(dense_ffn, routed_ffn)) * 2.0;
  r.kv_bytes_per_token = kv_sequence_bytes(m, v, 1.0);
  // The KV cache takes the usable share of what is left after weights, workspace and the
  // runtime's reserve (TensorRT-LLM's kv_cache_free_gpu_mem_fraction, 0.9 by default).
  r.kv_bytes_available =
      max2(0.0, g.hbm_bytes - g.memory_reserve_bytes - r.weight_bytes - r.activation_bytes) * g.memory_usable_fraction;
}

/// Memory of a GPU of the main pool (the aggregated replica or the decode pool): pool_memory with
/// workspace for a step of `step_tokens`, and KV for `batch` sequences of the mean length
/// isl + osl, plus what one request at the tail (`tail_extra` tokens longer) holds beyond one of
/// them: the long request must fit beside a batch at the mean.
TOKENPLAN_HD inline void main_pool_memory(const model_spec& m, const gpu_spec& g, const pool_view& v,
                                          double step_tokens, double batch, double isl, double osl,
                                          double tail_extra, pool_metrics& r) {
  pool_memory(m, g, v, step_tokens, r);
  r.kv_bytes_needed = batch * kv_sequence_bytes(m, v, isl + osl) +
                      max2(0.0, kv_sequence_bytes(m, v, isl + osl + tail_extra) - kv_sequence_bytes(m, v, isl + osl));
}

/// Memory of a GPU of the prefill pool: pool_memory with workspace for a step of `chunk` tokens,
/// and KV for what is in flight on a rank: a step's worth of prompts plus one tail prompt.
TOKENPLAN_HD inline void prefill_pool_memory(const model_spec& m, const gpu_spec& g, const pool_view& v, double chunk,
                                             double input_tail, pool_metrics& r) {
  pool_memory(m, g, v, chunk, r);
  r.kv_bytes_needed = kv_sequence_bytes(m, v, chunk + input_tail);
}

/// Whether the KV a pool needs fits in the room its GPUs have (and there is room at all).
TOKENPLAN_HD inline bool kv_fits(const pool_metrics& r) {
  return r.kv_bytes_available >= r.kv_bytes_needed && r.kv_bytes_available > 0.0;
}

}  // namespace detail
}  // namespace tokenplan
