// Loaders for calibration.json, GPU files and model files. Ranges are wide enough for any real
// hardware or model and narrow enough to catch unit mistakes (a 10 PB/s GPU, a 0-layer model).
#include "io/loaders.hpp"

#include "base/errors.hpp"
#include "base/text.hpp"
#include "io/loaders_detail.hpp"

namespace tokenplan {

namespace {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

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

double gemm_efficiency_for(double family_gemm, double sm_tensor_rate) {
  if (!(sm_tensor_rate > 0.0) || sm_tensor_rate == 1.0 || !(family_gemm > 0.0)) return family_gemm;
  return 1.0 / (1.0 + (1.0 / family_gemm - 1.0) * sm_tensor_rate);
}

void apply_factors(gpu_spec& g, const efficiency_factors& f) {
  g.gemm_efficiency = gemm_efficiency_for(f.gemm, g.sm_tensor_rate);
  g.hbm_efficiency = f.hbm;
  g.layer_overhead_s = f.layer_overhead_s;
  g.step_overhead_s = f.step_overhead_s;
  g.sequence_overhead_s = f.sequence_overhead_s;
  g.alltoall_latency_s = f.alltoall_latency_s;
  g.moe_overlap = f.moe_overlap;
  g.expert_imbalance = f.expert_imbalance;
  g.allreduce_latency_s = f.allreduce_latency_s;
  g.allreduce_busbw_bytes_per_s *= f.allreduce_efficiency;
}

calibration load_calibration(const std::string& path) {
  calibration c;
  json j = detail::load_json(path, &c.file);
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
  if (r.has("priors")) {
    field_reader pr = r.object("priors");
    field_reader fam_prior = pr.object("family");
    read_factors(fam_prior, c.family_prior, true);
    fam_prior.finish();
    c.engine_prior = pr.number("engine", positive(10.0));
    if (pr.has("microbenchmarks")) {
      field_reader mb = pr.object("microbenchmarks");
      const json& all = pr.raw("microbenchmarks");
      for (auto it = all.begin(); it != all.end(); ++it) {
        if (it.key() == "source" || it.key() == "sources") continue;
        if (!c.families.count(it.key())) {
          std::vector<std::string> families;
          for (const auto& kv : c.families) families.push_back(kv.first);
          mb.fail(it.key(), "unknown GPU family \"" + it.key() + "\"" + did_you_mean(it.key(), families) +
                                "; families defines " + quoted_list(families));
        }
        field_reader one = mb.object(it.key());
        calibration::microbenchmark m;
        m.gemm = one.number("gemm", {0.0, 1.0, true});
        m.hbm = one.number("hbm", {0.0, 1.0, true});
        one.finish();
        c.microbenchmarks[it.key()] = m;
      }
      mb.finish();
    }
    pr.finish();
    c.has_priors = true;
  }
  auto ref = c.engines.find(c.reference_engine);
  if (ref == c.engines.end() || ref->second != 1.0) {
    eng.fail("reference", "the reference engine \"" + c.reference_engine + "\" must be listed with factor 1");
  }
  r.finish();
  return c;
}

gpu_entry load_gpu(const std::string& path, const calibration& cal) {
  gpu_entry e;
  json j = detail::load_json(path, &e.file);
  field_reader r(j, path, "$");
  e.name = detail::read_name(r);
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
  // One SM's tensor peak against the family's reference GPU (the H20's throttled tensor cores):
  // its GEMMs reach more of their lower peak (apply_factors).
  g.sm_tensor_rate = compute.number_or("sm_tensor_rate", 1.0, {0.0, 16.0, true});
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
  apply_factors(g, f);
  r.finish();
  return e;
}

model_entry load_model(const std::string& path) {
  model_entry e;
  json j = detail::load_json(path, &e.file);
  field_reader r(j, path, "$");
  e.name = detail::read_name(r);
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

}  // namespace tokenplan
