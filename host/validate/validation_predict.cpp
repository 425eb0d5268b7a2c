// Predicting validation points with the model (predictor: a prepared problem and candidate
// configurations per point, searched for the best throughput). The error summary is in
// validation_summary.cpp.
#include "validate/validation.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "search/problem_builder.hpp"
#include "search/describe.hpp"
#include "base/text.hpp"

namespace tokenplan {

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
  double output_sigma = 0.0;  ///< a burst's answers: log-sd of their lognormal (0: all the mean)
  std::string category;  ///< point_category, "" while the model is unknown
};

namespace {

double engine_factor(const calibration& cal, const std::string& engine) {
  auto it = cal.engines.find(engine);
  return it == cal.engines.end() ? 1.0 : it->second;
}

/// GPUs in one node: an HGX board of 8, or a compute tray of 4 in an NVL72 rack.
double node_gpus(const gpu_spec& g) { return g.scale_up_domain_gpus >= 72 ? 4.0 : 8.0; }

/// A throughput metric's value for `instances` instances of `pool` at utilisation `u` (output,
/// input, total tokens or requests per second, the lengths `w`'s); false for a latency or
/// per-user metric.
bool throughput_value(const std::string& metric, const workload_spec& w, const pool_metrics& pool, double u,
                      double instances, double& value) {
  if (metric == "output_tokens_per_s") value = pool.output_tokens_per_s * u * instances;
  else if (metric == "input_tokens_per_s") value = pool.requests_per_s * u * w.input_tokens * instances;
  else if (metric == "total_tokens_per_s")
    value = pool.requests_per_s * u * (w.input_tokens + w.output_tokens) * instances;
  else if (metric == "requests_per_s") value = pool.requests_per_s * u * instances;
  else return false;
  return true;
}

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
    x.category = point_category(vp, me.spec.experts > 0);
    const gpu_entry& ge = gpus[vp.gpu];
    x.family = ge.family;
    x.prefill_metric = vp.metric == "input_tokens_per_s" && vp.disaggregated;
    x.latency_metric = vp.metric == "tpot_ms" || vp.metric == "itl_ms" || vp.metric == "ttft_ms" || vp.metric == "output_tokens_per_s_per_user";
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
    // Spread of the prompts from a lognormal through mean and median, when the median is given;
    // else through mean and p99 (ln p99 = ln mean - sigma^2 / 2 + z99 sigma, the smaller root).
    constexpr double z99 = 2.3263478740408408;  // Phi^-1(0.99), Abramowitz & Stegun table 26.5
    double sigma2 = vp.input_p50 > 0 && vp.input_p50 < vp.input_tokens ? 2.0 * std::log(vp.input_tokens / vp.input_p50) : 0.0;
    if (sigma2 == 0.0 && vp.input_p99 > vp.input_tokens) {
      const double disc = z99 * z99 - 2.0 * std::log(vp.input_p99 / vp.input_tokens);
      const double sigma = disc >= 0.0 ? z99 - std::sqrt(disc) : z99;
      sigma2 = sigma * sigma;
    }
    w.input_sq_mean = vp.input_tokens * vp.input_tokens * std::exp(sigma2);
    // MLPerf semantics: a p99 TTFT bound is met by 99% of the requests, so the tail prompt is the
    // data set's p99, never its longest prompt. Without a published p99: the lognormal's p99
    // (at most the maximum), else the maximum only where it is the mean (a fixed-length
    // benchmark), else the mean.
    double tail = vp.input_tokens;
    if (vp.input_p99 > 0.0) tail = vp.input_p99;
    else if (sigma2 > 0.0) tail = vp.input_tokens * std::exp(z99 * std::sqrt(sigma2) - 0.5 * sigma2);
    else if (vp.input_max > 0.0 && vp.input_max <= vp.input_tokens * 1.001) tail = vp.input_max;
    if (vp.input_max > 0.0) tail = std::min(tail, vp.input_max);
    w.input_tail = std::max(vp.input_tokens, tail);
    w.output_tail = w.output_tokens;
    // The answers' spread (decode attends to E[O^2] / E[O]); without it every answer the mean.
    w.output_sq_mean = w.output_tokens * w.output_tokens + vp.output_std * vp.output_std;
    if (vp.kind == "request_rate" && vp.disaggregated) {
      bail("the load a request rate makes on disaggregated pools is not modelled");
      continue;
    }
    if (vp.kind == "burst") {
      if (x.latency_metric) { bail("the latency of an open burst is not modelled (its throughput is)"); continue; }
      // The answers of a burst: a lognormal through the mean and the published spread, else through
      // the mean and the longest answer the data set allows, taken as the expected longest of the
      // burst's N answers (the 1 - 1/(N + 1) quantile; the smaller root of ln(max / mean) =
      // z sigma - sigma^2 / 2); else every answer the mean (a fixed-length benchmark).
      const double mean = w.output_tokens;
      if (vp.output_std > 0.0) {
        x.output_sigma = std::sqrt(std::log(1.0 + vp.output_std * vp.output_std / (mean * mean)));
      } else if (vp.output_max > mean * 1.001) {
        const double z = normal_quantile(1.0 - 1.0 / (double(vp.requests) + 1.0));
        const double disc = z * z - 2.0 * std::log(vp.output_max / mean);
        x.output_sigma = disc >= 0.0 ? z - std::sqrt(disc) : z;
        w.output_sq_mean = mean * mean * std::exp(x.output_sigma * x.output_sigma);
      }
    }
    w.peak_to_average = 1.0;
    // A point that publishes its concurrency states its load: its SLOs say where the source stopped,
    // not a bound the prediction must meet. The model's TPOT over the bound at that load is an error
    // to report, not a reason to skip the point.
    const bool slo = (vp.kind == "server_slo" || vp.kind == "production") && vp.concurrency == 0;
    w.ttft_slo_s = slo && vp.ttft_ms > 0 ? vp.ttft_ms * 1e-3 : 1e9;
    w.tpot_slo_s = slo && vp.tpot_ms > 0 ? vp.tpot_ms * 1e-3 : 1e9;
    w.slo_tail = vp.slo_tail;
    w.prefix_cache_hit = vp.prefix_cache_hit;
    w.draft_acceptance = vp.draft_acceptance;
    w.draft_cost_layers = 1.0;
    w.engine_factor = 1.0;
    // A fixed number of users, each waiting for its answer before it asks again: no admission queue.
    w.closed_loop = vp.kind == "concurrency";
    w.fp8_attention = vp.fp8_attention;
    w.admission_steps = vp.admission_steps > 0 ? double(vp.admission_steps) : 1.0;
    w.moe_overlap_mode = vp.moe_overlap_mode;
    w.scheduler_lag_steps = vp.overlap_scheduler ? 1.0 : 0.0;
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
    // A disaggregated attention-DP point with its pools' GPUs published and no layout: the decode
    // pool is also tried as one instance, attention DP and EP over all of its GPUs (SGLang's and
    // DeepSeek's large-EP deployments), and no prefill instance outgrows the prefill pool.
    const bool pool_dp = vp.disaggregated && vp.attention_dp && !vp.tp && !vp.dp && !vp.ep && m.experts > 0;
    if (pool_dp && vp.decode_gpus > 8) layouts.push_back(layout{1, 1, vp.decode_gpus, vp.decode_gpus});
    std::vector<std::uint8_t> wps, kvs;
    std::uint8_t v = 0;
    if (!vp.weights.empty() && parse_precision(vp.weights, &v)) wps = {v};
    else if (ge.spec.dense_flops[prec_fp4] > 0.0) wps = {prec_bf16, prec_fp8, prec_fp4};
    else wps = {prec_bf16, prec_fp8};  // weight-only FP4 only where a point publishes it
    if (!vp.kv_cache.empty() && parse_precision(vp.kv_cache, &v)) kvs = {v};
    else kvs = {prec_bf16, prec_fp8};
    // The engine's step budget as the source ran it where it is known; otherwise searched.
    std::vector<std::uint32_t> chunks = x.prefill_metric ? std::vector<std::uint32_t>{4096, 8192, 16384, 32768}
                                                         : std::vector<std::uint32_t>{2048, 4096, 8192, 16384};
    if (vp.engine_max_tokens > 0) chunks = {vp.engine_max_tokens};
    const std::vector<std::uint32_t> ladder = batch_ladder(1, 4096, 8);
    for (const layout& l : layouts) {
      const double gpi = double(l.tp) * l.dp * l.pp;
      if (gpi > limit) continue;
      // Instances of this layout the point's GPUs hold: a published load (concurrency, a burst's
      // prompts) spreads over them.
      const double instances = std::max(1.0, std::floor(vp.gpus / gpi));
      for (std::uint8_t wp : wps) {
        for (std::uint8_t kv : kvs) {
          for (std::uint32_t ch : chunks) {
            std::vector<std::uint32_t> batches;
            if (vp.concurrency > 0 && !x.prefill_metric) {
              const double spread = vp.disaggregated || vp.scope != "system" ? 1.0 : instances;
              double per_rank = vp.concurrency / spread / l.dp;
              batches = {static_cast<std::uint32_t>(std::max(1.0, std::round(per_rank)))};
            } else if (x.prefill_metric) {
              batches = {8};
            } else if (vp.engine_max_batch > 0 || vp.kind == "burst") {
              // A published engine cap: no batch above it, and the cap itself is a candidate. A
              // burst never holds more sequences than its prompts (spread over the instances).
              std::uint32_t cap = vp.engine_max_batch > 0 ? vp.engine_max_batch : ladder.back();
              if (vp.kind == "burst") {
                cap = std::min(cap, static_cast<std::uint32_t>(std::max(1.0, std::ceil(vp.requests / instances / l.dp))));
              }
              for (std::uint32_t b : ladder) {
                if (b < cap) batches.push_back(b);
              }
              batches.push_back(cap);
            } else {
              batches = ladder;
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
              if (pool_dp && vp.prefill_gpus > 0 && l.tp * l.pp * l.dp > vp.prefill_gpus) {
                c.prefill.lay = layout{1, 1, vp.prefill_gpus, vp.prefill_gpus};
              }
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
const std::string& predictor::category(std::size_t i) const { return points_[i]->category; }

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
  std::uint8_t worst_reason = reason_feasible;
  const bool use_short = shortlist && !x.shortlist.empty();
  const std::size_t n = use_short ? x.shortlist.size() : x.candidates.size();
  const bool p99_tpot_bound =
      vp.kind == "server_slo" && vp.concurrency == 0 && vp.tpot_ms > 0.0 && vp.slo_tail <= 0.01 && !x.prefill_metric;
  struct ranked_candidate {
    double rank, value, instances;
    std::size_t k;
  };
  std::vector<ranked_candidate> feasible;
  for (std::size_t k = 0; k < n; ++k) {
    const serving_config& c = x.candidates[use_short ? x.shortlist[k] : k];
    // The verdict depth computes every figure ranked here; the latency distribution (full depth)
    // is computed once, for the configuration chosen.
    evaluation e = evaluate_config(p, c, eval_verdict);
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
    double value = 0.0;
    // Throughput delivered at the load the SLO allows (the utilisation queueing leaves).
    const double u = pool.utilisation;
    if (!throughput_value(vp.metric, p.workload, pool, u, instances, value)) {
      if (vp.metric == "tpot_ms" || vp.metric == "itl_ms") value = e.m.tpot_s * 1e3;
      else if (vp.metric == "ttft_ms") value = e.m.ttft_s * 1e3;
      else value = 1.0 / e.m.tpot_s;  // output tokens per second per user
    }
    // The operating point is the one a tuned deployment runs: the highest throughput.
    const double rank_value = x.latency_metric ? pool.output_tokens_per_s * u * instances : value;
    if (rank_value > -1.0) feasible.push_back({rank_value, value, instances, k});  // NaN never ranks
  }
  // The highest rank wins, the first in candidate order among equals. MLPerf bounds the p99 over
  // requests of each one's TPOT, not the mean the search checked: there the candidates are tried
  // from the top, each evaluated in full for its p99 TPOT (without the TTFT quantiles), until one
  // meets the bound; so only the few above the winner pay for the tail.
  std::stable_sort(feasible.begin(), feasible.end(), [](const ranked_candidate& a, const ranked_candidate& b) { return a.rank > b.rank; });
  const ranked_candidate* chosen = nullptr;
  for (const ranked_candidate& f : feasible) {
    const serving_config& c = x.candidates[use_short ? x.shortlist[f.k] : f.k];
    if (p99_tpot_bound && tpot_tail_of(p, evaluate_config(p, c, eval_full)).tpot_p99_s > p.workload.tpot_slo_s) {
      worst_reason = std::max(worst_reason, std::uint8_t(reason_tpot));
      continue;
    }
    chosen = &f;
    r.best.cfg = c;
    break;
  }
  const double best_rank = chosen ? chosen->rank : -1.0;
  const double best_instances = chosen ? chosen->instances : 0.0;
  if (chosen) r.value = chosen->value;
  if (best_rank < 0.0) {
    r.why_not = std::string("no feasible configuration (most restrictive: ") + reason_name(worst_reason) + ")";
    return r;
  }
  // The chosen configuration again at full depth, and the latency distribution at its planned
  // load where it is reported or measured: a fit (shortlist) predicts throughput points only by
  // their value, which the TTFT quantiles do not change, and they are most of a fit's time.
  const bool distribution = !shortlist || x.latency_metric;
  r.best = evaluate_config(p, r.best.cfg, distribution ? eval_report : eval_full);
  // MLPerf's Server and Interactive scenarios run at the highest load whose p99 TTFT meets the
  // round's bound, not at the plan's load, which sizes a tail prompt and a p99 wait added (above
  // the p99 of their sum): the throughput and the latency there.
  if (vp.kind == "server_slo" && vp.concurrency == 0 && vp.ttft_ms > 0.0 && !x.prefill_metric &&
      r.best.cfg.mode == mode_aggregated) {
    pool_metrics& pool = r.best.m.main;
    // An engine that admits more sequences than the batch chosen (its published cap above the
    // batch the p99 TPOT allows) queues requests on all of them: the TPOT then bounds the load.
    if (vp.engine_max_batch > 0) {
      pool.admission_slots = std::max(pool.queue_slots, double(vp.engine_max_batch) * r.best.cfg.main.lay.dp);
    }
    double u_run = std::max(pool.utilisation, utilisation_at_ttft(p, r.best, vp.ttft_ms * 1e-3, vp.slo_tail));
    // Admitted beyond the batch, the count in service is Poisson about its mean: a p99 TPOT met
    // at the batch is met by the requests that see a busier batch than the mean only if the mean
    // sits below it (queueing::poisson_occupancy_within, per rank).
    if (p99_tpot_bound && pool.admission_slots > pool.queue_slots) {
      const double b = double(r.best.cfg.main.batch);
      u_run = std::min(u_run, queueing::poisson_occupancy_within(b, detail::z_p99) / b);
    }
    pool.utilisation = u_run;
    if (distribution) r.best.m.latency = latency_at_load(p, r.best, u_run, r.best.m.prefill.utilisation);
    throughput_value(vp.metric, p.workload, pool, u_run, best_instances, r.value);
  }
  // A benchmark at a stated request rate: the configuration at the occupancy the rate makes
  // (request_rate_evaluation); a throughput is the rate's, up to the capacity.
  if (vp.kind == "request_rate" && r.best.cfg.mode == mode_aggregated && best_instances > 0.0) {
    double u = 0.0;
    r.best = request_rate_evaluation(p, vp, r.best, best_instances, u);
    const pool_metrics& pool = r.best.m.main;
    throughput_value(vp.metric, p.workload, pool, u, best_instances, r.value);
  }
  if (vp.kind == "burst" && r.best.cfg.mode == mode_aggregated) {
    r.value = burst_value(p, vp, r.best, best_instances, x.output_sigma);
  }
  if (x.latency_metric && !x.prefill_metric) r.value = latency_value(p, vp, r.best);
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
        evaluation e = evaluate_config(p, x.candidates[k], eval_verdict);
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

}  // namespace tokenplan
