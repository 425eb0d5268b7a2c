// JSON renderings of configurations and their metrics (stable key order, units in key names).
#include "search/describe.hpp"

#include <cmath>
#include <cstdio>

#include "base/format.hpp"
#include "base/text.hpp"

namespace tokenplan {

namespace {
constexpr double gib = 1024.0 * 1024.0 * 1024.0;
}

std::uint8_t dominant_reason(const search_stats& s) {
  std::uint8_t best = reason_parallelism;
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) {
    if (s.counts[k] > s.counts[best]) best = k;
  }
  return best;
}

const char* bound_name(const step_breakdown& b, int c) {
  if (b.time_s[c] <= 0.0) return "none";
  if (c == comp_layer_overhead || c == comp_draft) return "overhead";
  if (component_is_communication(static_cast<std::uint8_t>(c))) {
    return b.side_a_s[c] >= b.side_b_s[c] ? "latency" : "network";
  }
  return b.side_a_s[c] >= b.side_b_s[c] ? "compute" : "memory";
}

std::string layout_code(const layout& l) {
  std::string s = "t" + std::to_string(l.tp);
  if (l.pp > 1) s += "p" + std::to_string(l.pp);
  if (l.ep > 1) s += "e" + std::to_string(l.ep);
  if (l.dp > 1) s += "d" + std::to_string(l.dp);
  return s;
}

std::string option_code(const serving_config& c) {
  std::string s;
  if (c.mode == mode_disaggregated) {
    s = "P:" + layout_code(c.prefill.lay) + " c" + std::to_string(c.prefill.chunk) + " | D:" + layout_code(c.main.lay) +
        " b" + std::to_string(c.main.batch);
  } else {
    s = layout_code(c.main.lay) + " b" + std::to_string(c.main.batch) + " c" + std::to_string(c.main.chunk);
  }
  s += std::string(" ") + precision_name(c.wprec) + "/" + precision_name(c.kvprec);
  if (c.draft > 0) s += " +s" + std::to_string(c.draft);
  return s;
}

namespace {

ojson layout_json(const pool_config& p, bool chunk, bool batch) {
  ojson j;
  j["tp"] = p.lay.tp;
  j["pp"] = p.lay.pp;
  j["ep"] = p.lay.ep;
  j["attention_dp"] = p.lay.dp;
  j["gpus_per_instance"] = std::uint64_t(p.lay.tp) * p.lay.dp * p.lay.pp;
  if (chunk) j["chunk_tokens_per_rank"] = p.chunk;
  if (batch) j["batch_per_rank"] = p.batch;
  return j;
}

ojson step_json(const step_breakdown& b) {
  ojson j;
  ojson parts;
  for (int c = 0; c < comp_count; ++c) {
    if (b.time_s[c] <= 0.0) continue;
    parts[component_name(static_cast<std::uint8_t>(c))] = {{"ms", b.time_s[c] * 1e3}, {"bound", bound_name(b, c)}};
  }
  j["components"] = parts;
  j["two_batch_overlap"] = b.two_batch_overlap > 0.0;
  j["overlap_hidden_ms"] = b.overlap_hidden_s * 1e3;
  j["stage_ms"] = b.stage_s * 1e3;
  return j;
}

}  // namespace

ojson config_json(const plan_inputs& in, const serving_config& c) {
  const site_entry& site = in.cluster.sites[c.site];
  ojson j;
  j["site"] = site.name;
  j["gpu"] = site.gpu;
  j["mode"] = c.mode == mode_disaggregated ? "disaggregated" : "aggregated";
  j["weight_precision"] = precision_name(c.wprec);
  j["kv_precision"] = precision_name(c.kvprec);
  j["draft_tokens"] = c.draft;
  if (c.mode == mode_disaggregated) {
    j["prefill"] = layout_json(c.prefill, true, false);
    j["decode"] = layout_json(c.main, false, true);
  } else {
    j["aggregated"] = layout_json(c.main, true, true);
  }
  return j;
}

ojson pool_json(const pool_metrics& p, bool prefill_pool) {
  ojson j;
  j["instances"] = as_count(p.instances);
  j["gpus_per_instance"] = as_count(p.gpus_per_instance);
  j["gpus"] = as_count(p.gpus);
  j["nodes"] = as_count(p.nodes);
  j["gpus_billed"] = as_count(p.gpus_billed);
  if (!prefill_pool) j["concurrent_sequences"] = p.concurrency;
  j["micro_batches"] = p.micro_batches;
  j["decode_tokens_per_step"] = p.decode_tokens_per_step;
  j["prefill_tokens_per_step"] = p.prefill_tokens_per_step;
  ojson mem;
  mem["weights_gib"] = p.weight_bytes / gib;
  mem["weights_attention_gib"] = p.weight_attention_bytes / gib;
  mem["weights_dense_gib"] = p.weight_dense_bytes / gib;
  mem["weights_experts_gib"] = p.weight_expert_bytes / gib;
  mem["weights_embedding_gib"] = p.weight_embedding_bytes / gib;
  mem["activations_gib"] = p.activation_bytes / gib;
  mem["kv_bytes_per_token"] = p.kv_bytes_per_token;
  mem["kv_needed_gib"] = p.kv_bytes_needed / gib;
  mem["kv_available_gib"] = p.kv_bytes_available / gib;
  j["memory_per_gpu"] = mem;
  j["step"] = step_json(p.step);
  j["pp_hops_ms"] = p.pp_hops_s * 1e3;
  j["host_overhead_ms"] = p.host_overhead_s * 1e3;
  j["cycle_ms"] = p.cycle_s * 1e3;
  if (!prefill_pool) {
    j["tokens_per_cycle"] = p.tokens_per_cycle;
    j["tpot_ms"] = p.tpot_s * 1e3;
  }
  if (p.ttft_s > 0.0) j["ttft_ms"] = p.ttft_s * 1e3;
  j["prefill_chunks"] = p.prefill_chunks;
  j["utilisation"] = p.utilisation;
  j["queue_wait_ms"] = p.queue_wait_s * 1e3;
  j["output_tokens_per_s"] = p.output_tokens_per_s;
  j["prompt_tokens_per_s"] = p.prompt_tokens_per_s;
  j["requests_per_s"] = p.requests_per_s;
  return j;
}

ojson evaluation_json(const plan_inputs& in, const problem& p, const evaluation& e) {
  const metrics& m = e.m;
  const site_spec& ss = p.sites[e.cfg.site];
  ojson j;
  if (e.index != no_index) j["index"] = e.index;
  j["config"] = config_json(in, e.cfg);
  j["verdict"] = reason_name(e.reason);
  j["objective_value"] = e.key;
  ojson lat;
  lat["tpot_ms"] = m.tpot_s * 1e3;
  lat["ttft_ms"] = m.ttft_s * 1e3;
  if (e.cfg.mode == mode_disaggregated) {
    lat["kv_transfer_ms"] = m.kv_transfer_s * 1e3;
    lat["kv_transfer_exposed_ms"] = m.kv_transfer_exposed_s * 1e3;
  }
  // What the plan delivers at its planned load (latency_dist.hpp): the SLO figures above size it.
  const latency_dist& l = m.latency;
  ojson dist;
  dist["ttft_mean_ms"] = l.ttft_mean_s * 1e3;
  dist["ttft_p50_ms"] = l.ttft_p50_s * 1e3;
  dist["ttft_p90_ms"] = l.ttft_p90_s * 1e3;
  dist["ttft_p99_ms"] = l.ttft_p99_s * 1e3;
  dist["tpot_mean_ms"] = l.tpot_mean_s * 1e3;
  dist["tpot_p99_ms"] = l.tpot_p99_s * 1e3;
  dist["itl_p99_ms"] = l.itl_p99_s * 1e3;
  lat["at_planned_load"] = dist;
  j["latency"] = lat;
  ojson pools;
  if (e.cfg.mode == mode_disaggregated) {
    pools["prefill"] = pool_json(m.prefill, true);
    pools["decode"] = pool_json(m.main, false);
  } else {
    pools["aggregated"] = pool_json(m.main, false);
  }
  j["pools"] = pools;
  ojson fleet;
  fleet["gpus"] = as_count(m.gpus);
  fleet["nodes"] = as_count(m.nodes);
  fleet["gpus_billed"] = as_count(m.gpus_billed);
  if (e.cfg.mode == mode_disaggregated) {
    fleet["prefill_to_decode_gpus"] = m.main.gpus > 0 ? m.prefill.gpus / m.main.gpus : 0.0;
  }
  fleet["tokens_per_s_per_gpu"] = m.tokens_per_s_per_gpu;
  fleet["it_power_mw"] = m.it_power_kw / 1e3;
  fleet["facility_power_mw"] = m.facility_power_kw / 1e3;
  fleet["lease_usd_per_day"] = m.lease_usd_per_day;
  fleet["energy_usd_per_day"] = m.energy_usd_per_day;
  fleet["cost_usd_per_day"] = m.cost_usd_per_day;
  fleet["usd_per_million_tokens"] = m.usd_per_million_tokens;
  j["fleet"] = fleet;
  ojson cap;
  cap["gpus_at_site"] = as_count(ss.gpus_available);
  cap["gpus_of_type_in_cluster"] = as_count(ss.type_gpus_available);
  cap["shortfall_gpus"] = as_count(m.shortfall_gpus);
  cap["enough"] = m.shortfall_gpus <= 0.0;
  j["capacity"] = cap;
  return j;
}

}  // namespace tokenplan
