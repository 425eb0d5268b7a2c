// Config loaders: JSON files -> validated plain specs. Ranges are wide enough for any real
// hardware or model and narrow enough to catch unit mistakes (a 10 PB/s GPU, a 0-layer model).
#include "loaders.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "errors.hpp"
#include "text.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

namespace {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

json load_json(const std::string& path, input_file* file) {
  *file = read_input_file(path);
  return parse_json(*file);
}

/// Reads an optional "description" and the mandatory "name", which must be a plain identifier.
std::string read_name(field_reader& r) {
  std::string name = r.string("name");
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    if (!ok) r.fail("name", "names may hold letters, digits, '-', '_' and '.', found \"" + name + "\"");
  }
  return name;
}

std::vector<std::uint8_t> read_precisions(field_reader& r, const std::string& key) {
  std::vector<std::string> names = r.strings(key);
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::uint8_t p = 0;
    if (!parse_precision(names[i], &p)) {
      throw config_error(r.file(), r.child_path(key) + "[" + std::to_string(i) + "]",
                         "unknown precision \"" + names[i] + "\"" +
                             did_you_mean(names[i], {"bf16", "fp8", "fp4"}) + "; expected one of 'bf16', 'fp8', 'fp4'");
    }
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

bool parse_precision(const std::string& name, std::uint8_t* out) {
  if (name == "bf16") *out = prec_bf16;
  else if (name == "fp8") *out = prec_fp8;
  else if (name == "fp4") *out = prec_fp4;
  else return false;
  return true;
}

gpu_entry load_gpu(const std::string& path) {
  gpu_entry e;
  json j = load_json(path, &e.file);
  field_reader r(j, path, "$");
  e.name = read_name(r);
  e.description = r.string_or("description", "");
  gpu_spec& g = e.spec;

  field_reader mem = r.object("memory");
  g.hbm_bytes = mem.number("hbm_gib", positive(100000.0)) * gib;
  g.hbm_bytes_per_s = mem.number("hbm_tb_per_s", positive(1000.0)) * 1e12;
  g.memory_usable_fraction = mem.number("usable_fraction", {0.0, 1.0, true});
  g.memory_reserve_bytes = mem.number("reserve_gib", at_least(0.0, 10000.0)) * gib;
  mem.finish();
  if (g.memory_reserve_bytes >= g.hbm_bytes * g.memory_usable_fraction) {
    mem.fail("reserve_gib", "reserve leaves no usable memory: it must be below hbm_gib x usable_fraction");
  }

  field_reader compute = r.object("compute");
  field_reader tflops = compute.object("dense_tflops");
  g.dense_flops[prec_bf16] = tflops.number("bf16", positive(1e6)) * 1e12;
  g.dense_flops[prec_fp8] = tflops.number_or("fp8", 0.0, positive(1e6)) * 1e12;
  g.dense_flops[prec_fp4] = tflops.number_or("fp4", 0.0, positive(1e6)) * 1e12;
  tflops.finish();
  compute.finish();

  field_reader up = r.object("scale_up");
  g.scale_up_domain_gpus = up.integer("domain_gpus", 1, 4096);
  g.allreduce_busbw_bytes_per_s = up.number("allreduce_busbw_gb_per_s", positive(100000.0)) * 1e9;
  g.allreduce_latency_s = up.number("allreduce_latency_us", at_least(0.0, 100000.0)) * 1e-6;
  g.p2p_bytes_per_s = up.number("p2p_gb_per_s", positive(100000.0)) * 1e9;
  g.p2p_latency_s = up.number("p2p_latency_us", at_least(0.0, 100000.0)) * 1e-6;
  up.finish();

  field_reader out = r.object("scale_out");
  g.scale_out_bytes_per_s = out.number("gb_per_s", positive(100000.0)) * 1e9;
  g.scale_out_latency_s = out.number("latency_us", at_least(0.0, 100000.0)) * 1e-6;
  out.finish();

  field_reader power = r.object("power");
  g.power_w = power.number("kw_per_gpu", positive(100.0)) * 1000.0;
  power.finish();

  field_reader eff = r.object("efficiency");
  g.gemm_efficiency = eff.number("gemm", {0.0, 1.0, true});
  g.hbm_efficiency = eff.number("hbm", {0.0, 1.0, true});
  g.layer_overhead_s = eff.number("layer_overhead_us", at_least(0.0, 100000.0)) * 1e-6;
  g.step_overhead_s = eff.number("step_overhead_us", at_least(0.0, 10000000.0)) * 1e-6;
  eff.finish();
  r.finish();
  return e;
}

model_entry load_model(const std::string& path) {
  model_entry e;
  json j = load_json(path, &e.file);
  field_reader r(j, path, "$");
  e.name = read_name(r);
  e.hf_repo = r.string_or("hf_repo", "");
  std::string arch = r.string("architecture");
  if (arch != "dense") {
    r.fail("architecture", "unsupported architecture \"" + arch + "\"" + did_you_mean(arch, {"dense"}) +
                               "; this version models 'dense' (GQA/MHA) transformers");
  }
  model_spec& m = e.spec;
  m.layers = r.integer("num_hidden_layers", 1, 10000);
  m.hidden = r.integer("hidden_size", 1, 1000000);
  m.heads = r.integer("num_attention_heads", 1, 100000);
  m.kv_heads = r.integer("num_key_value_heads", 1, m.heads);
  if (m.heads % m.kv_heads != 0) {
    r.fail("num_key_value_heads", "must divide num_attention_heads (" + std::to_string(m.heads) + "), found " +
                                      std::to_string(m.kv_heads));
  }
  if (r.has("head_dim")) {
    m.head_dim = r.integer("head_dim", 1, 100000);
  } else {
    r.allow("head_dim");
    if (m.hidden % m.heads != 0) {
      r.fail("head_dim", "required field is missing (hidden_size is not a multiple of num_attention_heads)");
    }
    m.head_dim = m.hidden / m.heads;
  }
  m.ffn = r.integer("intermediate_size", 1, 10000000);
  m.vocab = r.integer("vocab_size", 1, 100000000);
  m.max_context = r.integer("max_position_embeddings", 1, 1000000000);
  m.tie_embeddings = r.boolean_or("tie_word_embeddings", false);
  m.qkv_bias = r.boolean_or("attention_bias", false);
  r.finish();

  const double h = m.hidden, hd = m.head_dim;
  double per_layer = h * (m.heads + 2.0 * m.kv_heads) * hd + m.heads * hd * h + 3.0 * h * m.ffn + 2.0 * h +
                     (m.qkv_bias ? (m.heads + 2.0 * m.kv_heads) * hd : 0.0);
  e.params = m.layers * per_layer + (m.tie_embeddings ? 1.0 : 2.0) * m.vocab * h + h;
  return e;
}

workload_entry load_workload(const std::string& path) {
  workload_entry e;
  json j = load_json(path, &e.file);
  field_reader r(j, path, "$");
  e.name = read_name(r);
  e.description = r.string_or("description", "");
  workload_spec& w = e.spec;
  // 1e18 tokens/day is ~20,000x the largest public figure (Google, ~43T/day in Oct 2025).
  w.tokens_per_day = r.number("tokens_per_day", positive(1e18));
  w.input_tokens = r.number("input_tokens_mean", at_least(1.0, 1e8));
  w.output_tokens = r.number("output_tokens_mean", at_least(1.0, 1e8));
  w.peak_to_average = r.number("peak_to_average", at_least(1.0, 100.0));
  field_reader slo = r.object("slo");
  w.ttft_slo_s = slo.number("ttft_ms", positive(1e8)) * 1e-3;
  w.tpot_slo_s = slo.number("tpot_ms", positive(1e8)) * 1e-3;
  slo.finish();
  if (r.has("precisions")) {
    field_reader prec = r.object("precisions");
    e.weight_precisions = read_precisions(prec, "weights");
    e.kv_precisions = read_precisions(prec, "kv_cache");
    prec.finish();
  } else {
    r.allow("precisions");
    e.weight_precisions = {prec_bf16, prec_fp8, prec_fp4};
    e.kv_precisions = {prec_bf16, prec_fp8};
  }
  r.finish();
  return e;
}

std::vector<std::string> catalog_names(const std::vector<std::string>& dirs) {
  std::set<std::string> names;
  for (const std::string& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    for (const auto& f : fs::directory_iterator(d, ec)) {
      if (f.path().extension() == ".json") names.insert(f.path().stem().string());
    }
  }
  return {names.begin(), names.end()};
}

cluster_entry load_cluster(const std::string& path, const std::vector<std::string>& gpu_dirs) {
  cluster_entry c;
  json j = load_json(path, &c.file);
  field_reader r(j, path, "$");
  c.name = read_name(r);
  c.description = r.string_or("description", "");
  std::vector<field_reader> sites = r.objects("sites");
  if (sites.size() > static_cast<std::size_t>(max_sites)) {
    r.fail("sites", "at most " + std::to_string(max_sites) + " sites are supported, found " +
                        std::to_string(sites.size()));
  }
  std::map<std::string, std::uint32_t> gpu_by_name;
  std::set<std::string> site_names;
  const fs::path base = fs::path(path).parent_path();
  for (field_reader& s : sites) {
    site_entry e;
    e.name = read_name(s);
    if (!site_names.insert(e.name).second) s.fail("name", "duplicate site name \"" + e.name + "\"");
    std::string gpu = s.string("gpu");
    e.gpus = s.integer("gpus", 0, 100000000);
    e.gpus_per_node = s.integer("gpus_per_node", 1, 4096);
    e.usd_per_gpu_hour = s.number("usd_per_gpu_hour", at_least(0.0, 10000.0));
    e.price_includes_power = s.boolean("price_includes_power");
    if (e.price_includes_power) {
      e.usd_per_kwh = s.number_or("usd_per_kwh", 0.0, at_least(0.0, 100.0));
    } else {
      e.usd_per_kwh = s.number("usd_per_kwh", at_least(0.0, 100.0));
    }
    e.pue = s.number("pue", at_least(1.0, 10.0));
    s.allow("interconnect");
    if (s.has("interconnect")) {
      field_reader net = s.object("interconnect");
      e.interconnect = net.string_or("description", "");
      e.scale_out_gb_per_s = net.number_or("scale_out_gb_per_s", 0.0, positive(100000.0));
      e.scale_out_latency_us = net.number_or("scale_out_latency_us", -1.0, at_least(0.0, 100000.0));
      net.finish();
    }
    s.finish();

    // Resolve the GPU: a path relative to the cluster file, or a name in the GPU directories.
    std::string gpu_path;
    const bool is_path = gpu.find('/') != std::string::npos ||
                         (gpu.size() > 5 && gpu.compare(gpu.size() - 5, 5, ".json") == 0);
    if (is_path) {
      gpu_path = (base / gpu).string();
      if (!fs::exists(gpu_path)) s.fail("gpu", "GPU file \"" + gpu_path + "\" does not exist");
    } else {
      for (const std::string& d : gpu_dirs) {
        fs::path candidate = fs::path(d) / (gpu + ".json");
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec)) {
          gpu_path = candidate.string();
          break;
        }
      }
      if (gpu_path.empty()) {
        std::vector<std::string> known = catalog_names(gpu_dirs);
        std::string where;
        for (const std::string& d : gpu_dirs) where += (where.empty() ? "" : ", ") + d;
        s.fail("gpu", "unknown GPU \"" + gpu + "\"" + did_you_mean(gpu, known) +
                          (known.empty() ? "; no GPU files found in " + (where.empty() ? std::string("(none)") : where)
                                         : "; known GPUs: " + quoted_list(known)));
      }
    }
    gpu_entry g = load_gpu(gpu_path);
    if (!is_path && g.name != gpu) {
      throw config_error(gpu_path, "$.name", "name \"" + g.name + "\" does not match the file name \"" + gpu + "\"");
    }
    auto it = gpu_by_name.find(g.name);
    if (it == gpu_by_name.end()) {
      it = gpu_by_name.emplace(g.name, static_cast<std::uint32_t>(c.gpus.size())).first;
      c.gpus.push_back(std::move(g));
    }
    e.gpu = it->first;
    e.gpu_index = it->second;
    c.sites.push_back(std::move(e));
  }
  r.finish();
  return c;
}

}  // namespace tokenplan
