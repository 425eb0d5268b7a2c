// Plan reports: JSON for scripts and dashboards (stable key order, units in key names) and a
// table for people.
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "json_reader.hpp"
#include "plan.hpp"

#ifndef TOKENPLAN_VERSION
#define TOKENPLAN_VERSION "0.0.0-dev"
#endif

namespace tokenplan {

using ojson = nlohmann::ordered_json;

namespace {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

std::uint64_t as_count(double x) { return x <= 0.0 ? 0 : static_cast<std::uint64_t>(std::llround(x)); }

ojson file_ref(const input_file& f) {
  ojson j;
  j["path"] = f.path;
  j["sha256"] = f.sha256;
  return j;
}

struct type_capacity {
  std::string gpu;
  std::uint64_t available = 0;
  std::vector<std::string> sites;
};

std::vector<type_capacity> capacity_by_type(const plan_inputs& in) {
  std::vector<type_capacity> out(in.cluster.gpus.size());
  for (std::size_t i = 0; i < in.cluster.gpus.size(); ++i) out[i].gpu = in.cluster.gpus[i].name;
  for (const site_entry& s : in.cluster.sites) {
    out[s.gpu_index].available += s.gpus;
    out[s.gpu_index].sites.push_back(s.name);
  }
  return out;
}

double peak_tokens_per_s(const workload_spec& w) { return w.tokens_per_day / 86400.0 * w.peak_to_average; }

/// The reason that rules out the most configurations.
std::uint8_t dominant_reason(const search_stats& s) {
  std::uint8_t best = reason_parallelism;
  for (std::uint8_t r = reason_parallelism; r < reason_count; ++r) {
    if (s.counts[r] > s.counts[best]) best = r;
  }
  return best;
}

std::string group_digits(std::uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

/// 5.12M, 834k, 12.3
std::string short_number(double x) {
  char buf[32];
  double a = std::fabs(x);
  if (a >= 1e12) std::snprintf(buf, sizeof buf, "%.2fT", x / 1e12);
  else if (a >= 1e9) std::snprintf(buf, sizeof buf, "%.2fG", x / 1e9);
  else if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", x / 1e6);
  else if (a >= 1e4) std::snprintf(buf, sizeof buf, "%.0fk", x / 1e3);
  else if (a >= 100) std::snprintf(buf, sizeof buf, "%.0f", x);
  else std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

std::string capacity_sentence(const plan_result& r) {
  if (r.top.empty()) return "no feasible configuration, so no capacity verdict";
  const evaluation& best = r.top.front();
  const site_entry& site = r.inputs.cluster.sites[best.cfg.site];
  const site_spec& ss = r.prob->sites[best.cfg.site];
  std::uint64_t need = as_count(best.m.gpus_billed);
  std::uint64_t have = as_count(ss.type_gpus_available);
  std::ostringstream o;
  o << "the best configuration needs " << group_digits(need) << " " << site.gpu << " GPUs; the cluster has "
    << group_digits(have);
  if (need > have) {
    o << ": short by " << group_digits(need - have) << " GPUs (" << short_number(double(need - have) * site.usd_per_gpu_hour * 24.0)
      << " USD/day more at " << site.name << "'s lease price)";
  } else {
    o << ": enough, with " << group_digits(have - need) << " to spare";
  }
  return o.str();
}

ojson result_json(const plan_result& r, std::size_t rank) {
  const evaluation& e = r.top[rank];
  const metrics& m = e.m;
  const site_entry& site = r.inputs.cluster.sites[e.cfg.site];
  const site_spec& ss = r.prob->sites[e.cfg.site];
  ojson j;
  j["rank"] = rank + 1;
  j["index"] = e.index;
  ojson cfg;
  cfg["site"] = site.name;
  cfg["gpu"] = site.gpu;
  cfg["tp"] = e.cfg.tp;
  cfg["pp"] = e.cfg.pp;
  cfg["batch"] = e.cfg.batch;
  cfg["chunk_tokens"] = e.cfg.chunk;
  cfg["weight_precision"] = precision_name(e.cfg.wprec);
  cfg["kv_precision"] = precision_name(e.cfg.kvprec);
  j["config"] = cfg;
  j["objective_value"] = e.key;

  ojson mem;
  mem["weights_gib"] = m.weight_bytes / gib;
  mem["activations_gib"] = m.activation_bytes / gib;
  mem["kv_bytes_per_token"] = m.kv_bytes_per_token;
  mem["kv_needed_gib"] = m.kv_bytes_needed / gib;
  mem["kv_available_gib"] = m.kv_bytes_available / gib;
  j["memory_per_gpu"] = mem;

  ojson step;
  step["micro_batches"] = m.micro_batches;
  step["decode_tokens"] = m.decode_tokens_per_step;
  step["prefill_tokens"] = m.prefill_tokens_per_step;
  step["linear_ms"] = m.step.linear_s * 1e3;
  step["attention_ms"] = m.step.attention_s * 1e3;
  step["allreduce_ms"] = m.step.allreduce_s * 1e3;
  step["lm_head_ms"] = m.step.lm_head_s * 1e3;
  step["layer_overhead_ms"] = m.step.overhead_s * 1e3;
  step["stage_ms"] = m.step.stage_s * 1e3;
  step["pp_hops_ms"] = m.pp_hops_s * 1e3;
  j["step"] = step;

  ojson lat;
  lat["tpot_ms"] = m.tpot_s * 1e3;
  lat["ttft_ms"] = m.ttft_s * 1e3;
  lat["prefill_chunks"] = m.prefill_chunks;
  j["latency"] = lat;

  ojson rep;
  rep["gpus"] = as_count(m.gpus_per_replica);
  rep["output_tokens_per_s"] = m.replica_output_tokens_per_s;
  rep["tokens_per_s"] = m.replica_tokens_per_s;
  rep["requests_per_s"] = m.replica_requests_per_s;
  rep["tokens_per_s_per_gpu"] = m.tokens_per_s_per_gpu;
  j["replica"] = rep;

  ojson fleet;
  fleet["replicas"] = as_count(m.replicas);
  fleet["gpus"] = as_count(m.gpus);
  fleet["nodes"] = as_count(m.nodes);
  fleet["gpus_billed"] = as_count(m.gpus_billed);
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

}  // namespace

std::string plan_to_json(const plan_result& r) {
  const plan_inputs& in = r.inputs;
  const workload_spec& w = r.prob->workload;
  ojson j;
  j["schema_version"] = plan_schema_version;
  j["tool"] = {{"name", "tokenplan"}, {"version", TOKENPLAN_VERSION}};
  j["command"] = "plan";

  ojson inputs;
  inputs["cluster"] = file_ref(in.cluster.file);
  inputs["cluster"]["name"] = in.cluster.name;
  inputs["model"] = file_ref(in.model.file);
  inputs["model"]["name"] = in.model.name;
  inputs["workload"] = file_ref(in.workload.file);
  inputs["workload"]["name"] = in.workload.name;
  inputs["grid"] = {{"path", in.grid.origin}, {"sha256", in.grid.sha256.empty() ? ojson(nullptr) : ojson(in.grid.sha256)}};
  ojson gpus = ojson::array();
  for (const gpu_entry& g : in.cluster.gpus) {
    ojson gj = file_ref(g.file);
    gj["name"] = g.name;
    gpus.push_back(gj);
  }
  inputs["gpus"] = gpus;
  j["inputs"] = inputs;

  ojson be;
  be["name"] = r.backend_name;
  be["device"] = r.backend_device;
  if (!r.backend_note.empty()) be["note"] = r.backend_note;
  j["backend"] = be;
  j["objective"] = objective_name(in.goal);

  ojson demand;
  demand["tokens_per_day"] = w.tokens_per_day;
  demand["mean_tokens_per_s"] = w.tokens_per_day / 86400.0;
  demand["peak_tokens_per_s"] = peak_tokens_per_s(w);
  demand["peak_requests_per_s"] = peak_tokens_per_s(w) / (w.input_tokens + w.output_tokens);
  demand["input_tokens_mean"] = w.input_tokens;
  demand["output_tokens_mean"] = w.output_tokens;
  demand["peak_to_average"] = w.peak_to_average;
  demand["ttft_slo_ms"] = w.ttft_slo_s * 1e3;
  demand["tpot_slo_ms"] = w.tpot_slo_s * 1e3;
  j["demand"] = demand;

  ojson search;
  search["grid_size"] = r.stats.grid_size;
  search["evaluated"] = r.stats.evaluated;
  search["feasible"] = r.stats.counts[reason_feasible];
  ojson inf;
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) inf[reason_name(k)] = r.stats.counts[k];
  search["infeasible"] = inf;
  search["search_elapsed_s"] = r.stats.elapsed_s;
  search["configs_per_s"] = r.stats.elapsed_s > 0.0 ? double(r.stats.evaluated) / r.stats.elapsed_s : 0.0;
  search["total_elapsed_s"] = r.elapsed_s;
  j["search"] = search;

  ojson cap;
  ojson types = ojson::array();
  for (const type_capacity& t : capacity_by_type(in)) {
    types.push_back({{"gpu", t.gpu}, {"available", t.available}, {"sites", t.sites}});
  }
  cap["gpus_by_type"] = types;
  if (!r.top.empty()) {
    const evaluation& best = r.top.front();
    const site_spec& ss = r.prob->sites[best.cfg.site];
    cap["best_needs_gpus"] = as_count(best.m.gpus_billed);
    cap["gpus_of_type_available"] = as_count(ss.type_gpus_available);
    cap["shortfall_gpus"] = as_count(best.m.shortfall_gpus);
    cap["enough"] = best.m.shortfall_gpus <= 0.0;
  } else {
    cap["best_needs_gpus"] = nullptr;
    cap["enough"] = false;
    std::uint8_t d = dominant_reason(r.stats);
    cap["no_feasible_reason"] = reason_name(d);
  }
  cap["summary"] = capacity_sentence(r);
  j["capacity"] = cap;

  ojson results = ojson::array();
  for (std::size_t i = 0; i < r.top.size(); ++i) results.push_back(result_json(r, i));
  j["results"] = results;
  return j.dump(2) + "\n";
}

std::string plan_to_table(const plan_result& r) {
  const plan_inputs& in = r.inputs;
  const workload_spec& w = r.prob->workload;
  std::ostringstream o;
  char line[256];
  o << "tokenplan plan: model " << in.model.name << ", workload " << in.workload.name << ", cluster "
    << in.cluster.name << "\n";
  std::snprintf(line, sizeof line,
                "demand: %s tokens/day; peak %s tokens/s (%s req/s); ISL %.0f, OSL %.0f; SLO TTFT %.0f ms, "
                "TPOT %.0f ms\n",
                short_number(w.tokens_per_day).c_str(), short_number(peak_tokens_per_s(w)).c_str(),
                short_number(peak_tokens_per_s(w) / (w.input_tokens + w.output_tokens)).c_str(), w.input_tokens,
                w.output_tokens, w.ttft_slo_s * 1e3, w.tpot_slo_s * 1e3);
  o << line;
  o << "search: " << group_digits(r.stats.grid_size) << " configurations on " << r.backend_name << " ("
    << r.backend_device << ") in " << short_number(r.stats.elapsed_s) << " s; "
    << group_digits(r.stats.counts[reason_feasible]) << " feasible\n";
  o << "ruled out:";
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) {
    o << " " << reason_name(k) << " " << group_digits(r.stats.counts[k]) << (k + 1 < reason_count ? "," : "");
  }
  o << "\n\n";
  if (r.top.empty()) {
    o << "No configuration meets every constraint; most are ruled out by "
      << reason_name(dominant_reason(r.stats)) << ".\n";
    return o.str();
  }
  std::snprintf(line, sizeof line, "%4s %-12s %-9s %3s %2s %5s %5s %-8s %6s %6s %7s %8s %8s %7s %6s %6s\n", "rank",
                "site", "gpu", "tp", "pp", "batch", "chunk", "w/kv", "tpot", "ttft", "tok/s/g", "gpus", "short",
                "usd/day", "$/Mtok", "MW");
  o << line;
  std::snprintf(line, sizeof line, "%4s %-12s %-9s %3s %2s %5s %5s %-8s %6s %6s %7s %8s %8s %7s %6s %6s\n", "", "",
                "", "", "", "", "", "", "ms", "ms", "", "billed", "", "", "", "fac.");
  o << line;
  for (std::size_t i = 0; i < r.top.size(); ++i) {
    const evaluation& e = r.top[i];
    const site_entry& site = in.cluster.sites[e.cfg.site];
    std::string prec = std::string(precision_name(e.cfg.wprec)) + "/" + precision_name(e.cfg.kvprec);
    std::snprintf(line, sizeof line, "%4zu %-12.12s %-9.9s %3u %2u %5u %5u %-8s %6.1f %6.0f %7.0f %8s %8s %7s %6.3f %6.1f\n",
                  i + 1, site.name.c_str(), site.gpu.c_str(), e.cfg.tp, e.cfg.pp, e.cfg.batch, e.cfg.chunk,
                  prec.c_str(), e.m.tpot_s * 1e3, e.m.ttft_s * 1e3, e.m.tokens_per_s_per_gpu,
                  group_digits(as_count(e.m.gpus_billed)).c_str(), group_digits(as_count(e.m.shortfall_gpus)).c_str(),
                  short_number(e.m.cost_usd_per_day).c_str(), e.m.usd_per_million_tokens, e.m.facility_power_kw / 1e3);
    o << line;
  }
  o << "\ncapacity: " << capacity_sentence(r) << "\n";
  return o.str();
}

}  // namespace tokenplan
