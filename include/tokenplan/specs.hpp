// Plain-data inputs of the performance model: GPU, model, workload, site and search grid.
// These structs cross the host/device boundary by value or by pointer, so they hold only
// fixed-size arrays and scalars; loaders in host/ fill them from JSON and validate every field.
#pragma once

#include <cstdint>

#include "tokenplan/hd.hpp"
#include "tokenplan/precision.hpp"

namespace tokenplan {

constexpr int max_sites = 64;           ///< sites in one cluster file
constexpr int max_axis_values = 32;     ///< values on a chunk or draft axis
constexpr int max_layouts = 256;        ///< parallel layouts (tp, pp, ep, dp) per pool
constexpr int max_batch_values = 1024;  ///< values on a batch axis

/// One GPU type: datasheet figures, measured interconnect figures and the few efficiency
/// factors the model is fitted with. Every value comes from configs/gpus/<name>.json and the
/// calibration file its efficiency refers to.
struct gpu_spec {
  double hbm_bytes;                    ///< capacity the driver reports, bytes (> 0)
  double hbm_bytes_per_s;              ///< peak HBM bandwidth, bytes/s (> 0)
  double dense_flops[precision_count]; ///< dense tensor FLOP/s per format; 0 = not supported
  std::uint32_t scale_up_domain_gpus;  ///< GPUs in one NVLink domain (8 on HGX)
  double allreduce_busbw_bytes_per_s;  ///< measured NCCL all-reduce bus bandwidth in the domain
  double allreduce_latency_s;          ///< fixed cost of one all-reduce (alpha)
  double p2p_bytes_per_s;              ///< point-to-point bandwidth inside the domain, per direction
  double p2p_latency_s;                ///< point-to-point latency inside the domain
  double scale_out_bytes_per_s;        ///< NIC bandwidth per GPU per direction (measured busbw)
  double scale_out_latency_s;          ///< point-to-point latency across nodes
  double power_w;                      ///< per-GPU share of node IT power at full load, W
  double gemm_efficiency;              ///< achieved fraction of dense peak, (0, 1]
  /// Tensor-core peak of one SM over that of the family's reference GPU (1: the reference; the
  /// H20's throttled tensor cores 0.25). A GEMM's time is its FLOPs at the peak plus a part the
  /// SM's feed (operand staging, issue, epilogue) does not hide, which scales with the SMs, not
  /// with the tensor rate: apply_factors turns the family's efficiency e into
  /// 1 / (1 + (1 / e - 1) x this ratio). 0 reads as 1.
  double sm_tensor_rate;
  double hbm_efficiency;               ///< achieved fraction of HBM bandwidth, (0, 1]
  double layer_overhead_s;             ///< kernel launch and small-op time per layer per step
  double step_overhead_s;              ///< scheduler, sampling and host time per engine step
  double sequence_overhead_s;          ///< runtime work per sequence in a step (scheduling, sampling)
  double alltoall_latency_s;           ///< fixed cost of one EP dispatch or combine
  double moe_overlap;                  ///< share of the shorter of compute/communication that
                                       ///< two-batch overlap hides, [0, 1]
  double expert_imbalance;             ///< busiest GPU's routed tokens over the mean, >= 1
  double memory_usable_fraction;       ///< share of the memory left after weights, workspace and
                                       ///< reserve that the KV cache may claim, (0, 1]
  double memory_reserve_bytes;         ///< CUDA context, NCCL workspace, graphs, bytes
};

/// Attention variants.
enum attention_kind : std::uint8_t { attention_gqa = 0, attention_mla = 1 };

/// A decoder-only transformer as its config.json describes it: dense or MoE feed-forward, GQA/MHA
/// or MLA attention, optionally with sliding-window layers.
struct model_spec {
  std::uint32_t layers;      ///< num_hidden_layers
  std::uint32_t hidden;      ///< hidden_size
  std::uint32_t heads;       ///< num_attention_heads
  std::uint32_t kv_heads;    ///< num_key_value_heads (GQA groups; = heads for MHA and MLA)
  std::uint32_t head_dim;    ///< head_dim (GQA)
  std::uint32_t ffn;         ///< intermediate_size: the dense MLP (dense models, leading dense layers)
  std::uint32_t vocab;       ///< vocab_size
  std::uint32_t max_context; ///< max_position_embeddings, tokens
  bool tie_embeddings;       ///< tie_word_embeddings: LM head shares the embedding table
  bool qkv_bias;             ///< attention_bias / Qwen2's QKV bias
  std::uint8_t attention;    ///< attention_gqa or attention_mla
  // MLA (DeepSeek-V3, Kimi K2): latent KV cache of kv_lora_rank + qk_rope_head_dim per token.
  std::uint32_t q_lora_rank;       ///< 0 = queries projected directly
  std::uint32_t kv_lora_rank;
  std::uint32_t qk_nope_head_dim;
  std::uint32_t qk_rope_head_dim;
  std::uint32_t v_head_dim;
  // Sliding-window attention (gpt-oss): `sliding_layers` layers attend to the last `sliding_window` tokens.
  std::uint32_t sliding_window;
  std::uint32_t sliding_layers;
  // Mixture of experts; experts == 0 is a dense model.
  std::uint32_t experts;            ///< routed experts
  std::uint32_t experts_per_token;  ///< top-k
  std::uint32_t shared_experts;     ///< experts every token runs
  std::uint32_t expert_ffn;         ///< moe_intermediate_size
  std::uint32_t dense_layers;       ///< leading dense layers (first_k_dense_replace)
  std::uint32_t mtp_layers;         ///< multi-token-prediction modules shipped with the model
};

/// What an engine hides under the expert-parallel dispatch and combine of an MoE layer.
enum moe_overlap_kind : std::uint8_t {
  /// Two micro-batches, one computing while the other communicates, where that beats one batch
  /// (DeepSeek's service, SGLang --enable-two-batch-overlap).
  moe_overlap_two_batch = 0,
  /// One batch: the shared expert runs under the dispatch and the down GEMM streams its output
  /// into the combine (SGLang's single-batch overlap, --enable-single-batch-overlap, Ant Group's
  /// H20 decode: sgl-project/sglang PR 9660, DeepGEMM and DeepEP changes linked from it).
  moe_overlap_single_batch = 1,
  /// Nothing: dispatch, experts and combine run one after the other (TensorRT-LLM 0.20-1.x wide
  /// EP has no two-batch overlap; its shared expert runs on an auxiliary stream beside the routed
  /// experts' GEMMs, which read the same HBM, and is not credited).
  moe_overlap_none = 2,
};

/// The name a workload or validation point gives a moe_overlap_kind.
inline const char* moe_overlap_name(std::uint8_t mode) {
  switch (mode) {
    case moe_overlap_single_batch: return "single_batch";
    case moe_overlap_none: return "none";
    default: return "two_batch";
  }
}

/// The demand to serve and its latency targets.
struct workload_spec {
  double tokens_per_day;    ///< input + output tokens served per day (> 0)
  double input_tokens;      ///< mean prompt length, tokens (>= 1)
  double output_tokens;     ///< mean generated length, tokens (>= 1)
  double input_tail;        ///< tail prompt length (memory fit, TTFT), >= input_tokens
  double input_sq_mean;     ///< E[prompt length^2]: prefill attention grows with its square
  double output_tail;       ///< tail generated length (memory fit), >= output_tokens
  double output_sq_mean;    ///< E[generated length^2] (<= output_tokens^2: every answer the mean length)
  double peak_to_average;   ///< peak-hour rate over the daily mean (>= 1)
  double ttft_slo_s;        ///< time-to-first-token target, s (> 0)
  double tpot_slo_s;        ///< time-per-output-token target, s (> 0)
  double slo_tail;          ///< share of requests allowed past the TTFT SLO (0.01 for a p99 SLO)
  double prefix_cache_hit;  ///< share of input tokens served from the prefix cache, [0, 1)
  double draft_acceptance;  ///< per-token acceptance of speculative drafts, [0, 1)
  double draft_cost_layers; ///< cost of drafting one token, in target-model layers
  double engine_factor;     ///< serving engine's step-time multiplier (1 = reference engine)
  /// true: a closed loop of a fixed number of users (a benchmark's --max-concurrency), each
  /// sending its next request when the answer to the last one is back. Every slot is busy and no
  /// request waits for one: no admission queue, TTFT is the prompt's own prefill.
  bool closed_loop;
  /// true: attention (prefill and decode) runs its matrix math in FP8 when the KV cache is FP8,
  /// the query quantised to FP8 against the FP8 cache (Ant Group's FlashMLA-FP8 decode and FA3-FP8
  /// prefill on H20); false: the kernels take a BF16 query, dequantise the cache and multiply in
  /// BF16, as stock FlashMLA ("bf16 q, fp8 k_cache"), FlashInfer and FlashAttention do.
  bool fp8_attention;
  /// The engine takes new prompts once every this many steps (>= 1; 0 reads as 1): vLLM's
  /// multi-step scheduling (num_scheduler_steps), TensorRT-LLM's attention-DP balancing
  /// (adp_balancing_timeout_iters + adp_balancing_batching_wait_iters, when the ranks rarely all
  /// have a prompt). A prompt then waits
  /// for its prefill a uniform share of the admission_steps - 1 steps beyond the next one.
  double admission_steps;
  /// What the engine overlaps with the expert-parallel all-to-all (moe_overlap_mode; 0, the
  /// default, is two-batch overlap where it pays).
  std::uint8_t moe_overlap_mode;
  /// Steps a new prompt waits for a step the engine has already launched: 1 for an overlap
  /// scheduler, which prepares and launches step k+1 while step k runs and only then takes in the
  /// requests that arrived (SGLang's default event loop since v0.4, TensorRT-LLM's PyTorch
  /// executor unless disable_overlap_scheduler); 0 for a loop that takes them in between steps
  /// (vLLM V1 without async scheduling, TensorRT-LLM's C++ executor).
  double scheduler_lag_steps;
};

/// A data-centre site: one GPU type, how many are there, how they are packed and paid for.
struct site_spec {
  gpu_spec gpu;
  std::uint32_t gpu_type;       ///< index into the plan's table of GPU types
  double gpus_available;        ///< GPUs at this site
  double type_gpus_available;   ///< GPUs of this type over every site of the cluster
  std::uint32_t gpus_per_node;  ///< GPUs in one server (8 on HGX)
  double usd_per_gpu_hour;      ///< committed lease price, every GPU 24 h a day
  bool price_includes_power;    ///< true: the price already covers power and facility
  double usd_per_kwh;           ///< electricity price, used when the price excludes power
  double pue;                   ///< facility power over IT power (>= 1)
};

/// How one pool of GPUs is split: tensor, pipeline, expert and attention-data parallelism.
/// Per pipeline stage, tp x dp GPUs run attention (dp ranks of tp each) and the same GPUs run the
/// experts as ep x (tp*dp/ep); ep == 1 means the experts are split by TP like a dense MLP.
struct layout {
  std::uint32_t tp;
  std::uint32_t pp;
  std::uint32_t ep;
  std::uint32_t dp;
};

/// Searched axes of one pool: the layouts, then step token budgets, then batch sizes (both per
/// attention-DP rank). Mixed radix, batch innermost.
struct pool_axes {
  std::uint32_t n_layout;
  layout layouts[max_layouts];
  std::uint32_t n_chunk;
  std::uint32_t chunk[max_axis_values];   ///< tokens per engine step (max_num_batched_tokens)
  std::uint32_t n_batch;
  std::uint32_t batch[max_batch_values];  ///< max concurrent sequences
};

/// The whole index space. Per (site, weight format, KV format, draft length) block, indices
/// [0, size(aggregated)) are aggregated configurations and the rest disaggregated ones:
/// (prefill layout x chunk) x (decode layout x batch).
struct grid_axes {
  std::uint32_t n_site;
  std::uint8_t site[max_sites];            ///< indices into problem::sites
  std::uint32_t n_wprec;
  std::uint8_t wprec[precision_count];
  std::uint32_t n_kvprec;
  std::uint8_t kvprec[precision_count];
  std::uint32_t n_draft;
  std::uint32_t draft[max_axis_values];    ///< speculative draft tokens per step (0 = off)
  bool aggregated;                         ///< search aggregated serving
  bool disaggregated;                      ///< search disaggregated prefill/decode
  pool_axes agg;                           ///< aggregated replicas
  pool_axes prefill;                       ///< prefill pools (batch axis unused: one value)
  pool_axes decode;                        ///< decode pools (chunk axis unused: one value)
};

/// What "best" means when ranking.
enum objective : std::uint8_t { objective_cost = 0, objective_gpus = 1, objective_tokens_per_gpu = 2 };

/// Everything one search needs; copied once to the device.
struct problem {
  model_spec model;
  workload_spec workload;
  std::uint32_t n_sites;
  site_spec sites[max_sites];
  grid_axes grid;
  objective goal;
};

/// Configurations in one pool's axes.
TOKENPLAN_HD inline std::uint64_t pool_size(const pool_axes& a) {
  return std::uint64_t(a.n_layout) * a.n_chunk * a.n_batch;
}

/// Aggregated plus disaggregated configurations per (site, formats, draft) block.
TOKENPLAN_HD inline std::uint64_t block_size(const grid_axes& g) {
  return (g.aggregated ? pool_size(g.agg) : 0) + (g.disaggregated ? pool_size(g.prefill) * pool_size(g.decode) : 0);
}

/// Number of configurations in the grid.
TOKENPLAN_HD inline std::uint64_t grid_size(const grid_axes& g) {
  return std::uint64_t(g.n_site) * g.n_wprec * g.n_kvprec * g.n_draft * block_size(g);
}

}  // namespace tokenplan
