// What an evaluation returns: the configuration (pool_config, serving_config), the verdict
// (reason), the step by component (component, step_breakdown), every metric of a pool and of the
// whole configuration (pool_metrics, metrics) and the evaluation itself. Plain data that crosses
// the host/device boundary. Includes only other tokenplan/ headers and the standard library.
#pragma once

#include <cstdint>

#include "tokenplan/hd.hpp"
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
  double overlap_hidden_s;  ///< time hidden under the all-to-all: two-batch overlap where it pays, or
                            ///< the engine's one-batch overlap (moe_overlap_mode); 0 when none
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
  // what the latency distribution (latency_dist.hpp) reads back
  double chunk_tokens;             ///< prompt tokens one step prefills per rank (aggregated: the room the decodes leave)
  double cycle_decode_s;           ///< aggregated: the cycle with decodes only (0 when not computed)
  double prefill_s_per_token;      ///< aggregated: what one more prompt token in a step adds to the cycle
  /// aggregated, full depth: what a step carrying detail::prefill_curve_fraction(k) of the full
  /// chunk adds to the decode-only cycle (all 0 when not computed: the slope above serves)
  double prefill_curve_s[3];
  double prefill_curve_tokens;     ///< the full chunk those fractions are of (0: not computed)
  /// aggregated, full depth: the decode-only cycle with detail::decode_curve_fraction(k) of the
  /// micro-batch's decodes (all 0 when not computed: cycle_decode_s serves at every occupancy)
  double decode_curve_s[3];
  double queue_slots;              ///< the M/M/c pool the admission queue is solved on: slots
  double queue_hold_s;             ///< and how long a request holds one
  double admission_slots;          ///< requests the engine admits at once (>= queue_slots): the slot
                                   ///< queue's servers. Plans: queue_slots (the configured batch is the
                                   ///< engine's cap); validate: a published engine cap above that batch
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

/// Latency as a distribution at the planned load (latency_dist.hpp; full evaluations only, else
/// zero): TTFT is a random prompt's prefill plus the wait for a slot, TPOT a request's mean time
/// per output token, ITL one step's.
struct latency_dist {
  double ttft_mean_s;
  double ttft_p50_s;
  double ttft_p90_s;
  double ttft_p99_s;
  double tpot_mean_s;
  double tpot_p99_s;  ///< the 99th percentile over requests of each request's mean TPOT
  double itl_p99_s;   ///< the 99th percentile over steps of the time per output token
  double itl_p50_s;   ///< the median over steps: the decode-only cycle while most steps carry no chunk
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
  latency_dist latency;          ///< what the plan delivers at its planned utilisation
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

}  // namespace tokenplan
