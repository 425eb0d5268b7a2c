// The search grid: built-in axes and grid files. The built-in axes cover what production engines
// expose (vLLM, SGLang, TensorRT-LLM), so a plan needs no grid file to be meaningful.
#include <algorithm>
#include <cmath>

#include "errors.hpp"
#include "loaders.hpp"

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

grid_request default_grid() {
  grid_request g;
  g.origin = "built-in";
  g.weight_precisions = {prec_bf16, prec_fp8, prec_fp4};
  g.kv_precisions = {prec_bf16, prec_fp8};
  // TP past 8 only exists inside larger NVLink domains (GB200 NVL72); on HGX it is counted as
  // invalid parallelism, which shows the user why it is absent.
  g.tp = {1, 2, 4, 8, 16};
  g.pp = {1, 2, 4, 8};
  // Step token budgets (vLLM max_num_batched_tokens, TensorRT-LLM max_num_tokens: 8192 default).
  g.chunk = {512, 1024, 2048, 4096, 8192, 16384};
  // Concurrent sequences: 1 to 4096 (TensorRT-LLM's default max_batch_size is 2048), 16 steps
  // per doubling, 172 values.
  g.batch = batch_ladder(1, 4096, 16);
  return g;
}

namespace {

std::vector<std::uint32_t> sorted_unique(std::vector<std::uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

void check_size(field_reader& r, const std::string& key, std::size_t n, std::size_t limit) {
  if (n > limit) {
    r.fail(key, "at most " + std::to_string(limit) + " values are supported, found " + std::to_string(n));
  }
}

}  // namespace

grid_request load_grid(const std::string& path) {
  grid_request g = default_grid();
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
  auto axis = [&](const char* key, std::vector<std::uint32_t>& dst, std::uint64_t hi) {
    r.allow(key);
    if (!r.has(key)) return;
    dst = sorted_unique(r.integers(key, 1, hi));
    check_size(r, key, dst.size(), max_axis_values);
  };
  axis("tp", g.tp, 4096);
  axis("pp", g.pp, 4096);
  axis("chunk_tokens", g.chunk, 10000000);
  r.allow("batch");
  if (r.has("batch")) {
    const json& b = r.raw("batch");
    if (b.is_array()) {
      g.batch = sorted_unique(r.integers("batch", 1, 1000000));
    } else if (b.is_object()) {
      field_reader br = r.object("batch");
      std::uint32_t lo = br.integer("min", 1, 1000000);
      std::uint32_t hi = br.integer("max", lo, 1000000);
      std::uint32_t per = br.integer_or("per_octave", 8, 1, 256);
      br.finish();
      g.batch = batch_ladder(lo, hi, per);
      if (g.batch.empty()) {
        r.fail("batch", "no power-of-2 ladder step lies between min and max; list the values instead");
      }
    } else {
      r.fail("batch", "expected an array of integers or {\"min\", \"max\", \"per_octave\"}, found " + describe_json(b));
    }
    check_size(r, "batch", g.batch.size(), max_batch_values);
  }
  r.finish();
  return g;
}

}  // namespace tokenplan
