// Config loaders: JSON files -> validated plain specs. Ranges are wide enough for any real
// hardware or model and narrow enough to catch unit mistakes (a 10 PB/s GPU, a 0-layer model).
#include "io/loaders.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "base/errors.hpp"
#include "base/text.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

namespace {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

json load_json(const std::string& path, input_file* file) {
  *file = read_input_file(path);
  return parse_json(*file);
}

/// Reads the mandatory "name", which must be a plain identifier.
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
                         "unknown precision \"" + names[i] + "\"" + did_you_mean(names[i], {"bf16", "fp8", "fp4"}) +
                             "; expected one of 'bf16', 'fp8', 'fp4'");
    }
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Reads the efficiency keys present in `r` into `f`; `all` requires every key.
void read_factors(field_reader& r, efficiency_factors& f, bool all) {
  auto num = [&](const char* key, double current, number_range range, double scale) {
    return all ? r.number(key, range) * scale : r.number_or(key, current / scale, range) * scale;
  };
  f.gemm = num("gemm", f.gemm, {0.0, 1.0, true}, 1.0);
  f.hbm = num("hbm", f.hbm, {0.0, 1.0, true}, 1.0);
  f.layer_overhead_s = num("layer_overhead_us", f.layer_overhead_s, at_least(0.0, 100000.0), 1e-6);
  f.step_overhead_s = num("step_overhead_us", f.step_overhead_s, at_least(0.0, 10000000.0), 1e-6);
  f.sequence_overhead_s = num("sequence_overhead_us", f.sequence_overhead_s, at_least(0.0, 10000.0), 1e-6);
  f.alltoall_latency_s = num("alltoall_latency_us", f.alltoall_latency_s, at_least(0.0, 100000.0), 1e-6);
  f.moe_overlap = num("moe_overlap", f.moe_overlap, at_least(0.0, 1.0), 1.0);
  f.expert_imbalance = num("expert_imbalance", f.expert_imbalance, at_least(1.0, 16.0), 1.0);
  f.allreduce_latency_s = num("allreduce_latency_us", f.allreduce_latency_s, at_least(0.0, 100000.0), 1e-6);
  f.allreduce_efficiency = num("allreduce_efficiency", f.allreduce_efficiency, {0.0, 1.0, true}, 1.0);
}

}  // namespace

bool parse_precision(const std::string& name, std::uint8_t* out) {
  if (name == "bf16") *out = prec_bf16;
  else if (name == "fp8") *out = prec_fp8;
  else if (name == "fp4") *out = prec_fp4;
  else return false;
  return true;
}

calibration load_calibration(const std::string& path) {
  calibration c;
  json j = load_json(path, &c.file);
  field_reader r(j, path, "$");
  r.string_or("description", "");
  field_reader fam = r.object("families");
  const json& fams = r.raw("families");
  for (auto it = fams.begin(); it != fams.end(); ++it) {
    if (it.key() == "source" || it.key() == "sources") continue;
    field_reader one = fam.object(it.key());
    efficiency_factors f;
    read_factors(one, f, true);
    one.finish();
    c.families[it.key()] = f;
  }
  if (c.families.empty()) fam.fail_here("expected at least one GPU family");
  field_reader eng = r.object("engines");
  c.reference_engine = eng.string("reference");
  const json& engs = r.raw("engines");
  for (auto it = engs.begin(); it != engs.end(); ++it) {
    if (it.key() == "source" || it.key() == "sources" || it.key() == "reference") continue;
    c.engines[it.key()] = eng.number(it.key(), positive(10.0));
  }
  r.allow("fit");  // provenance written by 'tokenplan calibrate'
  auto ref = c.engines.find(c.reference_engine);
  if (ref == c.engines.end() || ref->second != 1.0) {
    eng.fail("reference", "the reference engine \"" + c.reference_engine + "\" must be listed with factor 1");
  }
  r.finish();
  return c;
}

gpu_entry load_gpu(const std::string& path, const calibration& cal) {
  gpu_entry e;
  json j = load_json(path, &e.file);
  field_reader r(j, path, "$");
  e.name = read_name(r);
  e.description = r.string_or("description", "");
  e.family = r.string("family");
  std::vector<std::string> families;
  for (const auto& kv : cal.families) families.push_back(kv.first);
  auto fam = cal.families.find(e.family);
  if (fam == cal.families.end()) {
    r.fail("family", "unknown GPU family \"" + e.family + "\"" + did_you_mean(e.family, families) + "; " +
                         cal.file.path + " defines " + quoted_list(families));
  }
  gpu_spec& g = e.spec;

  field_reader mem = r.object("memory");
  g.hbm_bytes = mem.number("hbm_gib", positive(100000.0)) * gib;
  g.hbm_bytes_per_s = mem.number("hbm_tb_per_s", positive(1000.0)) * 1e12;
  g.memory_usable_fraction = mem.number("usable_fraction", {0.0, 1.0, true});
  g.memory_reserve_bytes = mem.number("reserve_gib", at_least(0.0, 10000.0)) * gib;
  mem.finish();
  if (g.memory_reserve_bytes >= g.hbm_bytes) {
    mem.fail("reserve_gib", "reserve leaves no usable memory: it must be below hbm_gib");
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

  // The family's fitted factors, unless this file overrides some of them.
  efficiency_factors f = fam->second;
  r.allow("efficiency");
  if (r.has("efficiency")) {
    field_reader eff = r.object("efficiency");
    read_factors(eff, f, false);
    eff.finish();
  }
  g.gemm_efficiency = f.gemm;
  g.hbm_efficiency = f.hbm;
  g.layer_overhead_s = f.layer_overhead_s;
  g.step_overhead_s = f.step_overhead_s;
  g.sequence_overhead_s = f.sequence_overhead_s;
  g.alltoall_latency_s = f.alltoall_latency_s;
  g.moe_overlap = f.moe_overlap;
  g.expert_imbalance = f.expert_imbalance;
  g.allreduce_latency_s = f.allreduce_latency_s;
  g.allreduce_busbw_bytes_per_s *= f.allreduce_efficiency;
  r.finish();
  return e;
}

model_entry load_model(const std::string& path) {
  model_entry e;
  json j = load_json(path, &e.file);
  field_reader r(j, path, "$");
  e.name = read_name(r);
  e.hf_repo = r.string_or("hf_repo", "");
  e.architecture = r.string("architecture");
  if (e.architecture != "dense" && e.architecture != "moe") {
    r.fail("architecture", "unknown architecture \"" + e.architecture + "\"" + did_you_mean(e.architecture, {"dense", "moe"}) +
                               "; expected 'dense' or 'moe'");
  }
  model_spec& m = e.spec;
  m.layers = r.integer("num_hidden_layers", 1, 10000);
  m.hidden = r.integer("hidden_size", 1, 1000000);
  m.heads = r.integer("num_attention_heads", 1, 100000);
  m.vocab = r.integer("vocab_size", 1, 100000000);
  m.max_context = r.integer("max_position_embeddings", 1, 1000000000);
  m.tie_embeddings = r.boolean_or("tie_word_embeddings", false);
  m.qkv_bias = r.boolean_or("attention_bias", false);
  m.mtp_layers = r.integer_or("num_nextn_predict_layers", 0, 0, 16);
  const std::string attention = r.string_or("attention", "gqa");
  if (attention != "gqa" && attention != "mla") {
    r.fail("attention", "unknown attention \"" + attention + "\"" + did_you_mean(attention, {"gqa", "mla"}) + "; expected 'gqa' or 'mla'");
  }
  if (attention == "mla") {
    m.attention = attention_mla;
    field_reader mla = r.object("mla");
    m.q_lora_rank = mla.integer_or("q_lora_rank", 0, 0, 1000000);
    m.kv_lora_rank = mla.integer("kv_lora_rank", 1, 1000000);
    m.qk_nope_head_dim = mla.integer("qk_nope_head_dim", 1, 100000);
    m.qk_rope_head_dim = mla.integer("qk_rope_head_dim", 0, 100000);
    m.v_head_dim = mla.integer("v_head_dim", 1, 100000);
    mla.finish();
    m.kv_heads = m.heads;
    m.head_dim = m.qk_nope_head_dim + m.qk_rope_head_dim;
    r.allow("num_key_value_heads");
    r.allow("head_dim");
  } else {
    m.attention = attention_gqa;
    r.allow("mla");
    if (r.has("mla")) r.fail("mla", "an 'mla' block needs \"attention\": \"mla\"");
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
  }
  if (e.architecture == "moe") {
    field_reader moe = r.object("moe");
    m.experts = moe.integer("n_routed_experts", 2, 100000);
    m.experts_per_token = moe.integer("num_experts_per_tok", 1, m.experts);
    m.shared_experts = moe.integer_or("n_shared_experts", 0, 0, 1024);
    m.expert_ffn = moe.integer("moe_intermediate_size", 1, 10000000);
    m.dense_layers = moe.integer_or("first_k_dense_replace", 0, 0, m.layers - 1);
    moe.finish();
    // The dense MLP width matters only for leading dense layers; MoE configs often list it anyway.
    m.ffn = m.dense_layers > 0 ? r.integer("intermediate_size", 1, 10000000)
                               : r.integer_or("intermediate_size", 0, 0, 10000000);
  } else {
    r.allow("moe");
    if (r.has("moe")) r.fail("moe", "a 'moe' block needs \"architecture\": \"moe\"");
    m.ffn = r.integer("intermediate_size", 1, 10000000);
  }
  r.allow("sliding_window");
  if (r.has("sliding_window")) {
    field_reader sw = r.object("sliding_window");
    m.sliding_window = sw.integer("window", 1, 100000000);
    m.sliding_layers = sw.integer("layers", 1, m.layers);
    sw.finish();
  }
  r.finish();

  // Parameter counts, for the report and as a check against the published totals.
  const double h = m.hidden;
  double attn = 0.0;
  if (m.attention == attention_mla) {
    const double qk = double(m.qk_nope_head_dim) + m.qk_rope_head_dim;
    const double q = m.q_lora_rank > 0 ? h * m.q_lora_rank + double(m.q_lora_rank) * m.heads * qk : h * m.heads * qk;
    attn = q + h * (double(m.kv_lora_rank) + m.qk_rope_head_dim) +
           double(m.kv_lora_rank) * m.heads * (double(m.qk_nope_head_dim) + m.v_head_dim) + double(m.heads) * m.v_head_dim * h;
  } else {
    const double hd = m.head_dim;
    attn = h * (m.heads + 2.0 * m.kv_heads) * hd + m.heads * hd * h + (m.qkv_bias ? (m.heads + 2.0 * m.kv_heads) * hd : 0.0);
  }
  const double tables = (m.tie_embeddings ? 1.0 : 2.0) * m.vocab * h;
  if (m.experts > 0) {
    const double expert = 3.0 * h * m.expert_ffn;
    const double moe_layers = m.layers - m.dense_layers;
    const double common = m.layers * (attn + 2.0 * h) + m.dense_layers * 3.0 * h * m.ffn +
                          moe_layers * (m.shared_experts * expert + h * m.experts);
    e.params = common + moe_layers * m.experts * expert + tables;
    e.active_params = common + moe_layers * m.experts_per_token * expert + tables;
  } else {
    e.params = m.layers * (attn + 3.0 * h * m.ffn + 2.0 * h) + tables;
    e.active_params = e.params;
  }
  return e;
}

length_stats read_length(field_reader& r, const std::string& key, double percentile) {
  length_stats s;
  const json& v = r.raw(key);
  if (v.is_number()) {
    s.mean = r.number(key, at_least(1.0, 1e8));
    s.tail = s.mean;
    s.sq_mean = s.mean * s.mean;
    s.form = "fixed";
    return s;
  }
  if (!v.is_object()) r.fail(key, "expected a number of tokens or a distribution object, found " + describe_json(v));
  field_reader d = r.object(key);
  if (d.has("histogram")) {
    s.form = "histogram";
    const json& h = d.raw("histogram");
    if (!h.is_array() || h.empty()) d.fail("histogram", "expected a non-empty array of [tokens, share] pairs");
    std::vector<std::pair<double, double>> buckets;
    double total = 0.0;
    for (std::size_t i = 0; i < h.size(); ++i) {
      const json& b = h[i];
      std::string where = d.child_path("histogram") + "[" + std::to_string(i) + "]";
      if (!b.is_array() || b.size() != 2 || !b[0].is_number() || !b[1].is_number()) {
        throw config_error(r.file(), where, "expected [tokens, share], found " + b.dump());
      }
      double t = b[0].get<double>(), w = b[1].get<double>();
      if (!(t >= 1.0 && t <= 1e8) || !(w >= 0.0 && std::isfinite(w))) {
        throw config_error(r.file(), where, "expected tokens in [1, 1e8] and a share >= 0, found " + b.dump());
      }
      if (!buckets.empty() && t <= buckets.back().first) {
        throw config_error(r.file(), where, "bucket lengths must increase, found " + format_number(t) + " after " +
                                                format_number(buckets.back().first));
      }
      buckets.emplace_back(t, w);
      total += w;
    }
    if (!(total > 0.0)) d.fail("histogram", "the shares add up to 0");
    double sum = 0.0, sum_sq = 0.0, cum = 0.0;
    s.tail = buckets.back().first;
    bool tail_set = false;
    for (const auto& b : buckets) {
      sum += b.first * b.second;
      sum_sq += b.first * b.first * b.second;
      cum += b.second / total;
      if (!tail_set && cum >= percentile - 1e-12) {
        s.tail = b.first;
        tail_set = true;
      }
    }
    s.mean = sum / total;
    s.sq_mean = sum_sq / total;
  } else if (d.has("lognormal")) {
    s.form = "lognormal";
    field_reader ln = d.object("lognormal");
    double median = ln.number("median", at_least(1.0, 1e8));
    double sigma = ln.number("sigma", at_least(0.0, 5.0));
    ln.finish();
    // Mean = median x e^(sigma^2 / 2); quantile = median x e^(z sigma), z from the normal quantile.
    auto z_of = [](double p) {  // Acklam's rational approximation, |error| < 1.2e-9
      static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
      static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
      static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
      static const double dd[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                  3.754408661907416e+00};
      if (p > 0.97575) {
        double q = std::sqrt(-2.0 * std::log(1.0 - p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((dd[0] * q + dd[1]) * q + dd[2]) * q + dd[3]) * q + 1.0);
      }
      double q = p - 0.5, t = q * q;
      return (((((a[0] * t + a[1]) * t + a[2]) * t + a[3]) * t + a[4]) * t + a[5]) * q /
             (((((b[0] * t + b[1]) * t + b[2]) * t + b[3]) * t + b[4]) * t + 1.0);
    };
    s.mean = median * std::exp(0.5 * sigma * sigma);
    s.sq_mean = s.mean * s.mean * std::exp(sigma * sigma);
    s.tail = percentile >= 1.0 ? median * std::exp(5.0 * sigma) : median * std::exp(z_of(percentile) * sigma);
  } else {
    s.form = "percentiles";
    s.mean = d.number("mean", at_least(1.0, 1e8));
    const char* keys[] = {"p50", "p90", "p95", "p99", "max"};
    const double at[] = {0.50, 0.90, 0.95, 0.99, 1.0};
    double prev = 0.0;
    s.tail = 0.0;
    for (int i = 0; i < 5; ++i) {
      if (!d.has(keys[i])) {
        d.allow(keys[i]);
        continue;
      }
      double x = d.number(keys[i], at_least(1.0, 1e8));
      if (x < prev) d.fail(keys[i], "percentiles must not decrease, found " + format_number(x) + " after " + format_number(prev));
      prev = x;
      if (s.tail == 0.0 && at[i] >= percentile - 1e-12) s.tail = x;
    }
    if (s.tail == 0.0) s.tail = std::max(prev, s.mean);  // no percentile that high given: the largest known
    // A mean above the longest request, or above p99, is a unit or copy mistake: the model would
    // take the mean as the tail and size memory and TTFT for requests nobody sends.
    for (const char* k : {"max", "p99"}) {
      if (!d.has(k)) continue;
      const double x = d.number(k, at_least(1.0, 1e8));
      if (s.mean > x) {
        d.fail("mean", "the mean (" + format_number(s.mean) + ") is above " + k + " (" + format_number(x) +
                           "); a mean lies below the " + (std::string(k) == "max" ? "longest request" : "99th percentile"));
      }
    }
    // Second moment from a lognormal through the mean and the median (sigma^2 = 2 ln(mean/p50)),
    // or, without a median, through the mean and p99 (ln(p99/mean) = 2.326 sigma - sigma^2/2).
    double sigma2 = 0.0;
    if (d.has("p50")) {
      const double p50 = d.number("p50", at_least(1.0, 1e8));
      if (p50 < s.mean) sigma2 = 2.0 * std::log(s.mean / p50);
    } else if (d.has("p99")) {
      const double k = std::log(d.number("p99", at_least(1.0, 1e8)) / s.mean);
      const double z = 2.3263478740408408;
      if (k > 0.0 && z * z > 2.0 * k) {
        const double sigma = z - std::sqrt(z * z - 2.0 * k);
        sigma2 = sigma * sigma;
      }
    }
    s.sq_mean = s.mean * s.mean * std::exp(sigma2);
  }
  d.finish();
  s.tail = std::max(s.tail, s.mean);
  return s;
}

workload_entry load_workload(const std::string& path) {
  workload_entry e;
  json j = load_json(path, &e.file);
  field_reader r(j, path, "$");
  e.name = read_name(r);
  e.description = r.string_or("description", "");
  workload_spec& w = e.spec;
  w.tokens_per_day = r.number("tokens_per_day", at_least(min_tokens_per_day, max_tokens_per_day));
  e.tail_percentile = r.number_or("tail_percentile", 0.99, {0.5, 1.0, false});
  e.input = read_length(r, "input_tokens", e.tail_percentile);
  e.output = read_length(r, "output_tokens", e.tail_percentile);
  w.input_tokens = e.input.mean;
  w.output_tokens = e.output.mean;
  w.input_tail = e.input.tail;
  w.input_sq_mean = e.input.sq_mean;
  w.output_tail = e.output.tail;
  w.peak_to_average = r.number("peak_to_average", at_least(1.0, 100.0));
  field_reader slo = r.object("slo");
  w.ttft_slo_s = slo.number("ttft_ms", positive(1e8)) * 1e-3;
  w.tpot_slo_s = slo.number("tpot_ms", positive(1e8)) * 1e-3;
  // The TTFT SLO holds for this percentile of requests (MLPerf: 99); TPOT is the mean per request.
  w.slo_tail = 1.0 - slo.number_or("percentile", 99.0, {50.0, 99.99, false}) / 100.0;
  slo.finish();
  w.prefix_cache_hit = r.number_or("prefix_cache_hit", 0.0, at_least(0.0, 0.99));
  e.draft_tokens = {0};
  w.draft_acceptance = 0.0;
  w.draft_cost_layers = 0.0;
  r.allow("speculative");
  if (r.has("speculative")) {
    field_reader sp = r.object("speculative");
    w.draft_acceptance = sp.number("acceptance", {0.0, 0.99, false});
    w.draft_cost_layers = sp.number("draft_cost_layers", at_least(0.0, 1000.0));
    std::vector<std::uint32_t> lens = sp.has("draft_tokens") ? sp.integers("draft_tokens", 1, 16)
                                                             : std::vector<std::uint32_t>{1, 2, 3};
    sp.allow("draft_tokens");
    sp.string_or("method", "");
    sp.finish();
    for (std::uint32_t d : lens) {
      if (std::find(e.draft_tokens.begin(), e.draft_tokens.end(), d) == e.draft_tokens.end()) e.draft_tokens.push_back(d);
    }
    std::sort(e.draft_tokens.begin(), e.draft_tokens.end());
  }
  e.engine = r.string_or("engine", "");
  w.engine_factor = 1.0;
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

const char* pricing_kind_name(pricing_kind k) {
  switch (k) {
    case pricing_kind::on_demand: return "on_demand";
    case pricing_kind::owned: return "owned";
    default: return "lease";
  }
}

double site_pricing::capex_usd_per_node_year() const {
  if (kind != pricing_kind::owned) return 0.0;
  const double r = cost_of_capital, n = depreciation_years;
  if (r <= 0.0) return capex_usd_per_node / n;
  return capex_usd_per_node * r / (1.0 - std::pow(1.0 + r, -n));
}

double site_pricing::usd_per_gpu_hour_held(std::uint32_t gpus_per_node) const {
  const double gpn = gpus_per_node;
  const double node_per_hour = node_usd_per_month * 12.0 / 8760.0;
  const double capital = capex_usd_per_node_year() / 8760.0;
  const double base = kind == pricing_kind::owned ? 0.0 : usd_per_gpu_hour;
  return base + (capital + node_per_hour) / gpn;
}

namespace {

bool valid_month(const std::string& m) {
  if (m.size() != 7 || m[4] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6}) {
    if (m[i] < '0' || m[i] > '9') return false;
  }
  const int month = (m[5] - '0') * 10 + (m[6] - '0');
  return month >= 1 && month <= 12;
}

/// Reads price terms: the "pricing" object, or the flat lease keys of a site
/// ("usd_per_gpu_hour", "price_includes_power"). Node costs come from "node_costs_usd_per_month".
site_pricing read_pricing(field_reader& s, bool allow_flat) {
  site_pricing p;
  const bool flat = allow_flat && (s.has("usd_per_gpu_hour") || s.has("price_includes_power"));
  if (flat && s.has("pricing")) {
    s.fail("pricing", "give either \"pricing\" or the flat \"usd_per_gpu_hour\"/\"price_includes_power\" keys, not both");
  }
  if (flat || (allow_flat && !s.has("pricing"))) {
    p.kind = pricing_kind::lease;
    p.usd_per_gpu_hour = s.number("usd_per_gpu_hour", at_least(0.0, 10000.0));
    p.includes_power = s.boolean("price_includes_power");
    s.allow("pricing");
  } else {
    field_reader pr = s.object("pricing");
    const std::string kind = pr.string("type");
    if (kind == "lease") {
      p.kind = pricing_kind::lease;
    } else if (kind == "on_demand") {
      p.kind = pricing_kind::on_demand;
    } else if (kind == "owned") {
      p.kind = pricing_kind::owned;
    } else {
      pr.fail("type", "expected \"lease\", \"on_demand\" or \"owned\", found \"" + kind + "\"" +
                          did_you_mean(kind, {"lease", "on_demand", "owned"}));
    }
    if (p.kind == pricing_kind::owned) {
      p.capex_usd_per_node = pr.number("capex_usd_per_node", positive(1e9));
      p.depreciation_years = pr.number("depreciation_years", {0.0, 30.0, true});
      p.cost_of_capital = pr.number("cost_of_capital", at_least(0.0, 1.0));
      p.includes_power = false;
    } else {
      p.usd_per_gpu_hour = pr.number("usd_per_gpu_hour", at_least(0.0, 10000.0));
      p.includes_power = pr.boolean("includes_power");
      if (p.kind == pricing_kind::lease) {
        p.term_months = pr.number_or("term_months", 0.0, at_least(0.0, 600.0));
        p.committed_gpus = pr.integer_or("committed_gpus", 0, 0, 100000000);
      }
    }
    pr.finish();
  }
  s.allow("node_costs_usd_per_month");
  if (s.has("node_costs_usd_per_month")) {
    field_reader nc = s.object("node_costs_usd_per_month");
    for (const char* k : {"network", "storage", "host"}) {
      p.node_usd_per_month += nc.number_or(k, 0.0, at_least(0.0, 1e8));
    }
    nc.finish();
  }
  return p;
}

/// Resolves a GPU reference: a path relative to the cluster file, or a name in the GPU folders.
std::uint32_t resolve_gpu(field_reader& s, const std::string& key, const std::string& gpu, const fs::path& base,
                          const std::vector<std::string>& gpu_dirs, const calibration& cal, cluster_entry& c,
                          std::map<std::string, std::uint32_t>& by_name) {
  std::string gpu_path;
  const bool is_path =
      gpu.find('/') != std::string::npos || (gpu.size() > 5 && gpu.compare(gpu.size() - 5, 5, ".json") == 0);
  if (is_path) {
    gpu_path = (base / gpu).string();
    if (!fs::exists(gpu_path)) s.fail(key, "GPU file \"" + gpu_path + "\" does not exist");
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
      s.fail(key, "unknown GPU \"" + gpu + "\"" + did_you_mean(gpu, known) +
                      (known.empty() ? "; no GPU files found in " + (where.empty() ? std::string("(none)") : where)
                                     : "; known GPUs: " + quoted_list(known)));
    }
  }
  gpu_entry g = load_gpu(gpu_path, cal);
  if (!is_path && g.name != gpu) {
    throw config_error(gpu_path, "$.name", "name \"" + g.name + "\" does not match the file name \"" + gpu + "\"");
  }
  auto it = by_name.find(g.name);
  if (it == by_name.end()) {
    it = by_name.emplace(g.name, static_cast<std::uint32_t>(c.gpus.size())).first;
    c.gpus.push_back(std::move(g));
  }
  return it->second;
}

}  // namespace

cluster_entry load_cluster(const std::string& path, const std::vector<std::string>& gpu_dirs, const calibration& cal) {
  cluster_entry c;
  json j = load_json(path, &c.file);
  field_reader r(j, path, "$");
  c.name = read_name(r);
  c.description = r.string_or("description", "");
  r.allow("headroom");
  if (r.has("headroom")) {
    field_reader h = r.object("headroom");
    c.spare_fraction = h.number("spare_fraction", at_least(0.0, 1.0));
    h.finish();
  }
  std::vector<field_reader> sites = r.objects("sites");
  if (sites.size() > static_cast<std::size_t>(max_sites)) {
    r.fail("sites", "at most " + std::to_string(max_sites) + " sites are supported, found " + std::to_string(sites.size()));
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
    e.pricing = read_pricing(s, true);
    e.price_includes_power = !e.pricing.pays_energy();
    if (e.price_includes_power) {
      e.usd_per_kwh = s.number_or("usd_per_kwh", 0.0, at_least(0.0, 100.0));
    } else {
      e.usd_per_kwh = s.number("usd_per_kwh", at_least(0.0, 100.0));
    }
    e.pue = s.number("pue", at_least(1.0, 10.0));
    if (e.pricing.committed_gpus > e.gpus) {
      s.fail("pricing", "committed_gpus (" + std::to_string(e.pricing.committed_gpus) + ") exceeds the site's gpus (" +
                            std::to_string(e.gpus) + ")");
    }
    s.allow("power_cap");
    if (s.has("power_cap")) {
      field_reader pc = s.object("power_cap");
      const bool it = pc.has("it_mw"), fac = pc.has("facility_mw");
      if (it == fac) pc.fail_here("give exactly one of \"it_mw\" (IT load) or \"facility_mw\" (IT x PUE)");
      e.power_cap_field = it ? "it_mw" : "facility_mw";
      e.power_cap_given_mw = pc.number(e.power_cap_field, positive(1e6));
      e.power_cap_it_mw = it ? e.power_cap_given_mw : e.power_cap_given_mw / e.pue;
      pc.finish();
    }
    e.spare_fraction = s.number_or("spare_fraction", -1.0, at_least(0.0, 1.0));
    s.allow("blocked_gpus");
    if (s.has("blocked_gpus")) e.blocked_gpus = s.strings("blocked_gpus");
    s.allow("deliveries");
    if (s.has("deliveries")) {
      for (field_reader& d : s.objects("deliveries")) {
        delivery dv;
        dv.month = d.string("month");
        if (!valid_month(dv.month)) d.fail("month", "expected \"YYYY-MM\", found \"" + dv.month + "\"");
        dv.gpus = d.integer("gpus", 1, 100000000);
        d.finish();
        e.deliveries.push_back(dv);
      }
    }
    e.expansion_max_gpus = s.number_or("expansion_max_gpus", -1.0, at_least(0.0, 1e9));
    s.allow("interconnect");
    if (s.has("interconnect")) {
      field_reader net = s.object("interconnect");
      e.interconnect = net.string_or("description", "");
      e.scale_out_gb_per_s = net.number_or("scale_out_gb_per_s", 0.0, positive(100000.0));
      e.scale_out_latency_us = net.number_or("scale_out_latency_us", -1.0, at_least(0.0, 100000.0));
      net.finish();
    }
    s.finish();
    e.gpu_index = resolve_gpu(s, "gpu", gpu, base, gpu_dirs, cal, c, gpu_by_name);
    e.gpu = c.gpus[e.gpu_index].name;
    for (const std::string& b : e.blocked_gpus) {
      if (b == e.gpu) s.fail("blocked_gpus", "the site blocks \"" + b + "\", the GPU type it has");
    }
    e.usd_per_gpu_hour = e.pricing.usd_per_gpu_hour_held(e.gpus_per_node);
    c.sites.push_back(std::move(e));
  }
  r.allow("gpu_offers");
  if (r.has("gpu_offers")) {
    std::vector<std::string> names(site_names.begin(), site_names.end());
    for (field_reader& o : r.objects("gpu_offers")) {
      gpu_offer of;
      const std::string gpu = o.string("gpu");
      of.description = o.string_or("description", "");
      of.gpus_per_node = o.integer_or("gpus_per_node", 8, 1, 4096);
      of.pricing = read_pricing(o, false);
      of.max_gpus = o.number_or("max_gpus_per_site", -1.0, at_least(0.0, 1e9));
      o.allow("sites");
      if (o.has("sites")) of.sites = o.strings("sites");
      o.finish();
      of.gpu_index = resolve_gpu(o, "gpu", gpu, base, gpu_dirs, cal, c, gpu_by_name);
      of.gpu = c.gpus[of.gpu_index].name;
      for (std::size_t k = 0; k < of.sites.size(); ++k) {
        auto it = std::find_if(c.sites.begin(), c.sites.end(), [&](const site_entry& x) { return x.name == of.sites[k]; });
        if (it == c.sites.end()) {
          o.fail("sites", "site \"" + of.sites[k] + "\" is not in the cluster" + did_you_mean(of.sites[k], names) +
                              "; sites: " + quoted_list(names));
        }
        if (std::find(it->blocked_gpus.begin(), it->blocked_gpus.end(), of.gpu) != it->blocked_gpus.end()) {
          o.fail("sites", "site \"" + it->name + "\" blocks \"" + of.gpu + "\" (its blocked_gpus)");
        }
      }
      if (of.pricing.pays_energy()) {
        for (const site_entry& site : c.sites) {
          const bool listed = of.sites.empty() || std::find(of.sites.begin(), of.sites.end(), site.name) != of.sites.end();
          const bool blocked = std::find(site.blocked_gpus.begin(), site.blocked_gpus.end(), of.gpu) != site.blocked_gpus.end();
          if (listed && !blocked && site.usd_per_kwh <= 0.0) {
            o.fail("pricing", "the offer's price excludes power but site \"" + site.name + "\" has no usd_per_kwh");
          }
        }
      }
      c.offers.push_back(std::move(of));
    }
  }
  r.finish();
  return c;
}

}  // namespace tokenplan
