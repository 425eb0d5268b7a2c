// The search grid: built-in axes per model kind and grid files. The built-in axes cover what
// production engines expose (vLLM, SGLang, TensorRT-LLM), so a plan needs no grid file.
#include <algorithm>
#include <cmath>

#include "base/errors.hpp"
#include "io/loaders.hpp"
#include "base/text.hpp"

namespace tokenplan {

std::vector<std::uint32_t> batch_ladder(std::uint32_t lo, std::uint32_t hi, std::uint32_t per_octave) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t k = 0;; ++k) {
    double v = std::round(std::pow(2.0, double(k) / per_octave));
    if (v > hi) break;
    auto b = static_cast<std::uint32_t>(v);
    if (b >= lo && (out.empty() || out.back() != b)) out.push_back(b);
  }
  return out;
}

std::vector<layout> make_layouts(const pool_request& r) {
  std::vector<layout> out;
  for (std::uint32_t tp : r.tp) {
    for (std::uint32_t pp : r.pp) {
      for (std::uint32_t ep : r.ep) {
        for (std::uint32_t dp : r.dp) {
          if ((std::uint64_t(tp) * dp) % ep != 0) continue;  // EP must tile the attention GPUs
          if (dp > 1 && ep == 1) continue;                    // attention DP only feeds EP
          out.push_back(layout{tp, pp, ep, dp});
        }
      }
    }
  }
  return out;
}

grid_request default_grid(const model_spec& m) {
  grid_request g;
  g.origin = "built-in";
  g.weight_precisions = {prec_bf16, prec_fp8, prec_fp4};
  g.kv_precisions = {prec_bf16, prec_fp8};
  g.aggregated = true;
  g.disaggregated = true;
  if (m.experts == 0) {
    // Dense: TP past 8 only exists in larger NVLink domains (GB200 NVL72); on HGX it is counted
    // as invalid parallelism, which shows the user why it is absent.
    g.agg.tp = {1, 2, 4, 8, 16};
    g.agg.pp = {1, 2, 4, 8};
    g.agg.ep = {1};
    g.agg.dp = {1};
    // Step token budgets (vLLM max_num_batched_tokens, TensorRT-LLM max_num_tokens: 8192 default).
    g.agg.chunk = {512, 1024, 2048, 4096, 8192, 16384};
    // Concurrent sequences 1 to 4096 (TensorRT-LLM's default max_batch_size is 2048), 16 steps per
    // doubling: 143 values.
    g.agg.batch = batch_ladder(1, 4096, 16);
    g.prefill = g.agg;
    g.prefill.tp = {1, 2, 4, 8};
    g.prefill.pp = {1};
    g.prefill.chunk = {2048, 4096, 8192, 16384};
    g.prefill.batch = {0};
    g.decode = g.agg;
    g.decode.tp = {1, 2, 4, 8};
    g.decode.pp = {1};
    g.decode.chunk = {0};
    g.decode.batch = batch_ladder(1, 4096, 8);
  } else {
    // MoE: expert parallelism from 1 (experts split by TP) to 256 (DeepSeek-style wide EP), with
    // attention data parallelism feeding it (SGLang --enable-dp-attention; DeepSeek runs DP32/EP32
    // prefill and DP144/EP144 decode). Batch and chunk are per attention-DP rank.
    g.agg.tp = {1, 2, 4, 8};
    g.agg.pp = {1, 2};
    g.agg.ep = {1, 4, 8, 16, 32, 64, 128};
    g.agg.dp = {1, 2, 4, 8, 16, 32, 64};
    g.agg.chunk = {2048, 4096, 8192, 16384};
    g.agg.batch = batch_ladder(1, 1024, 4);
    g.prefill = g.agg;
    g.prefill.pp = {1};
    g.prefill.chunk = {4096, 8192, 16384};
    g.prefill.batch = {0};
    g.decode = g.agg;
    g.decode.pp = {1};
    g.decode.chunk = {0};
    g.decode.batch = batch_ladder(8, 512, 4);
  }
  return g;
}

namespace {

std::vector<std::uint32_t> sorted_unique(std::vector<std::uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// Reads the axes present in `r` into the pools named by `targets`. Which axes a section may
/// hold: tp/pp/ep/dp everywhere, chunk_tokens where prefill happens, batch where decode happens.
void read_pool_axes(field_reader& r, std::vector<pool_request*> chunk_pools, std::vector<pool_request*> batch_pools,
                    std::vector<pool_request*> all_pools, bool chunk_allowed, bool batch_allowed) {
  auto axis = [&](const char* key, std::vector<std::uint32_t> pool_request::*member, std::uint64_t hi,
                  const std::vector<pool_request*>& pools) {
    r.allow(key);
    if (!r.has(key)) return;
    std::vector<std::uint32_t> v = sorted_unique(r.integers(key, 1, hi));
    if (v.size() > static_cast<std::size_t>(max_axis_values)) {
      r.fail(key, "at most " + std::to_string(max_axis_values) + " values are supported, found " + std::to_string(v.size()));
    }
    for (pool_request* p : pools) {
      p->*member = v;
      if (member == &pool_request::tp) p->tp_path = r.child_path(key);
    }
  };
  axis("tp", &pool_request::tp, 4096, all_pools);
  axis("pp", &pool_request::pp, 4096, all_pools);
  axis("ep", &pool_request::ep, 65536, all_pools);
  axis("dp", &pool_request::dp, 65536, all_pools);
  if (chunk_allowed) axis("chunk_tokens", &pool_request::chunk, 10000000, chunk_pools);
  if (!batch_allowed) return;
  r.allow("batch");
  if (!r.has("batch")) return;
  const json& b = r.raw("batch");
  std::vector<std::uint32_t> v;
  if (b.is_array()) {
    v = sorted_unique(r.integers("batch", 1, 1000000));
  } else if (b.is_object()) {
    field_reader br = r.object("batch");
    std::uint32_t lo = br.integer("min", 1, 1000000);
    std::uint32_t hi = br.integer("max", lo, 1000000);
    std::uint32_t per = br.integer_or("per_octave", 8, 1, 256);
    br.finish();
    v = batch_ladder(lo, hi, per);
    if (v.empty()) r.fail("batch", "no power-of-2 ladder step lies between min and max; list the values instead");
  } else {
    r.fail("batch", "expected an array of integers or {\"min\", \"max\", \"per_octave\"}, found " + describe_json(b));
  }
  if (v.size() > static_cast<std::size_t>(max_batch_values)) {
    r.fail("batch", "at most " + std::to_string(max_batch_values) + " values are supported, found " + std::to_string(v.size()));
  }
  for (pool_request* p : batch_pools) p->batch = v;
}

}  // namespace

grid_request load_grid(const std::string& path, const model_spec& m) {
  grid_request g = default_grid(m);
  input_file file = read_input_file(path);
  json j = parse_json(file);
  g.origin = path;
  g.sha256 = file.sha256;
  field_reader r(j, path, "$");
  r.string_or("description", "");
  if (r.has("sites")) g.sites = r.strings("sites");
  r.allow("sites");
  for (const char* key : {"weight_precisions", "kv_precisions"}) {
    r.allow(key);
    if (!r.has(key)) continue;
    std::vector<std::string> names = r.strings(key);
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
      std::uint8_t p = 0;
      if (!parse_precision(names[i], &p)) {
        throw config_error(path, r.child_path(key) + "[" + std::to_string(i) + "]",
                           "unknown precision \"" + names[i] + "\"; expected one of 'bf16', 'fp8', 'fp4'");
      }
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
    std::sort(out.begin(), out.end());
    (std::string(key) == "weight_precisions" ? g.weight_precisions : g.kv_precisions) = out;
  }
  r.allow("draft_tokens");
  if (r.has("draft_tokens")) {
    std::vector<std::uint32_t> d = sorted_unique(r.integers("draft_tokens", 0, 16));
    g.draft_tokens = d;
  }
  r.allow("modes");
  if (r.has("modes")) {
    std::vector<std::string> modes = r.strings("modes");
    g.aggregated = g.disaggregated = false;
    for (std::size_t i = 0; i < modes.size(); ++i) {
      if (modes[i] == "aggregated") g.aggregated = true;
      else if (modes[i] == "disaggregated") g.disaggregated = true;
      else
        throw config_error(path, r.child_path("modes") + "[" + std::to_string(i) + "]",
                           "unknown mode \"" + modes[i] + "\"" + did_you_mean(modes[i], {"aggregated", "disaggregated"}) +
                               "; expected 'aggregated' or 'disaggregated'");
    }
  }
  // Top-level axes apply to every pool where they mean something; sections refine one pool.
  read_pool_axes(r, {&g.agg, &g.prefill}, {&g.agg, &g.decode}, {&g.agg, &g.prefill, &g.decode}, true, true);
  r.allow("aggregated");
  if (r.has("aggregated")) {
    field_reader s = r.object("aggregated");
    read_pool_axes(s, {&g.agg}, {&g.agg}, {&g.agg}, true, true);
    s.finish();
  }
  r.allow("prefill");
  if (r.has("prefill")) {
    field_reader s = r.object("prefill");
    read_pool_axes(s, {&g.prefill}, {}, {&g.prefill}, true, false);
    s.finish();
  }
  r.allow("decode");
  if (r.has("decode")) {
    field_reader s = r.object("decode");
    read_pool_axes(s, {}, {&g.decode}, {&g.decode}, false, true);
    s.finish();
  }
  r.finish();
  return g;
}

void check_draft_axis(const grid_request& g, const workload_entry& w) {
  const bool speculative = w.draft_tokens.size() > 1;  // {0} alone: the workload has no "speculative" block
  if (speculative) return;
  for (std::uint32_t d : g.draft_tokens) {
    if (d == 0) continue;
    throw config_error(g.origin, "$.draft_tokens",
                       "draft length " + std::to_string(d) + " needs a \"speculative\" block (acceptance, "
                       "draft_cost_layers) in the workload, and " + w.file.path + " has none; drop the draft lengths "
                       "or describe the speculative decoding there");
  }
}

}  // namespace tokenplan
