// Each pool's load, cycle and latency: the main pool's average step and its token cycle (TPOT,
// output rate), the aggregated replica's time to first token with chunked prefill, the prefill
// pool's cycle and TTFT, the KV transfer a disaggregated request waits for, and admission
// queueing on each pool at the utilisation the TTFT SLO allows (the queueing maths itself is in
// queueing.hpp). Includes only other tokenplan/ headers and the standard library.
#pragma once

#include <cstdint>

#include "tokenplan/communication.hpp"
#include "tokenplan/detail/arith.hpp"
#include "tokenplan/evaluation.hpp"
#include "tokenplan/hd.hpp"
#include "tokenplan/memory.hpp"
#include "tokenplan/pool_view.hpp"
#include "tokenplan/queueing.hpp"
#include "tokenplan/specs.hpp"
#include "tokenplan/step_time.hpp"

namespace tokenplan {
namespace detail {

/// The figures of the workload, site and configuration that every step of an evaluation reads.
struct request_terms {
  double hidden;               ///< model width (pipeline hand-offs carry hidden states)
  double isl;                  ///< mean prompt, tokens
  double osl;                  ///< mean output, tokens
  double isl_new;              ///< mean prompt tokens that cost compute (past the prefix cache)
  double isl_new_tail;         ///< the same for the tail prompt
  double gpn;                  ///< GPUs per node
  double draft;                ///< speculative draft tokens per step
  double tau;                  ///< tokens a decoding sequence gains per step (tokens_per_step)
  double ef;                   ///< the engine's step-time factor
  double peak_requests_per_s;  ///< requests per second the fleet serves at the peak hour
  double tail_extra;           ///< tokens a tail request holds beyond a mean one
  double hold_steps;           ///< steps a new prompt may wait beyond the next one (admission_steps - 1)
  double lag_steps;            ///< steps already launched that a new prompt waits out (overlap scheduler)
};

TOKENPLAN_HD inline request_terms make_request_terms(const model_spec& m, const workload_spec& w,
                                                     const site_spec& site, const serving_config& c) {
  request_terms q{};
  q.hidden = m.hidden;
  q.isl = w.input_tokens;
  q.osl = w.output_tokens;
  const double cached = q.isl * w.prefix_cache_hit;
  q.isl_new = q.isl - cached;  // prompt tokens that cost compute
  q.isl_new_tail = w.input_tail * (1.0 - w.prefix_cache_hit);
  q.gpn = site.gpus_per_node;
  q.draft = c.draft;
  q.tau = tokens_per_step(w.draft_acceptance, q.draft);
  q.ef = w.engine_factor;
  q.peak_requests_per_s = w.tokens_per_day / 86400.0 * w.peak_to_average / (q.isl + q.osl);
  // One request at the tail beside a batch at the mean: the long request must fit too.
  q.tail_extra = (w.input_tail + w.output_tail) - (q.isl + q.osl);
  q.hold_steps = max2(0.0, w.admission_steps - 1.0);
  q.lag_steps = max2(0.0, w.scheduler_lag_steps);
  return q;
}

/// The main pool (aggregated replicas, or the decode pool): its shape in `d`, and its average
/// step, returned: each micro-batch's decodes plus, aggregated, its share of prefill.
TOKENPLAN_HD inline step_load main_pool_load(const workload_spec& w, const serving_config& c, const pool_view& dv,
                                             const request_terms& q, bool disagg, pool_metrics& d) {
  d.gpus_per_instance = dv.group * dv.pp;
  d.concurrency = double(c.main.batch) * dv.dp;
  d.micro_batches = min2(d.concurrency, dv.pp);
  const double mb = d.concurrency / d.micro_batches;
  d.tokens_per_cycle = q.tau;
  d.decode_tokens_per_step = mb;
  // Steady state: a micro-batch finishes mb x tau / OSL requests per cycle, so the same number of
  // prompts arrive, each with isl_new tokens to prefill (aggregated only).
  d.prefill_tokens_per_step = disagg ? 0.0 : mb * q.tau * q.isl_new / q.osl;
  step_load avg{};
  avg.decode_seqs = mb;
  avg.verify_tokens = 1.0 + q.draft;
  avg.prefill_tokens = d.prefill_tokens_per_step;
  // Under attention DP a prompt is prefilled on one rank, a chunk of up to the room its step
  // budget leaves per step: the busiest rank carries that much of the step's prefill, not 1/dp.
  if (!disagg && dv.dp > 1.0) {
    const double piece = min2(q.isl_new, max2(1.0, prefill_room(c.main.chunk, mb, q.draft, dv.dp)));
    avg.rank_prefill_peak = min2(avg.prefill_tokens, max2(avg.prefill_tokens / dv.dp, piece));
  }
  // A slot holds an answer of O tokens for O steps, so the steps in flight weigh each answer by
  // its length: over them the mean context is E[sum_{j<=O} (I + j)] / E[O] = I + (E[O^2]/E[O] + 1)
  // / 2 (prompt and answer lengths independent), not the I + (E[O] + 1) / 2 of a mean request. A
  // reasoning model's answers (MLPerf DeepSeek-R1: mean 3,886, std 4,329) attend to twice the
  // context their mean suggests.
  const double answered = max2(w.output_sq_mean, q.osl * q.osl) / q.osl;
  avg.decode_ctx = q.isl + (answered + 1.0) * 0.5;
  // Prefill attention is quadratic in the prompt: a prompt of L tokens, a share h cached, costs
  // its new tokens an average context of L (h + (1 - h) / 2). Averaged over prompts that weighs
  // each by its length: E[L^2] / E[L] replaces L, so heavy-tailed prompts cost more than their mean.
  const double attended = max2(w.input_sq_mean, q.isl * q.isl) / q.isl;
  avg.prefill_ctx = attended * (w.prefix_cache_hit + (1.0 - w.prefix_cache_hit) * 0.5) + 0.5;
  avg.logit_tokens = mb * (1.0 + q.draft) + d.prefill_tokens_per_step / q.isl_new;
  avg.draft_tokens = q.draft;
  avg.draft_cost_layers = w.draft_cost_layers;
  return avg;
}

/// The main pool's token cycle at its average step `avg`: PP stages, hand-offs and host work for
/// `batch` sequences per rank (and, aggregated, the prompts in flight), times the engine factor;
/// then TPOT and the output and request rates of one instance.
TOKENPLAN_HD inline void main_pool_cycle(const model_spec& m, const gpu_spec& g, const pool_view& dv,
                                         const step_load& avg, double batch, double chunk, const request_terms& q,
                                         bool disagg, pool_metrics& d) {
  const double mb = avg.decode_seqs;
  // Prompts do not arrive a few tokens a step: a step carries a chunk of one (up to the room its
  // budget leaves) or none. The mean step is the mix of the two, a share p / x of the steps with
  // a chunk of x tokens for an average p per step, not one step with p: an MoE layer's decode-only
  // steps touch the experts of their decodes alone (1 - (1 - k/E)^T is concave in the tokens T),
  // a memory-bound decode step hides none of a chunk's compute, and the kernel floor shows in
  // the steps without one.
  const double room = prefill_room(chunk, mb, q.draft, dv.dp);
  const double x = min2(q.isl_new, room) * dv.dp;
  if (!disagg && dv.dp <= 1.0 && avg.prefill_tokens > 0.0 && room >= 1.0 && x > avg.prefill_tokens) {
    const double share = avg.prefill_tokens / x;
    step_load none = avg, one = avg;
    none.prefill_tokens = 0.0;
    none.logit_tokens = mb * (1.0 + q.draft);
    one.prefill_tokens = x;
    one.logit_tokens = mb * (1.0 + q.draft) + x / q.isl_new;
    const step_breakdown b0 = stage_step(m, g, dv, none);
    const step_breakdown b1 = stage_step(m, g, dv, one);
    // Without attention DP an EP group dispatches nothing, so neither step runs two-batch overlap
    // (two_batch_overlap is 0 in both): the rest of the breakdown is their mix.
    d.step = b1;
    for (int c = 0; c < comp_count; ++c) {
      d.step.time_s[c] = (1.0 - share) * b0.time_s[c] + share * b1.time_s[c];
      d.step.side_a_s[c] = (1.0 - share) * b0.side_a_s[c] + share * b1.side_a_s[c];
      d.step.side_b_s[c] = (1.0 - share) * b0.side_b_s[c] + share * b1.side_b_s[c];
    }
    d.step.overlap_hidden_s = (1.0 - share) * b0.overlap_hidden_s + share * b1.overlap_hidden_s;
    d.step.stage_s = (1.0 - share) * b0.stage_s + share * b1.stage_s;
  } else {
    d.step = stage_step(m, g, dv, avg);
  }
  d.pp_hops_s = pp_hops(g, dv, q.gpn, mb * (1.0 + q.draft) + d.prefill_tokens_per_step, q.hidden);
  d.host_overhead_s = host_overhead(g, d.micro_batches, batch + (disagg ? 0.0 : d.prefill_tokens_per_step * d.micro_batches / dv.dp / q.isl_new));
  d.cycle_s = (dv.pp * d.step.stage_s + d.pp_hops_s + d.host_overhead_s) * q.ef;
  d.tpot_s = d.cycle_s / q.tau;
  d.output_tokens_per_s = d.concurrency * q.tau / d.cycle_s;
  d.requests_per_s = d.output_tokens_per_s / q.osl;
}

/// One cycle of the main pool carrying the step load `s`: every PP stage, the hand-offs of its
/// tokens (each decode's verify tokens and the prompt tokens) and `host_s` of host work, times
/// the engine factor.
TOKENPLAN_HD inline double cycle_of(const model_spec& m, const gpu_spec& g, const pool_view& dv, const request_terms& q,
                                    const step_load& s, double host_s) {
  const step_breakdown b = stage_step(m, g, dv, s);
  return (dv.pp * b.stage_s + pp_hops(g, dv, q.gpn, s.decode_seqs * (1.0 + q.draft) + s.prefill_tokens, q.hidden) +
          host_s) * q.ef;
}

/// The chunk sizes, as fractions of the full chunk, at which aggregated_ttft also costs a step
/// for the latency distribution (pool_metrics::prefill_curve_s): 1/64, 1/16 and 1/4.
constexpr int prefill_curve_points = 3;
static_assert(sizeof(pool_metrics::prefill_curve_s) == prefill_curve_points * sizeof(double),
              "pool_metrics::prefill_curve_s holds one cycle per prefill_curve_fraction");
TOKENPLAN_HD inline double prefill_curve_fraction(int k) { return k == 0 ? 1.0 / 64.0 : k == 1 ? 1.0 / 16.0 : 0.25; }

/// The occupancies, as fractions of the micro-batch's decodes, at which aggregated_ttft also costs
/// the decode-only cycle for the TPOT at a load below full (pool_metrics::decode_curve_s).
constexpr int decode_curve_points = 3;
static_assert(sizeof(pool_metrics::decode_curve_s) == decode_curve_points * sizeof(double),
              "pool_metrics::decode_curve_s holds one cycle per decode_curve_fraction");
TOKENPLAN_HD inline double decode_curve_fraction(int k) { return k == 0 ? 1.0 / 16.0 : k == 1 ? 0.25 : 0.5; }

/// Aggregated TTFT before queueing: a new prompt takes the rank's budget left after the decodes
/// (of the step budget `chunk`), chunk by chunk, one cycle per chunk, after waiting on average
/// half a cycle, the step an overlap scheduler has already launched (q.lag_steps cycles) and (an
/// engine that admits prompts every few steps) the longest admission hold, q.hold_steps cycles. The tail prompt sets the SLO. A last partial chunk costs its real size: the
/// cycle is affine in the prompt tokens a step carries between the decode-only cycle and the
/// cycle with a full chunk (both computed), so it costs the decode-only cycle plus its tokens at
/// that slope. `full` (or a partial last chunk) also computes the decode-only cycle and the slope
/// for latency_dist.hpp, and `full` the cycles at prefill_curve_fraction of the full chunk. Sets
/// d.prefill_chunks, d.chunk_tokens, d.cycle_decode_s, d.prefill_s_per_token and (full)
/// d.prefill_curve_s, d.prefill_curve_tokens and d.decode_curve_s (the decode-only cycle at
/// decode_curve_fraction of the micro-batch); returns the time.
TOKENPLAN_HD inline double aggregated_ttft(const model_spec& m, const gpu_spec& g, const pool_view& dv,
                                           const step_load& avg, double chunk, const request_terms& q, bool full,
                                           pool_metrics& d) {
  const double mb = avg.decode_seqs;
  const double room = prefill_room(chunk, mb, q.draft, dv.dp);
  d.chunk_tokens = room;
  double prefill_s = 0.0;
  if (room >= 1.0) {
    d.prefill_chunks = ceil_div(q.isl_new_tail, room);
    const double x_full = min2(q.isl_new_tail, room);
    step_load with_chunk = avg;
    with_chunk.prefill_tokens = x_full * dv.dp;
    with_chunk.logit_tokens = mb * (1.0 + q.draft) + with_chunk.prefill_tokens / q.isl_new;
    const double full_cycle = cycle_of(m, g, dv, q, with_chunk, d.host_overhead_s);
    const double whole = floor_pos(q.isl_new_tail / room);
    const double rest = q.isl_new_tail - whole * room;
    const bool partial = whole >= 1.0 && rest > 0.0;
    if (full || partial) {
      step_load decode_only = avg;
      decode_only.prefill_tokens = 0.0;
      decode_only.logit_tokens = mb * (1.0 + q.draft);
      d.cycle_decode_s = cycle_of(m, g, dv, q, decode_only, d.host_overhead_s);
      d.prefill_s_per_token = max2(0.0, full_cycle - d.cycle_decode_s) / x_full;
      if (full) {
        // Fewer decodes, for the TPOT at a load below full occupancy: the same step with a
        // share of the micro-batch's sequences (their host work too).
        for (int k = 0; k < decode_curve_points; ++k) {
          const double frac = decode_curve_fraction(k);
          step_load part = decode_only;
          part.decode_seqs = mb * frac;
          part.logit_tokens = part.decode_seqs * (1.0 + q.draft);
          const double host = d.host_overhead_s - (1.0 - frac) * mb * d.micro_batches / dv.dp * g.sequence_overhead_s;
          d.decode_curve_s[k] = cycle_of(m, g, dv, q, part, host);
        }
        d.prefill_curve_tokens = x_full;
        // Shorter chunks, for the latency distribution's prompts: a step's cost is not affine
        // in the prompt tokens it carries (a memory-bound step absorbs a few for free; a few
        // hundred tokens already touch every expert of an MoE layer).
        for (int k = 0; k < prefill_curve_points; ++k) {
          step_load part = avg;
          part.prefill_tokens = x_full * prefill_curve_fraction(k) * dv.dp;
          part.logit_tokens = mb * (1.0 + q.draft) + part.prefill_tokens / q.isl_new;
          d.prefill_curve_s[k] = max2(0.0, cycle_of(m, g, dv, q, part, d.host_overhead_s) - d.cycle_decode_s);
        }
      }
    }
    prefill_s = partial ? whole * full_cycle + min2(full_cycle, d.cycle_decode_s + d.prefill_s_per_token * rest)
                        : d.prefill_chunks * full_cycle;
  }
  return prefill_s + (0.5 + q.lag_steps + q.hold_steps) * d.cycle_s;
}

/// Admission queueing of an aggregated replica: a pool of `concurrency` slots, each request
/// holding one through its prefill and its OSL decode steps. The fleet runs each replica at the
/// highest utilisation that keeps the SLO percentile of the wait within what the TTFT leaves
/// (`bound`: eval_bound's upper bound instead of the solve). Solved only for configurations that
/// pass every other check: the others are out anyway, and the search should not pay for them.
TOKENPLAN_HD inline void aggregated_queueing(const workload_spec& w, const request_terms& q, double base_ttft,
                                             bool bound, pool_metrics& d) {
  // A slot is held from admission: through the prefill and the decode, not the admission hold.
  // An overlap scheduler takes the prompt in (its slot and KV allocated) as the step it has
  // already launched starts, so that step's lag is held.
  const double hold = base_ttft - q.hold_steps * d.cycle_s + q.osl * d.tpot_s;
  const double ttft_budget = w.ttft_slo_s - base_ttft;
  d.queue_slots = d.concurrency;
  d.queue_hold_s = hold;
  d.admission_slots = d.concurrency;
  if (w.closed_loop) {
    // A closed loop never queues: a user sends its next request only when its slot is free. Each
    // slot decodes for OSL steps and spends the rest of its turn on its own prompt (the mean
    // prompt: d.chunk_tokens per cycle), so that share of the decode rate is delivered.
    const double decode_s = q.osl * d.tpot_s;
    const double prompt_s = d.chunk_tokens >= 1.0 ? max2(1.0, q.isl_new / d.chunk_tokens) * d.cycle_s + (0.5 + q.lag_steps) * d.cycle_s +
                                                        0.5 * q.hold_steps * d.cycle_s
                                                  : 0.0;
    d.utilisation = decode_s / (decode_s + prompt_s);
    d.queue_wait_s = 0.0;
    return;
  }
  if (bound) {
    d.utilisation = queueing::utilisation_bound(d.concurrency, hold, ttft_budget, w.slo_tail);
  } else {
    d.utilisation = queueing::max_utilisation(d.concurrency, hold, ttft_budget, w.slo_tail);
    d.queue_wait_s = queueing::tail_wait_within(d.concurrency, hold, w.slo_tail, d.utilisation, ttft_budget);
  }
}

/// An aggregated configuration's latency and throughput per GPU, from its replica's.
TOKENPLAN_HD inline void aggregated_totals(const request_terms& q, double base_ttft, pool_metrics& d, metrics& r) {
  d.ttft_s = base_ttft + d.queue_wait_s;
  d.prompt_tokens_per_s = d.requests_per_s * q.isl_new;
  r.tpot_s = d.tpot_s;
  r.ttft_s = d.utilisation > 0.0 ? d.ttft_s : base_ttft;
  r.tokens_per_s_per_gpu = d.requests_per_s * d.utilisation * (q.isl + q.osl) / d.gpus_per_instance;
}

/// Share of an aggregated cycle the prefill tokens add: the cycle minus the same cycle without
/// them (decodes only, host work for `batch` sequences), over the cycle.
TOKENPLAN_HD inline double aggregated_prefill_share(const model_spec& m, const gpu_spec& g, const pool_view& dv,
                                                    const step_load& avg, double batch, const request_terms& q,
                                                    const pool_metrics& d) {
  const double mb = avg.decode_seqs;
  step_load decode_only = avg;
  decode_only.prefill_tokens = 0.0;
  decode_only.logit_tokens = mb * (1.0 + q.draft);
  const double cycle_decode = cycle_of(m, g, dv, q, decode_only, host_overhead(g, d.micro_batches, batch));
  return max2(0.0, 1.0 - cycle_decode / d.cycle_s);
}

/// The prefill pool of `chunk` tokens per rank and step: its cycle, its share of the TTFT and
/// its request rate, bounded by its NICs, which must carry the KV of everything it prefills.
TOKENPLAN_HD inline void prefill_pool_cycle(const model_spec& m, const gpu_spec& g, const pool_view& pv, double chunk,
                                            double prefill_ctx, std::uint8_t kvprec, const request_terms& q,
                                            pool_metrics& f) {
  f.gpus_per_instance = pv.group * pv.pp;
  f.micro_batches = pv.pp;
  f.tokens_per_cycle = 1.0;
  f.prefill_tokens_per_step = chunk * pv.dp;
  f.chunk_tokens = chunk;
  step_load ps{};
  ps.verify_tokens = 1.0;
  ps.prefill_tokens = f.prefill_tokens_per_step;
  ps.prefill_ctx = prefill_ctx;
  ps.logit_tokens = f.prefill_tokens_per_step / q.isl_new;
  f.step = stage_step(m, g, pv, ps);
  f.pp_hops_s = pp_hops(g, pv, q.gpn, f.prefill_tokens_per_step, q.hidden);
  // Pipelined: a chunk enters every stage time; a prompt waits half a step, then its chunks
  // and the pipeline's depth.
  f.host_overhead_s = host_overhead(g, 1.0, chunk / q.isl_new);
  f.cycle_s = (f.step.stage_s + f.host_overhead_s) * q.ef;
  f.prefill_chunks = ceil_div(q.isl_new_tail, chunk);
  f.ttft_s = (f.prefill_chunks + pv.pp - 1.0 + 0.5 + q.lag_steps) * f.cycle_s + f.pp_hops_s * q.ef;
  // Its NICs must carry the KV of everything it prefills (the cached prefix too).
  const double kv_request = kv_model_token_bytes(m, kvprec) * q.isl;
  const double nic_prompts_per_s = f.gpus_per_instance * g.scale_out_bytes_per_s / kv_request;
  f.requests_per_s = min2(f.prefill_tokens_per_step / f.cycle_s / q.isl_new, nic_prompts_per_s);
  f.prompt_tokens_per_s = f.requests_per_s * q.isl_new;
}

/// Disaggregated TTFT before queueing: the prefill pool's, plus the KV transfer of one tail
/// request (`input_tail` tokens) over the NICs of the smaller side, overlapped layer by layer
/// with the prefill: only what outlasts the prefill compute (at least one layer) shows. Sets
/// r.kv_transfer_s and r.kv_transfer_exposed_s; returns the time.
TOKENPLAN_HD inline double disaggregated_ttft(const model_spec& m, const gpu_spec& g, std::uint8_t kvprec,
                                              double input_tail, const pool_metrics& f, const pool_metrics& d,
                                              metrics& r) {
  const double streams = min2(f.gpus_per_instance, d.gpus_per_instance);
  r.kv_transfer_s = kv_transfer_time(g, kv_model_token_bytes(m, kvprec) * input_tail, streams);
  r.kv_transfer_exposed_s = max2(r.kv_transfer_s / m.layers, r.kv_transfer_s - f.prefill_chunks * f.cycle_s);
  return f.ttft_s + r.kv_transfer_exposed_s;
}

/// Queueing on both sides of a disaggregated configuration, each given half of what the TTFT
/// leaves: a prompt waits for a place in a prefill step (slots = prompts per step, held for its
/// chunks), then for a decode slot (held for OSL steps). `bound`: as aggregated_queueing.
TOKENPLAN_HD inline void disaggregated_queueing(const workload_spec& w, const request_terms& q, double base_ttft,
                                                bool bound, pool_metrics& f, pool_metrics& d) {
  const double side_budget = 0.5 * (w.ttft_slo_s - base_ttft);
  const double prefill_slots = max2(1.0, f.prefill_tokens_per_step / q.isl_new);
  const double prefill_hold = f.prefill_chunks * f.cycle_s;
  f.queue_slots = prefill_slots;
  f.queue_hold_s = prefill_hold;
  d.queue_slots = d.concurrency;
  d.queue_hold_s = q.osl * d.tpot_s;
  d.admission_slots = d.concurrency;
  if (w.closed_loop) {
    // No queue in a closed loop (aggregated_queueing): each decode slot is busy but for its own
    // prompt's TTFT, and the prefill pool serves the rate that leaves.
    d.utilisation = d.queue_hold_s / (d.queue_hold_s + base_ttft);
    f.utilisation = min2(0.999, d.utilisation * d.requests_per_s / f.requests_per_s);
    f.queue_wait_s = 0.0;
    d.queue_wait_s = 0.0;
    return;
  }
  if (bound) {
    f.utilisation = queueing::utilisation_bound(prefill_slots, prefill_hold, side_budget, w.slo_tail);
    d.utilisation = queueing::utilisation_bound(d.concurrency, q.osl * d.tpot_s, side_budget, w.slo_tail);
  } else {
    f.utilisation = queueing::max_utilisation(prefill_slots, prefill_hold, side_budget, w.slo_tail);
    f.queue_wait_s = queueing::tail_wait_within(prefill_slots, prefill_hold, w.slo_tail, f.utilisation, side_budget);
    d.utilisation = queueing::max_utilisation(d.concurrency, q.osl * d.tpot_s, side_budget, w.slo_tail);
    d.queue_wait_s = queueing::tail_wait_within(d.concurrency, q.osl * d.tpot_s, w.slo_tail, d.utilisation, side_budget);
  }
}

/// A disaggregated configuration's latency, and its throughput per GPU and prefill share from the
/// GPU-seconds per request on each side at the planned utilisation.
TOKENPLAN_HD inline void disaggregated_totals(const request_terms& q, double base_ttft, const pool_metrics& f,
                                              pool_metrics& d, metrics& r) {
  d.ttft_s = 0.0;
  r.tpot_s = d.tpot_s;
  r.ttft_s = base_ttft + f.queue_wait_s + d.queue_wait_s;
  const bool sized = f.utilisation > 0.0 && d.utilisation > 0.0;
  const double gpu_s = sized ? f.gpus_per_instance / (f.requests_per_s * f.utilisation) +
                                   d.gpus_per_instance / (d.requests_per_s * d.utilisation)
                             : 0.0;
  r.tokens_per_s_per_gpu = sized ? (q.isl + q.osl) / gpu_s : 0.0;
  r.prefill_time_share = sized ? f.gpus_per_instance / (f.requests_per_s * f.utilisation) / gpu_s : 0.0;
}

}  // namespace detail
}  // namespace tokenplan
