// Validation against published measurements: read measured points (JSON Lines), predict each
// with the model, report the errors, and fit the calibration factors (a few per GPU family, one
// per serving engine) from fixed priors, with leave-one-source-out refits.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/loaders.hpp"
#include "tokenplan/model.hpp"

namespace tokenplan {

/// One measured point, as configs/validation/*.jsonl holds it (docs/config-formats.md, "Validation points").
struct validation_point {
  std::string file;
  std::size_t line = 0;
  std::string id, model, gpu, engine, engine_version;
  std::uint32_t gpus = 0;
  // parallelism; 0 = not published (searched)
  std::uint32_t tp = 0, pp = 0, ep = 0, dp = 0;
  bool attention_dp = false;  ///< TensorRT-LLM style: tp ranks run attention data-parallel
  bool disaggregated = false;
  std::uint32_t prefill_gpus = 0, decode_gpus = 0;
  std::string weights, kv_cache;  ///< "" = not published (searched)
  bool fp8_attention = false;  ///< precision.attention "fp8": the source's attention kernels multiply in FP8
  double input_tokens = 0, output_tokens = 0, input_max = 0, input_p50 = 0, prefix_cache_hit = 0;
  double input_p99 = 0;            ///< the data set's 99th-percentile prompt (0: not published)
  double output_std = 0;           ///< standard deviation of the answers' lengths (0: not published)
  double output_max = 0;           ///< the longest answer the data set allows (0: not published)
  /// offline | server_slo | concurrency | max_throughput | burst | production | request_rate. A
  /// burst: `requests` prompts submitted at once, throughput over the time to the last answer. A
  /// request rate: Poisson arrivals at `request_rate`, latency at the load they make.
  std::string kind;
  std::uint32_t concurrency = 0;
  std::uint32_t requests = 0;      ///< a burst's prompt count (0 for every other kind)
  double request_rate = 0;         ///< kind request_rate: requests per second over the point's scope (else 0)
  /// The engine's published cap on sequences in flight per attention-DP rank (per instance
  /// without attention DP): vLLM max_num_seqs, TensorRT-LLM max_batch_size (MLPerf gpu_batch_size),
  /// SGLang max_running_requests. 0: not published (the batch is searched, and admission is
  /// capped at it).
  std::uint32_t engine_max_batch = 0;
  /// The engine's token budget per step per attention-DP rank (per instance without attention
  /// DP), as the source ran it: vLLM max_num_batched_tokens, SGLang chunked_prefill_size (which
  /// SGLang divides by the DP size under DP attention), TensorRT-LLM max_num_tokens; a default
  /// read from the engine's source where the source says it ran defaults. 0: not published (the
  /// chunk is searched).
  std::uint32_t engine_max_tokens = 0;
  /// The engine takes new prompts once every this many steps: vLLM's multi-step scheduling
  /// (num_scheduler_steps), TensorRT-LLM's attention-DP balancing (adp_balancing_timeout_iters).
  /// 0: not published (every step).
  std::uint32_t admission_steps = 0;
  /// What the engine hides under the expert all-to-all (moe_overlap_kind): parallelism
  /// "moe_overlap", or the engine's default (TensorRT-LLM: none; others: two batches where it pays).
  std::uint8_t moe_overlap_mode = 0;
  /// The engine launches a step before it takes in new requests (an overlap scheduler: a new
  /// prompt waits one more step): operating_point "overlap_scheduler", or the engine's default
  /// (SGLang without speculative decoding or PP: on; TensorRT-LLM and vLLM: off).
  bool overlap_scheduler = false;
  double ttft_ms = 0, tpot_ms = 0;
  double slo_tail = 0.01;          ///< from latency_percentile: p99 -> 0.01, mean -> 0.5
  std::string latency_percentile;  ///< as given: "p99", "mean", "median", ... ("" when none)
  std::string value_statistic;      ///< latency points: what the value is ("mean", "p50", "p90", "p99"; "" unstated)
  std::uint32_t draft_tokens = 0;  ///< speculative draft tokens (0: none)
  double draft_acceptance = 0;
  std::string metric, scope;
  double value = 0;
  std::string source, notes;
  std::string source_group;        ///< leave-one-source-out unit ("mlperf-inference-v5.1"); default: the id
  bool fit = true;                 ///< false: reported but not used to fit the factors
};

/// Phi^-1(q), by bisection on the model's normal CDF (|z| <= 8).
double normal_quantile(double q);

/// An open burst's throughput, in the point's metric, over `instances` instances of `best` (a
/// full evaluation of the configuration chosen for `vp`, a point of kind "burst" on problem `p`);
/// `output_sigma`: the log-sd of the answers' lognormal (0: every answer the mean).
double burst_value(const problem& p, const validation_point& vp, const evaluation& best, double instances,
                   double output_sigma);

/// A point of kind "request_rate" (Poisson arrivals at vp.request_rate over `instances`
/// instances of `best`, a full evaluation of the configuration chosen for it on problem `p`): the
/// configuration at the occupancy Little's law gives, evaluated in full with its latency at the
/// rate's utilisation `u` of that occupancy's capacity (validation_rate.cpp).
/// A latency point's prediction, like with like (the statistic the point measured) for the
/// configuration `best` chose (validation_latency.cpp).
double latency_value(const problem& p, const validation_point& vp, const evaluation& best);

evaluation request_rate_evaluation(const problem& p, const validation_point& vp, const evaluation& best,
                                   double instances, double& u);

/// Reads JSON Lines of points. Throws config_error naming file, line and field.
std::vector<validation_point> load_points(const std::string& path);

/// The prediction for one point.
struct point_result {
  const validation_point* point = nullptr;
  bool predicted = false;
  std::string why_not;  ///< when not predicted: the missing input or the infeasibility
  double value = 0;     ///< predicted, in the point's metric and scope
  double ape = 0;       ///< |predicted - measured| / measured
  double log_ratio = 0; ///< ln(predicted / measured)
  evaluation best{};    ///< the configuration the prediction comes from
  std::string config;   ///< short description of it
  /// Leave-one-source-out only: the point's GPU family had too few points left in the fold to
  /// fit its factors, so it was predicted from its datasheet and the factors the fit borrowed
  /// from the best-measured family (the case of a GPU nobody has measured).
  bool family_unfitted = false;
};

/// Summary of errors over predicted points.
struct error_summary {
  std::size_t predicted = 0, skipped = 0;
  double median_ape = 0, p90_ape = 0, mean_ape = 0;
  double median_abs_log = 0, p90_abs_log = 0, max_ratio = 0;  ///< max of max(p/m, m/p)
  std::size_t over_1_5x = 0;   ///< points off by more than 1.5x either way
  double share_over_1_5x = 0;  ///< over_1_5x / predicted
};
error_summary summarize(const std::vector<point_result>& results);

/// The error categories validate reports (docs/validation.md): throughput of dense models and of
/// MoE models, TTFT, TPOT, and per-user speed.
const std::vector<std::string>& error_categories();
/// Category of a point: by its metric, and for throughput by whether `moe` (its model has experts).
std::string point_category(const validation_point& p, bool moe);

/// Predicts points. Holds each point's prepared problem and candidate configurations, so that
/// predicting again under other factors (fitting) is cheap.
class predictor {
 public:
  /// Resolves models and GPUs by name in `roots`. Points whose inputs are missing are kept and
  /// reported as not predicted, with the reason.
  predictor(const std::vector<validation_point>& points, const config_roots& roots, const calibration& cal);
  ~predictor();
  predictor(const predictor&) = delete;
  predictor& operator=(const predictor&) = delete;

  /// Applies a calibration (factors per family, per engine) to every prepared point.
  void set_calibration(const calibration& cal);
  const calibration& current() const { return cal_; }

  /// Predicts point i by searching its candidate configurations for the best throughput. With
  /// `shortlist`, only the candidates kept by the last full search are tried (fitting uses this
  /// between full searches: small changes of the factors move the best configuration little).
  point_result predict(std::size_t i, bool shortlist = false) const;
  std::vector<point_result> predict_all() const;
  /// Full search of every point, rebuilding the shortlists.
  void refresh_shortlists();
  std::size_t size() const;
  /// GPU family of point i ("" when unresolved).
  const std::string& family(std::size_t i) const;
  const std::string& engine(std::size_t i) const;
  /// Error category of point i (point_category; "" when its model is unknown).
  const std::string& category(std::size_t i) const;

 private:
  struct prepared;
  std::vector<std::unique_ptr<prepared>> points_;
  calibration cal_;
};

/// Options of a fit.
struct fit_options {
  int max_iterations = 60;
  double huber_delta = 0.25;   ///< log-error beyond which a point's weight falls (robust fit)
  double prior_weight = 0.1;   ///< pull towards the priors, per prior sigma
  std::string exclude_group;   ///< source group left out (leave-one-source-out), or none
};

/// One fitted factor: its name ("hopper.gemm", "engine.vllm"), value and fixed prior.
struct fitted_factor {
  std::string name;
  double value = 0, prior = 0;
  std::size_t points = 0;  ///< fitted points that identify it (its family's, or its engine's)
};

/// The result of fitting.
struct fit_result {
  calibration cal;
  double objective = 0;
  int iterations = 0;
  std::vector<std::string> parameters;  ///< "hopper.gemm", "engine.vllm", ...
  std::vector<fitted_factor> factors;   ///< the same, with values and priors
  std::vector<std::string> held;        ///< factors left at their prior, and why
  std::vector<std::string> held_families;  ///< families too thinly measured to fit their base factors
  std::vector<std::string> borrowed;  ///< which of those took the best-measured family's factors instead
};

/// The calibration every fit starts from: each family's factors at the file's fixed priors and
/// every engine at its prior (the reference engine at 1). Without a priors block, `cal` itself.
calibration prior_calibration(const calibration& cal);

/// Fits, from prior_calibration(start), the factors the fitted points identify:
///  - a GPU family's seven base factors when it has at least 14 fitted points from at least two
///    source groups (two points per factor), its three expert-parallel factors when at
///    least 6 of those points run expert parallelism, again from two groups or more;
///  - an engine's factor when at least 4 fitted points on at least two GPU types use it, so that
///    an engine is never identified by one GPU's points (engine and hardware confounded).
/// Everything else stays at its prior (listed in fit_result::held). `pred` ends holding the fit.
fit_result fit_calibration(predictor& pred, const calibration& start, const fit_options& opt);

/// The value of a factor named as fit_result::parameters names it ("hopper.gemm",
/// "engine.vllm") in `cal`; false when `cal` has no such factor.
bool factor_value(const calibration& cal, const std::string& name, double* value);

/// One fold of leave-one-source-out: the group left out and the factors fitted without it.
struct fold_result {
  std::string group;
  std::size_t points = 0;  ///< points of the group predicted with the fold's factors
  fit_result fit;
};

/// Leave-one-source-out: for each source group among the predicted points, refit the factors from
/// the priors without any of the group's points and predict all of them (fitted or not) with that
/// fold's factors. Runs on `threads` threads, each with its own predictor. Returns results in
/// point order (points with no prediction come back as predict_all gives them); `folds`, when
/// given, receives each fold's fit, in group order.
std::vector<point_result> leave_one_source_out(const std::vector<validation_point>& points, const config_roots& roots,
                                               const calibration& cal, const fit_options& opt, int threads,
                                               std::vector<fold_result>* folds = nullptr);

}  // namespace tokenplan
