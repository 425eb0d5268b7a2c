// libFuzzer target for one input loader, chosen at compile time by TOKENPLAN_FUZZ_KIND (the
// KINDs of tests/tools/load_file.cpp). Expected rejections are config_error and usage_error; any
// other exception, a crash, a sanitizer report or a NaN/Inf in a loaded result is a finding.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/errors.hpp"
#include "fleet/fleet.hpp"
#include "io/loaders.hpp"
#include "sweep/sweep.hpp"
#include "validate/validation.hpp"

#ifndef TOKENPLAN_FUZZ_KIND
#error "define TOKENPLAN_FUZZ_KIND (gpu, model, workload, cluster, demand, grid, calibration, validation-point, matrix)"
#endif

namespace {

namespace fs = std::filesystem;
using namespace tokenplan;

const std::string kind = TOKENPLAN_FUZZ_KIND;
const std::string shipped = std::string(TOKENPLAN_SOURCE_DIR) + "/configs";

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "tokenplan fuzz finding (%s): %s\n", kind.c_str(), what.c_str());
  std::abort();  // libFuzzer keeps the input as crash-<sha1>
}

void finite(double v, const char* field) {
  if (!std::isfinite(v)) finding(std::string("loaded ") + field + " is " + std::to_string(v));
}
#define TOKENPLAN_FINITE(x) finite((x), #x)

void check(const efficiency_factors& f) {
  TOKENPLAN_FINITE(f.gemm); TOKENPLAN_FINITE(f.hbm); TOKENPLAN_FINITE(f.layer_overhead_s);
  TOKENPLAN_FINITE(f.step_overhead_s); TOKENPLAN_FINITE(f.sequence_overhead_s);
  TOKENPLAN_FINITE(f.alltoall_latency_s); TOKENPLAN_FINITE(f.moe_overlap); TOKENPLAN_FINITE(f.expert_imbalance);
  TOKENPLAN_FINITE(f.allreduce_latency_s); TOKENPLAN_FINITE(f.allreduce_efficiency);
}
void check(const calibration& c) {
  for (const auto& f : c.families) check(f.second);
  for (const auto& e : c.engines) TOKENPLAN_FINITE(e.second);
}
void check(const gpu_spec& g) {
  TOKENPLAN_FINITE(g.hbm_bytes); TOKENPLAN_FINITE(g.hbm_bytes_per_s);
  for (double v : g.dense_flops) TOKENPLAN_FINITE(v);
  TOKENPLAN_FINITE(g.allreduce_busbw_bytes_per_s); TOKENPLAN_FINITE(g.allreduce_latency_s);
  TOKENPLAN_FINITE(g.p2p_bytes_per_s); TOKENPLAN_FINITE(g.p2p_latency_s); TOKENPLAN_FINITE(g.scale_out_bytes_per_s);
  TOKENPLAN_FINITE(g.scale_out_latency_s); TOKENPLAN_FINITE(g.power_w); TOKENPLAN_FINITE(g.gemm_efficiency);
  TOKENPLAN_FINITE(g.sm_tensor_rate); TOKENPLAN_FINITE(g.hbm_efficiency); TOKENPLAN_FINITE(g.layer_overhead_s); TOKENPLAN_FINITE(g.step_overhead_s);
  TOKENPLAN_FINITE(g.sequence_overhead_s); TOKENPLAN_FINITE(g.alltoall_latency_s); TOKENPLAN_FINITE(g.moe_overlap);
  TOKENPLAN_FINITE(g.expert_imbalance); TOKENPLAN_FINITE(g.memory_usable_fraction);
  TOKENPLAN_FINITE(g.memory_reserve_bytes);
}
void check(const model_entry& m) { TOKENPLAN_FINITE(m.params); TOKENPLAN_FINITE(m.active_params); }
void check(const length_stats& l) { TOKENPLAN_FINITE(l.mean); TOKENPLAN_FINITE(l.tail); TOKENPLAN_FINITE(l.sq_mean); }
void check(const workload_entry& w) {
  const workload_spec& s = w.spec;
  TOKENPLAN_FINITE(s.tokens_per_day); TOKENPLAN_FINITE(s.input_tokens); TOKENPLAN_FINITE(s.output_tokens);
  TOKENPLAN_FINITE(s.input_tail); TOKENPLAN_FINITE(s.input_sq_mean); TOKENPLAN_FINITE(s.output_tail); TOKENPLAN_FINITE(s.output_sq_mean);
  TOKENPLAN_FINITE(s.peak_to_average); TOKENPLAN_FINITE(s.ttft_slo_s); TOKENPLAN_FINITE(s.tpot_slo_s);
  TOKENPLAN_FINITE(s.slo_tail); TOKENPLAN_FINITE(s.prefix_cache_hit); TOKENPLAN_FINITE(s.draft_acceptance);
  TOKENPLAN_FINITE(s.draft_cost_layers); TOKENPLAN_FINITE(s.engine_factor);
  check(w.input); check(w.output); TOKENPLAN_FINITE(w.tail_percentile);
}
void check(const site_pricing& p) {
  TOKENPLAN_FINITE(p.usd_per_gpu_hour); TOKENPLAN_FINITE(p.term_months); TOKENPLAN_FINITE(p.capex_usd_per_node);
  TOKENPLAN_FINITE(p.depreciation_years); TOKENPLAN_FINITE(p.cost_of_capital); TOKENPLAN_FINITE(p.node_usd_per_month);
  TOKENPLAN_FINITE(p.capex_usd_per_node_year());
}
void check(const cluster_entry& c) {
  TOKENPLAN_FINITE(c.spare_fraction);
  for (const auto& g : c.gpus) check(g.spec);
  for (const auto& s : c.sites) {
    check(s.pricing); TOKENPLAN_FINITE(s.usd_per_gpu_hour); TOKENPLAN_FINITE(s.usd_per_kwh); TOKENPLAN_FINITE(s.pue);
    TOKENPLAN_FINITE(s.power_cap_it_mw); TOKENPLAN_FINITE(s.power_cap_given_mw); TOKENPLAN_FINITE(s.spare_fraction);
    TOKENPLAN_FINITE(s.expansion_max_gpus); TOKENPLAN_FINITE(s.scale_out_gb_per_s); TOKENPLAN_FINITE(s.scale_out_latency_us);
  }
  for (const auto& o : c.offers) { check(o.pricing); TOKENPLAN_FINITE(o.max_gpus); }
}
void check(const demand_entry& d) {
  TOKENPLAN_FINITE(d.tokens_per_day); TOKENPLAN_FINITE(d.peak_to_average); TOKENPLAN_FINITE(d.deferrable_share);
  TOKENPLAN_FINITE(d.monthly_growth);
  for (double h : d.hourly) TOKENPLAN_FINITE(h);
  for (const auto& c : d.classes) { TOKENPLAN_FINITE(c.share); check(c.model); check(c.workload); }
}
void check(const validation_point& p) {
  TOKENPLAN_FINITE(p.input_tokens); TOKENPLAN_FINITE(p.output_tokens); TOKENPLAN_FINITE(p.input_max);
  TOKENPLAN_FINITE(p.input_p50); TOKENPLAN_FINITE(p.prefix_cache_hit); TOKENPLAN_FINITE(p.ttft_ms);
  TOKENPLAN_FINITE(p.tpot_ms); TOKENPLAN_FINITE(p.slo_tail); TOKENPLAN_FINITE(p.draft_acceptance);
  TOKENPLAN_FINITE(p.value);
}
void check(const sweep_matrix& m) {
  for (const auto& g : m.gpus) TOKENPLAN_FINITE(g.usd_per_gpu_hour);
  for (const auto& p : m.prices) {
    TOKENPLAN_FINITE(p.scale); TOKENPLAN_FINITE(p.all_usd_per_gpu_hour);
    for (const auto& s : p.per_site_usd_per_gpu_hour) TOKENPLAN_FINITE(s.second);
  }
  for (double t : m.tokens_per_day) TOKENPLAN_FINITE(t);
}

// Loaders check that "name" matches the file name, so the input is written under the name it
// claims (when it is a plain file name): the fuzzer then gets past that check and deeper.
std::string claimed_name(const std::string& text) {
  const auto key = text.find("\"name\"");
  if (key == std::string::npos) return "fuzz";
  const auto open = text.find('"', text.find(':', key) == std::string::npos ? text.size() : text.find(':', key));
  if (open == std::string::npos) return "fuzz";
  const auto close = text.find('"', open + 1);
  if (close == std::string::npos || close - open - 1 == 0 || close - open - 1 > 64) return "fuzz";
  std::string name = text.substr(open + 1, close - open - 1);
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return "fuzz";
  if (name == "." || name == "..") return "fuzz";
  return name;
}

const calibration& shipped_calibration() {
  static const calibration cal = load_calibration(shipped + "/calibration.json");
  return cal;
}

void load(const std::string& file) {
  config_roots roots;
  roots.roots.push_back(shipped);
  if (kind == "calibration") {
    check(load_calibration(file));
  } else if (kind == "gpu") {
    check(load_gpu(file, shipped_calibration()).spec);
  } else if (kind == "model") {
    check(load_model(file));
  } else if (kind == "workload") {
    check(load_workload(file));
  } else if (kind == "cluster") {
    check(load_cluster(file, roots.dirs("gpus"), shipped_calibration()));
  } else if (kind == "demand") {
    check(load_demand(file, roots, shipped_calibration()));
  } else if (kind == "grid") {
    static const model_spec m = load_model(shipped + "/models/llama-3.1-8b.json").spec;
    load_grid(file, m);  // integers and precision codes only
  } else if (kind == "validation-point") {
    for (const auto& p : load_points(file)) check(p);
  } else if (kind == "matrix") {
    check(load_matrix(file, roots));
  } else {
    finding("unknown kind");
  }
}

std::string work_dir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    fs::path d = fs::path(tmp && *tmp ? tmp : "/tmp") / ("tokenplan-fuzz-" + kind + "-" + std::to_string(::getpid()));
    fs::create_directories(d / (kind + "s"));
    return (d / (kind + "s")).string();
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string ext = kind == "validation-point" ? ".jsonl" : ".json";
  const std::string file = work_dir() + "/" + claimed_name(text) + ext;
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) finding("cannot write " + file);
  }
  try {
    load(file);
  } catch (const config_error&) {
  } catch (const usage_error&) {
  } catch (const std::exception& e) {
    finding(std::string("unexpected exception: ") + e.what());
  } catch (...) {
    finding("unexpected non-std exception");
  }
  std::error_code ec;
  fs::remove(file, ec);
  return 0;
}
