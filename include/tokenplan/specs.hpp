// Plain-data inputs of the performance model: GPU, model, workload, site and search grid.
// These structs cross the host/device boundary by value or by pointer, so they hold only
// fixed-size arrays and scalars; loaders in host/ fill them from JSON and validate every field.
#pragma once

#include <cstdint>

#include "tokenplan/hd.hpp"
#include "tokenplan/precision.hpp"

namespace tokenplan {

constexpr int max_sites = 64;          ///< sites in one cluster file
constexpr int max_axis_values = 32;    ///< values on the tp, pp and chunk axes
constexpr int max_batch_values = 1024; ///< values on the batch axis

/// One GPU type: datasheet figures, measured interconnect figures and the few efficiency
/// factors the model is fitted with. Every value comes from configs/gpus/<name>.json.
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
  double hbm_efficiency;               ///< achieved fraction of HBM bandwidth, (0, 1]
  double layer_overhead_s;             ///< kernel launch and small-op time per layer per step
  double step_overhead_s;              ///< scheduler, sampling and host time per engine step
  double memory_usable_fraction;       ///< fraction of HBM the engine may claim, (0, 1]
  double memory_reserve_bytes;         ///< CUDA context, NCCL workspace, graphs, bytes
};

/// A decoder-only transformer as its config.json describes it (dense, GQA/MHA).
struct model_spec {
  std::uint32_t layers;      ///< num_hidden_layers
  std::uint32_t hidden;      ///< hidden_size
  std::uint32_t heads;       ///< num_attention_heads
  std::uint32_t kv_heads;    ///< num_key_value_heads (GQA groups; = heads for MHA)
  std::uint32_t head_dim;    ///< head_dim
  std::uint32_t ffn;         ///< intermediate_size of the gated MLP
  std::uint32_t vocab;       ///< vocab_size
  std::uint32_t max_context; ///< max_position_embeddings, tokens
  bool tie_embeddings;       ///< tie_word_embeddings: LM head shares the embedding table
  bool qkv_bias;             ///< attention_bias / Qwen2's QKV bias
};

/// The demand to serve and its latency targets.
struct workload_spec {
  double tokens_per_day;  ///< input + output tokens served per day (> 0)
  double input_tokens;    ///< mean prompt length, tokens (>= 1)
  double output_tokens;   ///< mean generated length, tokens (>= 1)
  double peak_to_average; ///< peak-hour rate over the daily mean (>= 1)
  double ttft_slo_s;      ///< time-to-first-token target, s (> 0)
  double tpot_slo_s;      ///< time-per-output-token target, s (> 0)
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

/// The searched axes. Index order, outermost first: site, weight precision, KV precision,
/// TP, PP, chunk, batch. Values are explicit lists; the grid is never materialised.
struct grid_axes {
  std::uint32_t n_site;
  std::uint8_t site[max_sites];            ///< indices into problem::sites
  std::uint32_t n_wprec;
  std::uint8_t wprec[precision_count];
  std::uint32_t n_kvprec;
  std::uint8_t kvprec[precision_count];
  std::uint32_t n_tp;
  std::uint32_t tp[max_axis_values];
  std::uint32_t n_pp;
  std::uint32_t pp[max_axis_values];
  std::uint32_t n_chunk;
  std::uint32_t chunk[max_axis_values];    ///< per-step token budget (max_num_batched_tokens)
  std::uint32_t n_batch;
  std::uint32_t batch[max_batch_values];   ///< max concurrent sequences per replica
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

/// Number of configurations in the grid (product of the axis lengths).
TOKENPLAN_HD inline std::uint64_t grid_size(const grid_axes& g) {
  return std::uint64_t(g.n_site) * g.n_wprec * g.n_kvprec * g.n_tp * g.n_pp * g.n_chunk * g.n_batch;
}

}  // namespace tokenplan
