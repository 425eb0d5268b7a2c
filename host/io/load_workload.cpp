// Loader for workload files: request lengths (fixed, percentiles, histogram or lognormal), SLOs,
// speculative decoding and the accepted precisions.
#include "io/loaders.hpp"

#include <algorithm>
#include <cmath>

#include "base/errors.hpp"
#include "base/text.hpp"
#include "io/loaders_detail.hpp"

namespace tokenplan {

namespace {

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

}  // namespace

bool parse_precision(const std::string& name, std::uint8_t* out) {
  if (name == "bf16") *out = prec_bf16;
  else if (name == "fp8") *out = prec_fp8;
  else if (name == "fp4") *out = prec_fp4;
  else return false;
  return true;
}

bool parse_moe_overlap(const std::string& name, std::uint8_t* out) {
  if (name == "two_batch") *out = moe_overlap_two_batch;
  else if (name == "single_batch") *out = moe_overlap_single_batch;
  else if (name == "none") *out = moe_overlap_none;
  else return false;
  return true;
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
  json j = detail::load_json(path, &e.file);
  field_reader r(j, path, "$");
  e.name = detail::read_name(r);
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
  w.output_sq_mean = e.output.sq_mean;
  w.peak_to_average = r.number("peak_to_average", at_least(1.0, 100.0));
  field_reader slo = r.object("slo");
  w.ttft_slo_s = slo.number("ttft_ms", positive(1e8)) * 1e-3;
  w.tpot_slo_s = slo.number("tpot_ms", positive(1e8)) * 1e-3;
  // The TTFT SLO holds for this percentile of requests (MLPerf: 99); TPOT is the mean per request.
  w.slo_tail = 1.0 - slo.number_or("percentile", 99.0, {50.0, 99.99, false}) / 100.0;
  slo.finish();
  w.prefix_cache_hit = r.number_or("prefix_cache_hit", 0.0, at_least(0.0, 0.99));
  // The engine takes new prompts once every this many steps (vLLM num_scheduler_steps,
  // TensorRT-LLM adp_balancing_timeout_iters); 1: every step.
  w.admission_steps = r.integer_or("admission_steps", 1, 1, 1024);
  // What the engine hides under the expert all-to-all: two micro-batches where that pays
  // (DeepSeek, SGLang --enable-two-batch-overlap), the shared expert and down GEMM of one batch
  // (SGLang single-batch overlap), or nothing (TensorRT-LLM 0.20-1.x wide EP).
  const std::string mo = r.string_or("moe_overlap", "two_batch");
  if (!parse_moe_overlap(mo, &w.moe_overlap_mode)) {
    r.fail("moe_overlap", "unknown overlap \"" + mo + "\"; expected 'two_batch', 'single_batch' or 'none'");
  }
  // The engine launches a step before it takes in new prompts (SGLang's and TensorRT-LLM's
  // PyTorch overlap schedulers): a new prompt waits out one more step.
  w.scheduler_lag_steps = r.boolean_or("overlap_scheduler", false) ? 1.0 : 0.0;
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
    // The engine's attention kernels: "bf16" dequantises an FP8 cache and multiplies in BF16
    // (stock FlashMLA, FlashInfer, FlashAttention); "fp8" multiplies it in FP8 (FlashMLA-FP8,
    // FA3-FP8), which only an FP8 cache allows.
    const std::string am = prec.string_or("attention", "bf16");
    if (am != "bf16" && am != "fp8") {
      prec.fail("attention", "unknown attention math \"" + am + "\"; expected 'bf16' or 'fp8'");
    }
    w.fp8_attention = am == "fp8";
    prec.finish();
  } else {
    r.allow("precisions");
    e.weight_precisions = {prec_bf16, prec_fp8, prec_fp4};
    e.kv_precisions = {prec_bf16, prec_fp8};
  }
  r.finish();
  return e;
}

}  // namespace tokenplan
