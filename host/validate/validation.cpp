// Validation and calibration: predict published measurements with the model, and fit the few
// factors (per GPU family, per serving engine) by robust Levenberg-Marquardt on log errors.
#include "validate/validation.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/errors.hpp"
#include "search/problem_builder.hpp"
#include "search/describe.hpp"
#include "base/text.hpp"

namespace tokenplan {

namespace {

// ---- reading points ------------------------------------------------------------------------

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

const std::vector<std::string> kinds = {"offline", "server_slo", "concurrency", "max_throughput", "production"};
const std::vector<std::string> metrics_known = {"output_tokens_per_s", "total_tokens_per_s", "input_tokens_per_s",
                                                "requests_per_s", "tpot_ms", "ttft_ms", "output_tokens_per_s_per_user"};
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
    prec.finish();
    field_reader w = r.object("workload");
    p.input_tokens = opt_number(w, "input_tokens_mean", at_least(1.0, 1e8));
    p.output_tokens = opt_number(w, "output_tokens_mean", at_least(1.0, 1e8));
    p.input_max = opt_number(w, "input_tokens_max", at_least(1.0, 1e8));
    p.input_p50 = opt_number(w, "input_tokens_p50", at_least(1.0, 1e8));
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
    p.ttft_ms = opt_number(op, "ttft_ms", positive(1e9));
    p.tpot_ms = opt_number(op, "tpot_ms", positive(1e9));
    const std::string pct = opt_string(op, "latency_percentile");
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
    op.finish();
    p.metric = r.string("metric");
    check_enum(r, "metric", p.metric, metrics_known);
    p.scope = r.string("scope");
    check_enum(r, "scope", p.scope, scopes);
    p.value = r.number("value", positive(1e15));
    p.source = r.string("source");
    p.notes = opt_string(r, "notes");
    p.fit = opt_bool(r, "fit", true);
    r.finish();
    out.push_back(p);
  }
  // Statistics of no points would read as a clean bill of health (exit 0, errors of 0).
  if (out.empty()) throw config_error(path, "$", "no points: the file holds no JSON line; give at least one point");
  return out;
}

// ---- statistics -----------------------------------------------------------------------------

namespace {

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  double pos = q * (v.size() - 1);
  std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

}  // namespace

error_summary summarize(const std::vector<point_result>& results) {
  error_summary s;
  std::vector<double> ape, lg;
  for (const point_result& r : results) {
    if (!r.predicted) {
      ++s.skipped;
      continue;
    }
    ++s.predicted;
    ape.push_back(r.ape);
    lg.push_back(std::fabs(r.log_ratio));
    s.max_ratio = std::max(s.max_ratio, std::exp(std::fabs(r.log_ratio)));
  }
  s.median_ape = percentile(ape, 0.5);
  s.p90_ape = percentile(ape, 0.9);
  double sum = 0;
  for (double a : ape) sum += a;
  s.mean_ape = ape.empty() ? 0.0 : sum / ape.size();
  s.median_abs_log = percentile(lg, 0.5);
  s.p90_abs_log = percentile(lg, 0.9);
  return s;
}

// ---- prediction -----------------------------------------------------------------------------

struct predictor::prepared {
  const validation_point* p = nullptr;
  bool ok = false;
  std::string why;
  std::string family;
  std::string engine;  ///< resolved engine name
  std::unique_ptr<problem> prob;
  gpu_spec raw_gpu{};  ///< the GPU before family factors
  std::vector<serving_config> candidates;
  std::vector<std::size_t> structure_start;  ///< candidate index where each structure's batches begin
  std::vector<std::size_t> shortlist;        ///< candidate indices the last full search kept
  bool prefill_metric = false;
  bool latency_metric = false;
};

namespace {

void apply_factors(gpu_spec& g, const efficiency_factors& f) {
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
}

double engine_factor(const calibration& cal, const std::string& engine) {
  auto it = cal.engines.find(engine);
  return it == cal.engines.end() ? 1.0 : it->second;
}

/// GPUs in one node: an HGX board of 8, or a compute tray of 4 in an NVL72 rack.
double node_gpus(const gpu_spec& g) { return g.scale_up_domain_gpus >= 72 ? 4.0 : 8.0; }

}  // namespace

predictor::predictor(const std::vector<validation_point>& points, const config_roots& roots, const calibration& cal)
    : cal_(cal) {
  std::map<std::string, model_entry> models;
  std::map<std::string, gpu_entry> gpus;
  for (const validation_point& vp : points) {
    auto pr = std::make_unique<prepared>();
    prepared& x = *pr;
    x.p = &vp;
    x.engine = cal.engines.count(vp.engine) ? vp.engine : cal.reference_engine;
    auto bail = [&](const std::string& why) {
      x.why = why;
      points_.push_back(std::move(pr));
    };
    if (!models.count(vp.model)) {
      std::string f = roots.find("models", vp.model);
      if (!f.empty()) models[vp.model] = load_model(f);
    }
    if (!gpus.count(vp.gpu)) {
      std::string f = roots.find("gpus", vp.gpu);
      if (!f.empty()) gpus[vp.gpu] = load_gpu(f, cal);
    }
    if (!models.count(vp.model)) { bail("no model config '" + vp.model + "'"); continue; }
    if (!gpus.count(vp.gpu)) { bail("no GPU config '" + vp.gpu + "'"); continue; }
    const model_entry& me = models[vp.model];
    const gpu_entry& ge = gpus[vp.gpu];
    x.family = ge.family;
    x.prefill_metric = vp.metric == "input_tokens_per_s" && vp.disaggregated;
    x.latency_metric = vp.metric == "tpot_ms" || vp.metric == "ttft_ms" || vp.metric == "output_tokens_per_s_per_user";
    if (vp.input_tokens <= 0) { bail("input length not published"); continue; }
    // A decode pool measured on its own needs the context it decodes at, not the output length.
    const bool decode_only = vp.disaggregated && !x.prefill_metric;
    if (vp.output_tokens <= 0 && !x.prefill_metric && !decode_only) { bail("output length not published"); continue; }
    if (vp.draft_tokens == 1000) { bail("speculative decoding with unpublished draft length or acceptance"); continue; }
    if (vp.input_tokens + std::max(1.0, vp.output_tokens) > me.spec.max_context) { bail("longer than the model's context"); continue; }

    x.prob = std::make_unique<problem>();
    problem& p = *x.prob;
    std::memset(&p, 0, sizeof(problem));
    p.model = me.spec;
    workload_spec& w = p.workload;
    w.tokens_per_day = 86400.0;
    w.input_tokens = vp.input_tokens;
    w.output_tokens = vp.output_tokens > 0 ? vp.output_tokens : 1.0;
    w.input_tail = std::max(vp.input_tokens, vp.input_max);
    // Spread of the prompts from a lognormal through mean and median, when the median is given.
    const double sigma2 = vp.input_p50 > 0 && vp.input_p50 < vp.input_tokens ? 2.0 * std::log(vp.input_tokens / vp.input_p50) : 0.0;
    w.input_sq_mean = vp.input_tokens * vp.input_tokens * std::exp(sigma2);
    w.output_tail = w.output_tokens;
    w.peak_to_average = 1.0;
    const bool slo = vp.kind == "server_slo" || vp.kind == "production";
    w.ttft_slo_s = slo && vp.ttft_ms > 0 ? vp.ttft_ms * 1e-3 : 1e9;
    w.tpot_slo_s = slo && vp.tpot_ms > 0 ? vp.tpot_ms * 1e-3 : 1e9;
    w.slo_tail = vp.slo_tail;
    w.prefix_cache_hit = vp.prefix_cache_hit;
    w.draft_acceptance = vp.draft_acceptance;
    w.draft_cost_layers = 1.0;
    w.engine_factor = 1.0;
    p.n_sites = 1;
    x.raw_gpu = ge.spec;
    // load_gpu applied the starting family's all-reduce efficiency; undo it so set_calibration
    // applies each candidate calibration to the datasheet bandwidth.
    {
      auto f0 = cal.families.find(ge.family);
      if (f0 != cal.families.end() && f0->second.allreduce_efficiency > 0.0) {
        x.raw_gpu.allreduce_busbw_bytes_per_s /= f0->second.allreduce_efficiency;
      }
    }
    site_spec& s = p.sites[0];
    s.gpu = ge.spec;
    s.gpus_per_node = static_cast<std::uint32_t>(node_gpus(ge.spec));
    s.usd_per_gpu_hour = 1.0;
    s.price_includes_power = true;
    s.pue = 1.0;
    p.goal = objective_cost;

    // Candidates: what the point publishes is fixed; the rest is searched.
    const model_spec& m = me.spec;
    std::vector<layout> layouts;
    const std::uint32_t limit = vp.disaggregated ? std::max(vp.prefill_gpus, vp.decode_gpus) : vp.gpus;
    std::vector<std::uint32_t> tps = vp.tp ? std::vector<std::uint32_t>{vp.tp} : std::vector<std::uint32_t>{1, 2, 4, 8};
    std::vector<std::uint32_t> pps = vp.pp ? std::vector<std::uint32_t>{vp.pp} : std::vector<std::uint32_t>{1};
    for (std::uint32_t tp : tps) {
      for (std::uint32_t pp : pps) {
        if (m.experts == 0) {
          layouts.push_back(layout{tp, pp, 1, 1});
          continue;
        }
        std::vector<std::uint32_t> dps = vp.dp ? std::vector<std::uint32_t>{vp.dp} : std::vector<std::uint32_t>{1};
        if (!vp.dp && !vp.tp && !vp.ep) dps = {1, 2, 4, 8};
        for (std::uint32_t dp : dps) {
          // TensorRT-LLM splits experts by TP unless told otherwise: a published TP without EP is EP 1.
          std::vector<std::uint32_t> eps = vp.ep ? std::vector<std::uint32_t>{vp.ep}
                                         : (vp.tp ? std::vector<std::uint32_t>{1} : std::vector<std::uint32_t>{1, tp * dp});
          for (std::uint32_t ep : eps) {
            layout l{tp, pp, ep, dp};
            if ((tp * dp) % ep != 0 || (dp > 1 && ep == 1)) continue;
            if (std::find_if(layouts.begin(), layouts.end(), [&](const layout& o) {
                  return o.tp == l.tp && o.pp == l.pp && o.ep == l.ep && o.dp == l.dp;
                }) == layouts.end()) {
              layouts.push_back(l);
            }
          }
        }
      }
    }
    std::vector<std::uint8_t> wps, kvs;
    std::uint8_t v = 0;
    if (!vp.weights.empty() && parse_precision(vp.weights, &v)) wps = {v};
    else wps = {prec_bf16, prec_fp8, prec_fp4};
    if (!vp.kv_cache.empty() && parse_precision(vp.kv_cache, &v)) kvs = {v};
    else kvs = {prec_bf16, prec_fp8};
    const std::vector<std::uint32_t> chunks = x.prefill_metric ? std::vector<std::uint32_t>{4096, 8192, 16384, 32768}
                                                               : std::vector<std::uint32_t>{2048, 4096, 8192, 16384};
    const std::vector<std::uint32_t> ladder = batch_ladder(1, 4096, 8);
    for (const layout& l : layouts) {
      const double gpi = double(l.tp) * l.dp * l.pp;
      if (gpi > limit) continue;
      for (std::uint8_t wp : wps) {
        for (std::uint8_t kv : kvs) {
          for (std::uint32_t ch : chunks) {
            std::vector<std::uint32_t> batches;
            if (vp.concurrency > 0 && !x.prefill_metric) {
              const double instances = vp.disaggregated || vp.scope != "system" ? 1.0 : std::max(1.0, std::floor(vp.gpus / gpi));
              double per_rank = vp.concurrency / instances / l.dp;
              batches = {static_cast<std::uint32_t>(std::max(1.0, std::round(per_rank)))};
            } else {
              batches = x.prefill_metric ? std::vector<std::uint32_t>{8} : ladder;
            }
            x.structure_start.push_back(x.candidates.size());
            for (std::uint32_t b : batches) {
              serving_config c{};
              c.wprec = wp;
              c.kvprec = kv;
              c.draft = vp.draft_tokens;
              c.mode = vp.disaggregated ? mode_disaggregated : mode_aggregated;
              c.main = pool_config{l, vp.disaggregated ? 0u : ch, b};
              c.prefill = pool_config{l, ch, 0};
              x.candidates.push_back(c);
            }
          }
        }
      }
    }
    if (x.candidates.empty()) { bail("no layout fits in the published GPU count"); continue; }
    x.ok = true;
    points_.push_back(std::move(pr));
  }
  set_calibration(cal);
}

predictor::~predictor() = default;

std::size_t predictor::size() const { return points_.size(); }
const std::string& predictor::family(std::size_t i) const { return points_[i]->family; }
const std::string& predictor::engine(std::size_t i) const { return points_[i]->engine; }

void predictor::set_calibration(const calibration& cal) {
  cal_ = cal;
  for (auto& x : points_) {
    if (!x->ok) continue;
    gpu_spec g = x->raw_gpu;
    auto f = cal.families.find(x->family);
    if (f != cal.families.end()) apply_factors(g, f->second);
    x->prob->sites[0].gpu = g;
    x->prob->workload.engine_factor = engine_factor(cal, x->engine);
  }
}

point_result predictor::predict(std::size_t i, bool shortlist) const {
  const prepared& x = *points_[i];
  point_result r;
  r.point = x.p;
  if (!x.ok) {
    r.why_not = x.why;
    return r;
  }
  const validation_point& vp = *x.p;
  const problem& p = *x.prob;
  const double gpn = p.sites[0].gpus_per_node;
  double best_rank = -1.0;
  std::uint8_t worst_reason = reason_feasible;
  const bool use_short = shortlist && !x.shortlist.empty();
  const std::size_t n = use_short ? x.shortlist.size() : x.candidates.size();
  for (std::size_t k = 0; k < n; ++k) {
    const serving_config& c = x.candidates[use_short ? x.shortlist[k] : k];
    evaluation e = evaluate_config(p, c);
    if (e.reason != reason_feasible) {
      worst_reason = std::max(worst_reason, e.reason);
      continue;
    }
    const pool_metrics& pool = x.prefill_metric ? e.m.prefill : e.m.main;
    const double gpi = pool.gpus_per_instance;
    double instances = 1.0;
    if (vp.scope == "system") instances = vp.disaggregated ? vp.gpus / gpi : std::floor(vp.gpus / gpi);
    if (vp.scope == "per_gpu") instances = 1.0 / gpi;
    if (vp.scope == "per_node") instances = gpn / gpi;
    if (instances <= 0.0) continue;
    const double isl = p.workload.input_tokens, osl = p.workload.output_tokens;
    double value = 0.0;
    // Throughput delivered at the load the SLO allows (the utilisation queueing leaves).
    const double u = pool.utilisation;
    if (vp.metric == "output_tokens_per_s") value = pool.output_tokens_per_s * u * instances;
    else if (vp.metric == "input_tokens_per_s") value = pool.requests_per_s * u * isl * instances;
    else if (vp.metric == "total_tokens_per_s") value = pool.requests_per_s * u * (isl + osl) * instances;
    else if (vp.metric == "requests_per_s") value = pool.requests_per_s * u * instances;
    else if (vp.metric == "tpot_ms") value = e.m.tpot_s * 1e3;
    else if (vp.metric == "ttft_ms") value = e.m.ttft_s * 1e3;
    else value = 1.0 / e.m.tpot_s;  // output tokens per second per user
    // The operating point is the one a tuned deployment runs: the highest throughput.
    const double rank_value = x.latency_metric ? pool.output_tokens_per_s * u * instances : value;
    if (rank_value > best_rank) {
      best_rank = rank_value;
      r.value = value;
      r.best = e;
    }
  }
  if (best_rank < 0.0) {
    r.why_not = std::string("no feasible configuration (most restrictive: ") + reason_name(worst_reason) + ")";
    return r;
  }
  // A mean TPOT is measured at the occupancy the load gives, not at the largest batch: in the
  // M/M/c pool the mean occupancy is utilisation x slots, so report TPOT at that batch.
  if (vp.metric == "tpot_ms" && !x.prefill_metric) {
    serving_config c = r.best.cfg;
    const double occupied = std::floor(c.main.batch * r.best.m.main.utilisation + 0.5);
    c.main.batch = static_cast<std::uint32_t>(std::max(1.0, occupied));
    r.value = evaluate_config(p, c).m.tpot_s * 1e3;
  }
  r.predicted = true;
  r.ape = std::fabs(r.value - vp.value) / vp.value;
  r.log_ratio = std::log(r.value / vp.value);
  const serving_config& c = r.best.cfg;
  r.config = (c.mode == mode_disaggregated ? "P:" + layout_code(c.prefill.lay) + "/D:" : std::string()) +
             layout_code(c.main.lay) + " " + precision_name(c.wprec) + "/" + precision_name(c.kvprec) +
             (x.prefill_metric ? " chunk " + std::to_string(c.prefill.chunk) : " b" + std::to_string(c.main.batch)) +
             (c.mode == mode_aggregated ? " c" + std::to_string(c.main.chunk) : std::string());
  return r;
}

void predictor::refresh_shortlists() {
  constexpr std::size_t keep_structures = 12;  // best layouts/formats/chunks kept per point
  constexpr std::size_t window = 4;            // batch sizes kept either side of each one's best
  for (auto& xp : points_) {
    prepared& x = *xp;
    x.shortlist.clear();
    if (!x.ok) continue;
    const problem& p = *x.prob;
    // Best feasible candidate of each structure (a structure = all but the batch).
    std::vector<std::pair<double, std::size_t>> best;  // (value, candidate index)
    for (std::size_t s = 0; s < x.structure_start.size(); ++s) {
      const std::size_t lo = x.structure_start[s];
      const std::size_t hi = s + 1 < x.structure_start.size() ? x.structure_start[s + 1] : x.candidates.size();
      double top = -1.0;
      std::size_t arg = lo;
      for (std::size_t k = lo; k < hi; ++k) {
        evaluation e = evaluate_config(p, x.candidates[k]);
        if (e.reason != reason_feasible) continue;
        const pool_metrics& pool = x.prefill_metric ? e.m.prefill : e.m.main;
        const double v = pool.requests_per_s * pool.utilisation / pool.gpus_per_instance;
        if (v > top) {
          top = v;
          arg = k;
        }
      }
      if (top >= 0.0) best.emplace_back(top, arg);
      else best.emplace_back(-1.0, hi - 1);  // nothing feasible: keep its smallest batches in play
    }
    std::sort(best.begin(), best.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t j = 0; j < best.size() && j < keep_structures; ++j) {
      const std::size_t arg = best[j].second;
      std::size_t s = std::upper_bound(x.structure_start.begin(), x.structure_start.end(), arg) - x.structure_start.begin() - 1;
      const std::size_t lo = x.structure_start[s];
      const std::size_t hi = s + 1 < x.structure_start.size() ? x.structure_start[s + 1] : x.candidates.size();
      const std::size_t from = arg >= lo + window ? arg - window : lo;
      const std::size_t to = std::min(hi, arg + window + 1);
      for (std::size_t k = from; k < to; ++k) x.shortlist.push_back(k);
    }
  }
}

std::vector<point_result> predictor::predict_all() const {
  std::vector<point_result> out;
  out.reserve(points_.size());
  for (std::size_t i = 0; i < points_.size(); ++i) out.push_back(predict(i));
  return out;
}

// ---- fitting --------------------------------------------------------------------------------

namespace {

/// One fitted factor: where it lives, its bounds, and the prior it is pulled towards.
struct parameter {
  std::string name;
  std::string owner;  ///< family or engine name
  int field;          ///< index into efficiency_factors (0..9), or -1 for an engine factor
  double lo, hi, prior, sigma;
};

double get(const calibration& c, const parameter& p) {
  if (p.field < 0) return c.engines.at(p.owner);
  const efficiency_factors& f = c.families.at(p.owner);
  const double v[] = {f.gemm, f.hbm, f.layer_overhead_s, f.step_overhead_s, f.alltoall_latency_s, f.moe_overlap,
                      f.expert_imbalance, f.sequence_overhead_s, f.allreduce_latency_s, f.allreduce_efficiency};
  return v[p.field];
}

void set(calibration& c, const parameter& p, double x) {
  if (p.field < 0) {
    c.engines[p.owner] = x;
    return;
  }
  efficiency_factors& f = c.families[p.owner];
  double* v[] = {&f.gemm, &f.hbm, &f.layer_overhead_s, &f.step_overhead_s, &f.alltoall_latency_s, &f.moe_overlap,
                 &f.expert_imbalance, &f.sequence_overhead_s, &f.allreduce_latency_s, &f.allreduce_efficiency};
  *v[p.field] = x;
}

/// Solves A x = b for a small dense symmetric system by Gaussian elimination with pivoting.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const std::size_t n = b.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < n; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    }
    std::swap(a[c], a[piv]);
    std::swap(b[c], b[piv]);
    if (std::fabs(a[c][c]) < 1e-300) a[c][c] = 1e-300;
    for (std::size_t r = c + 1; r < n; ++r) {
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (std::size_t c = n; c-- > 0;) {
    double s = b[c];
    for (std::size_t k = c + 1; k < n; ++k) s -= a[c][k] * x[k];
    x[c] = s / a[c][c];
  }
  return x;
}

}  // namespace

fit_result fit_calibration(predictor& pred, const calibration& start, const fit_options& opt) {
  fit_result out;
  // Which families and engines the fitted points touch.
  std::map<std::string, int> fam_points, eng_points, fam_moe;
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < pred.size(); ++i) {
    if (i == opt.exclude) continue;
    point_result r = pred.predict(i);
    if (!r.point->fit || pred.family(i).empty()) continue;
    if (!start.families.count(pred.family(i))) continue;
    rows.push_back(i);
    fam_points[pred.family(i)]++;
    eng_points[pred.engine(i)]++;
    if (r.predicted && r.best.cfg.main.lay.ep > 1) fam_moe[pred.family(i)]++;
  }
  // Bounds and priors: physical ranges, centred on the documented initial estimates.
  std::vector<parameter> ps;
  for (const auto& kv : fam_points) {
    if (kv.second < 3) continue;
    const std::string& f = kv.first;
    const efficiency_factors& e = start.families.at(f);
    ps.push_back({f + ".gemm", f, 0, 0.25, 0.9, e.gemm, 0.15});
    ps.push_back({f + ".hbm", f, 1, 0.5, 0.95, e.hbm, 0.1});
    ps.push_back({f + ".layer_overhead_us", f, 2, 0.0, 40e-6, e.layer_overhead_s, 8e-6});
    ps.push_back({f + ".step_overhead_us", f, 3, 0.0, 6e-3, e.step_overhead_s, 1e-3});
    ps.push_back({f + ".sequence_overhead_us", f, 7, 0.0, 20e-6, e.sequence_overhead_s, 2e-6});
    ps.push_back({f + ".allreduce_latency_us", f, 8, 2e-6, 60e-6, e.allreduce_latency_s, 10e-6});
    ps.push_back({f + ".allreduce_efficiency", f, 9, 0.3, 1.0, e.allreduce_efficiency, 0.2});
    if (fam_moe[f] >= 3) {
      ps.push_back({f + ".alltoall_latency_us", f, 4, 0.0, 300e-6, e.alltoall_latency_s, 30e-6});
      ps.push_back({f + ".moe_overlap", f, 5, 0.0, 1.0, e.moe_overlap, 0.25});
      ps.push_back({f + ".expert_imbalance", f, 6, 1.0, 2.5, e.expert_imbalance, 0.25});
    }
  }
  for (const auto& kv : eng_points) {
    if (kv.first == start.reference_engine || kv.second < 2) continue;
    ps.push_back({"engine." + kv.first, kv.first, -1, 0.4, 3.0, start.engines.at(kv.first), 0.3});
  }
  for (const parameter& p : ps) out.parameters.push_back(p.name);

  calibration cur = start;
  std::vector<double> theta(ps.size());
  for (std::size_t j = 0; j < ps.size(); ++j) theta[j] = get(cur, ps[j]);

  std::vector<double> weights(rows.size(), 1.0);
  auto residuals = [&](const std::vector<double>& th, bool update_weights) {
    calibration c = start;
    for (std::size_t j = 0; j < ps.size(); ++j) set(c, ps[j], th[j]);
    pred.set_calibration(c);
    std::vector<double> r;
    r.reserve(rows.size() + ps.size());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      point_result pr = pred.predict(rows[k], true);
      const double e = pr.predicted ? pr.log_ratio : 3.0;  // no feasible configuration: a large miss
      if (update_weights) weights[k] = std::fabs(e) <= opt.huber_delta ? 1.0 : std::sqrt(opt.huber_delta / std::fabs(e));
      r.push_back(weights[k] * e);
    }
    for (std::size_t j = 0; j < ps.size(); ++j) r.push_back(opt.prior_weight * (th[j] - ps[j].prior) / ps[j].sigma);
    return r;
  };
  auto cost = [](const std::vector<double>& r) {
    double s = 0;
    for (double x : r) s += x * x;
    return 0.5 * s;
  };

  pred.set_calibration(start);
  pred.refresh_shortlists();
  std::vector<double> r = residuals(theta, true);
  double c0 = cost(r);
  double lambda = 1e-2;
  int it = 0;
  bool converged = false;
  for (; it < opt.max_iterations && !ps.empty() && !converged; ++it) {
    // Jacobian by forward differences, steps of 2% of each range: predictions move in steps
    // (the best batch size is discrete), so tiny steps would see flat ground.
    std::vector<std::vector<double>> jac(r.size(), std::vector<double>(ps.size()));
    for (std::size_t j = 0; j < ps.size(); ++j) {
      std::vector<double> th = theta;
      double h = 0.02 * (ps[j].hi - ps[j].lo);
      if (th[j] + h > ps[j].hi) h = -h;
      th[j] += h;
      std::vector<double> rj = residuals(th, false);
      for (std::size_t k = 0; k < r.size(); ++k) jac[k][j] = (rj[k] - r[k]) / h;
    }
    std::vector<std::vector<double>> jtj(ps.size(), std::vector<double>(ps.size(), 0.0));
    std::vector<double> jtr(ps.size(), 0.0);
    for (std::size_t k = 0; k < r.size(); ++k) {
      for (std::size_t a = 0; a < ps.size(); ++a) {
        jtr[a] += jac[k][a] * r[k];
        for (std::size_t b = 0; b < ps.size(); ++b) jtj[a][b] += jac[k][a] * jac[k][b];
      }
    }
    bool improved = false;
    for (int tries = 0; tries < 8 && !improved; ++tries) {
      std::vector<std::vector<double>> a = jtj;
      std::vector<double> b(ps.size());
      for (std::size_t j = 0; j < ps.size(); ++j) {
        a[j][j] += lambda * (jtj[j][j] + 1e-9);
        b[j] = -jtr[j];
      }
      std::vector<double> step = solve(a, b);
      std::vector<double> th = theta;
      for (std::size_t j = 0; j < ps.size(); ++j) th[j] = std::min(ps[j].hi, std::max(ps[j].lo, th[j] + step[j]));
      std::vector<double> rn = residuals(th, false);
      const double cn = cost(rn);
      if (cn < c0) {
        const double gain = (c0 - cn) / std::max(c0, 1e-12);
        theta = th;
        residuals(theta, false);
        pred.refresh_shortlists();   // full search at the accepted factors
        r = residuals(theta, true);  // re-weight (robust) at the new point
        c0 = cost(r);
        lambda = std::max(1e-6, lambda / 3.0);
        improved = true;
        if (gain < 1e-5) converged = true;
      } else {
        lambda *= 4.0;
      }
    }
    if (!improved) break;
  }
  for (std::size_t j = 0; j < ps.size(); ++j) set(cur, ps[j], theta[j]);
  pred.set_calibration(cur);
  out.cal = cur;
  out.objective = c0;
  out.iterations = it;
  return out;
}

std::vector<point_result> leave_one_out(const std::vector<validation_point>& points, const config_roots& roots,
                                        const calibration& full, const fit_options& opt, int threads) {
  std::vector<point_result> out(points.size());
  std::vector<std::size_t> todo;
  {
    predictor pred(points, roots, full);
    std::vector<point_result> base = pred.predict_all();
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (base[i].predicted && base[i].point->fit) todo.push_back(i);
      else out[i] = base[i];
    }
  }
  std::atomic<std::size_t> next{0};
  auto work = [&]() {
    predictor pred(points, roots, full);  // each thread its own problems and shortlists
    for (std::size_t k = next++; k < todo.size(); k = next++) {
      const std::size_t i = todo[k];
      fit_options o = opt;
      o.exclude = i;
      fit_result f = fit_calibration(pred, full, o);
      pred.set_calibration(f.cal);
      point_result r = pred.predict(i);
      r.point = &points[i];
      out[i] = r;
    }
  };
  const int n = std::max(1, threads);
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return out;
}

}  // namespace tokenplan
