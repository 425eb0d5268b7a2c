// Reading validation points: JSON Lines of published measurements (configs/validation/*.jsonl),
// each field checked, into validation_point.
#include "validate/validation.hpp"

#include <algorithm>
#include <sstream>

#include "base/errors.hpp"
#include "base/text.hpp"

namespace tokenplan {

namespace {

/// A number that may be null or absent (0 then).
double opt_number(field_reader& r, const std::string& key, number_range range) {
  r.allow(key);
  if (!r.has(key) || r.raw(key).is_null()) return 0.0;
  return r.number(key, range);
}

std::uint32_t opt_integer(field_reader& r, const std::string& key, std::uint64_t lo, std::uint64_t hi) {
  r.allow(key);
  if (!r.has(key) || r.raw(key).is_null()) return 0;
  return r.integer(key, lo, hi);
}

std::string opt_string(field_reader& r, const std::string& key) {
  r.allow(key);
  if (!r.has(key) || r.raw(key).is_null()) return "";
  const json& v = r.raw(key);
  if (!v.is_string()) r.fail(key, "expected a string or null, found " + describe_json(v));
  return v.get<std::string>();
}

bool opt_bool(field_reader& r, const std::string& key, bool fallback) {
  r.allow(key);
  if (!r.has(key) || r.raw(key).is_null()) return fallback;
  return r.boolean(key);
}

const std::vector<std::string> kinds = {"offline", "server_slo", "concurrency", "max_throughput", "burst", "production",
                                         "request_rate"};
const std::vector<std::string> metrics_known = {"output_tokens_per_s", "total_tokens_per_s", "input_tokens_per_s",
                                                "requests_per_s", "tpot_ms", "itl_ms", "ttft_ms", "output_tokens_per_s_per_user"};
const std::vector<std::string> scopes = {"system", "per_gpu", "per_node"};

void check_enum(field_reader& r, const std::string& key, const std::string& v, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    r.fail(key, "unknown value \"" + v + "\"; expected one of " + quoted_list(allowed));
  }
}

}  // namespace

std::vector<validation_point> load_points(const std::string& path) {
  input_file f = read_input_file(path);
  std::vector<validation_point> out;
  std::istringstream in(f.text);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    input_file one;
    one.path = path + ":" + std::to_string(n);
    one.text = line;
    json j = parse_json(one);
    field_reader r(j, one.path, "$");
    validation_point p;
    p.file = path;
    p.line = n;
    p.id = r.string("id");
    p.model = r.string("model");
    p.gpu = r.string("gpu");
    p.gpus = r.integer("gpus", 1, 1000000);
    p.engine = opt_string(r, "engine");
    p.engine_version = opt_string(r, "engine_version");
    field_reader par = r.object("parallelism");
    p.tp = opt_integer(par, "tp", 1, 4096);
    p.pp = opt_integer(par, "pp", 1, 4096);
    p.ep = opt_integer(par, "ep", 1, 65536);
    p.dp = opt_integer(par, "dp", 1, 65536);
    p.attention_dp = opt_bool(par, "attention_dp", false);
    p.disaggregated = opt_bool(par, "disaggregated", false);
    p.prefill_gpus = opt_integer(par, "prefill_gpus", 1, 1000000);
    p.decode_gpus = opt_integer(par, "decode_gpus", 1, 1000000);
    // What hides under the all-to-all is the engine's: TensorRT-LLM 0.20-1.x runs its wide-EP MoE
    // layers as one batch (no two-batch overlap; its shared expert's auxiliary stream runs beside
    // the routed GEMMs, not the all-to-all), so a TensorRT-LLM point defaults to "none"; any other
    // engine to two batches where that pays, unless the point says otherwise.
    const std::string mo = opt_string(par, "moe_overlap");
    if (mo.empty()) {
      p.moe_overlap_mode = p.engine == "tensorrt-llm" ? moe_overlap_none : moe_overlap_two_batch;
    } else if (!parse_moe_overlap(mo, &p.moe_overlap_mode)) {
      par.fail("moe_overlap", "unknown overlap \"" + mo + "\"; expected 'two_batch', 'single_batch' or 'none'");
    }
    par.finish();
    // TensorRT-LLM's "--tp N --ep N --enable_attention_dp" runs attention as N data-parallel
    // ranks of TP1: the same GPUs, laid out as dp = N, tp = 1.
    if (p.attention_dp && p.dp == 0 && p.tp > 1) {
      p.dp = p.tp;
      p.tp = 1;
    }
    field_reader prec = r.object("precision");
    p.weights = opt_string(prec, "weights");
    p.kv_cache = opt_string(prec, "kv_cache");
    for (const char* k : {"weights", "kv_cache"}) {
      std::string v = std::string(k) == "weights" ? p.weights : p.kv_cache;
      std::uint8_t x = 0;
      if (!v.empty() && !parse_precision(v, &x)) prec.fail(k, "unknown precision \"" + v + "\"");
    }
    // The attention kernels' math, where the source states it (Ant Group's FlashMLA-FP8, FA3-FP8).
    const std::string am = opt_string(prec, "attention");
    if (!am.empty() && am != "bf16" && am != "fp8") {
      prec.fail("attention", "unknown attention math \"" + am + "\"; expected 'bf16' or 'fp8'");
    }
    if (am == "fp8" && p.kv_cache != "fp8") {
      prec.fail("attention", "FP8 attention multiplies an FP8 KV cache; kv_cache is \"" + p.kv_cache + "\"");
    }
    p.fp8_attention = am == "fp8";
    prec.finish();
    field_reader w = r.object("workload");
    p.input_tokens = opt_number(w, "input_tokens_mean", at_least(1.0, 1e8));
    p.output_tokens = opt_number(w, "output_tokens_mean", at_least(1.0, 1e8));
    p.input_max = opt_number(w, "input_tokens_max", at_least(1.0, 1e8));
    p.input_p50 = opt_number(w, "input_tokens_p50", at_least(1.0, 1e8));
    p.input_p99 = opt_number(w, "input_tokens_p99", at_least(1.0, 1e8));
    p.output_std = opt_number(w, "output_tokens_std", at_least(0.0, 1e8));
    p.output_max = opt_number(w, "output_tokens_max", at_least(1.0, 1e8));
    if (p.output_max > 0.0 && p.output_tokens > p.output_max) {
      w.fail("output_tokens_mean", "the mean (" + format_number(p.output_tokens) + ") is above output_tokens_max (" +
                                       format_number(p.output_max) + ")");
    }
    if (p.input_max > 0.0 && p.input_p99 > p.input_max) {
      w.fail("input_tokens_p99", "the p99 (" + format_number(p.input_p99) + ") is above input_tokens_max (" +
                                     format_number(p.input_max) + ")");
    }
    if (p.input_max > 0.0 && p.input_tokens > p.input_max) {
      w.fail("input_tokens_mean", "the mean (" + format_number(p.input_tokens) + ") is above input_tokens_max (" +
                                      format_number(p.input_max) + ")");
    }
    p.prefix_cache_hit = opt_number(w, "prefix_cache_hit", at_least(0.0, 0.99));
    opt_string(w, "dataset");
    w.finish();
    field_reader op = r.object("operating_point");
    p.kind = op.string("kind");
    check_enum(op, "kind", p.kind, kinds);
    p.concurrency = opt_integer(op, "concurrency", 1, 100000000);
    p.engine_max_batch = opt_integer(op, "engine_max_batch", 1, 1000000);
    p.engine_max_tokens = opt_integer(op, "engine_max_tokens", 16, 10000000);
    // The engine takes new prompts once every this many steps (vLLM num_scheduler_steps,
    // TensorRT-LLM adp_balancing_timeout_iters): absent, every step.
    p.admission_steps = opt_integer(op, "admission_steps", 1, 1024);
    // An open burst is a finite job: its throughput is the prompts' work over the time to the
    // last answer, so the prompt count is part of the point.
    p.requests = opt_integer(op, "requests", 1, 100000000);
    if (p.kind == "burst" && p.requests == 0) {
      op.fail("requests", "a burst needs \"requests\": the number of prompts submitted at once");
    }
    if (p.kind != "burst" && p.requests > 0) {
      op.fail("requests", "only a burst (kind \"burst\") has a prompt count; kind is \"" + p.kind + "\"");
    }
    // A benchmark at a stated request rate (vllm bench serve --request-rate, Poisson arrivals):
    // the rate is the load, so it is part of the point.
    p.request_rate = opt_number(op, "request_rate", positive(1e9));
    if (p.kind == "request_rate" && !(p.request_rate > 0.0)) {
      op.fail("request_rate", "kind \"request_rate\" needs \"request_rate\": the requests per second offered");
    }
    if (p.kind != "request_rate" && p.request_rate > 0.0) {
      op.fail("request_rate", "only kind \"request_rate\" has a request rate; kind is \"" + p.kind + "\"");
    }
    p.ttft_ms = opt_number(op, "ttft_ms", positive(1e9));
    p.tpot_ms = opt_number(op, "tpot_ms", positive(1e9));
    const std::string pct = opt_string(op, "latency_percentile");
    p.latency_percentile = pct;
    p.slo_tail = pct == "mean" || pct == "median" ? 0.5 : (pct == "p90" ? 0.1 : (pct == "p95" ? 0.05 : 0.01));
    const std::string spec = opt_string(op, "speculative");
    p.draft_tokens = opt_integer(op, "draft_tokens", 1, 16);
    p.draft_acceptance = opt_number(op, "draft_acceptance", {0.0, 0.99, false});
    // Draft figures describe speculative decoding: without the method named they would be
    // costed as drafts nobody runs, so they are an error rather than silently used.
    if (spec.empty()) {
      for (const char* k : {"draft_tokens", "draft_acceptance"}) {
        if (op.has(k) && !op.raw(k).is_null()) op.fail(k, std::string(k) + " needs \"speculative\" (the method, e.g. \"mtp\") in the same operating_point");
      }
    }
    if (!spec.empty() && p.draft_tokens == 0) p.draft_tokens = 1000;  // marker: speculation of unknown shape
    // An overlap scheduler launches step k+1 while step k runs and takes in new requests only
    // then, so a new prompt waits out one more step: SGLang's default event loop
    // (event_loop_overlap since v0.4; --disable-overlap-schedule turns it off), TensorRT-LLM's
    // PyTorch executor (disable_overlap_scheduler: false); not vLLM V1 without async scheduling nor
    // TensorRT-LLM's C++ executor. Absent: on for SGLang without speculative decoding (its
    // server_args turn the overlap scheduler off for EAGLE/MTP drafts, and for pipeline
    // parallelism), off for the others.
    const bool sglang_overlaps = p.engine == "sglang" && spec.empty() && p.pp <= 1;
    p.overlap_scheduler = opt_bool(op, "overlap_scheduler", sglang_overlaps);
    op.finish();
    p.metric = r.string("metric");
    check_enum(r, "metric", p.metric, metrics_known);
    p.scope = r.string("scope");
    check_enum(r, "scope", p.scope, scopes);
    if (p.kind == "request_rate" && p.scope != "system") {
      r.fail("scope", "a request rate is the whole system's (the rate the benchmark client sends); scope is \"" + p.scope + "\"");
    }
    if (p.kind == "burst" && p.scope != "system") {
      r.fail("scope", "a burst's throughput is the whole system's (its prompts over the time to the last answer); scope is \"" +
                          p.scope + "\"");
    }
    p.value = r.number("value", positive(1e15));
    // Which statistic a latency value is: a mean TPOT and a p99 TPOT at the same SLO differ by the
    // prefill chunks' spread, so a point says which it is rather than leave it to be guessed.
    p.value_statistic = opt_string(r, "value_statistic");
    if (!p.value_statistic.empty()) {
      static const std::vector<std::string> stats = {"mean", "p50", "p90", "p99"};
      check_enum(r, "value_statistic", p.value_statistic, stats);
      if (p.metric != "ttft_ms" && p.metric != "tpot_ms" && p.metric != "itl_ms") {
        r.fail("value_statistic", "only a latency point (metric ttft_ms, tpot_ms or itl_ms) has a statistic; metric is \"" +
                                      p.metric + "\"");
      }
    }
    p.source = r.string("source");
    // The source the point belongs to (one MLPerf round, one blog, one paper): leave-one-source-out
    // refits without all of a group's points. Without it, the point is its own source.
    p.source_group = opt_string(r, "source_group");
    if (p.source_group.empty()) p.source_group = p.id;
    p.notes = opt_string(r, "notes");
    p.fit = opt_bool(r, "fit", true);
    r.finish();
    out.push_back(p);
  }
  // Statistics of no points would read as a clean bill of health (exit 0, errors of 0).
  if (out.empty()) throw config_error(path, "$", "no points: the file holds no JSON line; give at least one point");
  return out;
}

}  // namespace tokenplan
