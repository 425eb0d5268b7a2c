// tokenplan validate: predicted vs measured on published points, in-sample and leave-one-source-out.
// tokenplan calibrate: fit the factors per GPU family and per engine, write calibration.json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>
#include <iostream>
#include <map>
#include <sstream>

#include "io/atomic_file.hpp"
#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "base/errors.hpp"
#include "search/plan.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"
#include "base/text.hpp"
#include "validate/validation.hpp"

#ifndef TOKENPLAN_VERSION
#define TOKENPLAN_VERSION "0.0.0-dev"
#endif

namespace tokenplan {

namespace {

const char* const validate_help = R"(tokenplan validate - the model against published measurements

Usage:
  tokenplan validate FILE... [--format table|json] [--no-loo] [--calibration FILE] [--out FILE]

Each FILE holds measured points as JSON Lines (see configs/validation/ and docs/validation.md):
model, GPU and count, engine, parallelism, precision, input/output lengths, operating point
(offline, server SLO, concurrency, max throughput, burst, production, request rate), metric,
value, source. What a point does not publish (TP, precision, batch) is searched, and the
best-throughput feasible configuration is the prediction; a point at a request rate is predicted
at the occupancy the rate makes (Little's law). For every point it prints predicted vs
measured, the absolute percentage error and, leave-one-source-out, the error once the factors
are refitted (from their fixed priors, as 'tokenplan calibrate' fits them) without any point of
the point's source (one MLPerf round, one blog: the point's source_group). The summary leads
with the cross-validated figures: median and p90 error and the share of points off by more than
1.5x, overall and per category (dense and MoE throughput, TTFT, TPOT, per-user speed), then the
same in-sample, then each fitted factor with its range across the folds (a factor that swings
is missing physics). --no-loo skips the refits (in-sample only; a second instead of a minute).
The table fits 80 columns; --wide puts each point's metric and configuration on its line
(100+ columns).

Examples:
  tokenplan validate configs/validation/public-points.jsonl
  tokenplan validate configs/validation/*.jsonl --format json --out validation.json
)";

const char* const calibrate_help = R"(tokenplan calibrate - fit the model's factors to published measurements

Usage:
  tokenplan calibrate FILE... [--calibration START] [--out FILE]

Fits, by robust Levenberg-Marquardt on log errors, a few factors per GPU family (achieved GEMM
and HBM fractions, per-layer and per-step overheads, all-reduce latency and efficiency, and for
families with enough expert-parallel points the all-to-all latency, the share of the shorter
side an overlap under the all-to-all hides (two-batch or single-batch) and
expert imbalance) and one step-time factor per serving engine (the reference engine stays 1).
Never per model or per point. Every fit starts from the file's fixed priors and is pulled
gently towards them; each factor is bounded to a physical range. A family's factors are fitted
only with 14 or more points from two or more sources (6 expert-parallel points for its
expert-parallel factors), an engine's only with 4 or more points on two or more GPU types;
the rest stay at their priors, and the fit provenance says which and why. Latency points
(TTFT, TPOT) are predicted, never fitted.
Writes the calibration file (START with the fitted values; stdout without --out). After
changing factors, regenerate the golden outputs: bash tests/golden/regenerate.sh

Example:
  tokenplan calibrate configs/validation/public-points.jsonl --out configs/calibration.json
)";

struct loaded {
  std::vector<std::string> files;
  std::vector<validation_point> points;
  config_roots roots;
  calibration cal;
  std::string cal_path;
};

loaded load_inputs(const cxxopts::ParseResult& a, const std::vector<std::string>& files) {
  loaded l;
  l.files = files;
  if (files.empty()) throw usage_error("give at least one points file (JSON Lines)");
  for (const std::string& f : files) {
    std::vector<validation_point> p = load_points(f);
    l.points.insert(l.points.end(), p.begin(), p.end());
  }
  l.roots = default_roots("");
  l.cal_path = calibration_path(a, l.roots);
  l.cal = load_calibration(l.cal_path);
  return l;
}

std::string fmt(const char* f, double x) {
  char b[64];
  std::snprintf(b, sizeof b, f, x);
  return b;
}

ojson summary_json(const error_summary& s) {
  ojson j;
  j["points_predicted"] = s.predicted;
  j["points_skipped"] = s.skipped;
  j["median_ape"] = s.median_ape;
  j["p90_ape"] = s.p90_ape;
  j["mean_ape"] = s.mean_ape;
  j["median_abs_log_ratio"] = s.median_abs_log;
  j["p90_abs_log_ratio"] = s.p90_abs_log;
  j["max_ratio"] = s.max_ratio;
  j["points_over_1_5x"] = s.over_1_5x;
  j["share_over_1_5x"] = s.share_over_1_5x;
  return j;
}

ojson summary_json(const error_summary& s);

/// One category's errors, in-sample and leave-one-source-out.
struct category_row {
  std::string name;  ///< "all" or one of error_categories()
  error_summary in_sample, cross;
};

std::vector<category_row> by_category(const predictor& pred, const std::vector<point_result>& res,
                                      const std::vector<point_result>& loo) {
  std::vector<std::string> names = {"all"};
  for (const std::string& c : error_categories()) names.push_back(c);
  std::vector<category_row> rows;
  for (const std::string& name : names) {
    std::vector<point_result> a, b;
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (name != "all" && pred.category(i) != name) continue;
      if (!res[i].predicted) continue;  // skipped points are counted once, in the overall summary
      a.push_back(res[i]);
      if (!loo.empty()) b.push_back(loo[i]);
    }
    rows.push_back({name, summarize(a), summarize(b)});
  }
  return rows;
}

/// The leave-one-source-out points whose GPU family was too thinly measured in their fold to fit
/// (`unfitted`: predicted from the datasheet and borrowed factors) or was fitted (the others).
error_summary by_family_fit(const std::vector<point_result>& loo, bool unfitted) {
  std::vector<point_result> pick;
  for (const point_result& r : loo) {
    if (r.predicted && r.family_unfitted == unfitted) pick.push_back(r);
  }
  return summarize(pick);
}

/// One fitted factor: the shipped value, its prior, and its range over the folds.
struct factor_row {
  std::string name;
  double value = 0, prior = 0, lo = 0, hi = 0;
  std::size_t folds = 0;  ///< folds that fitted it
  bool wide = false;      ///< the range spans more than a quarter of the value
};

std::vector<factor_row> factor_ranges(const calibration& cal, const std::vector<fold_result>& folds) {
  std::map<std::string, factor_row> by_name;
  for (const fold_result& f : folds) {
    for (const fitted_factor& x : f.fit.factors) {
      factor_row& r = by_name[x.name];
      if (r.folds == 0) {
        r.name = x.name;
        r.prior = x.prior;
        r.lo = r.hi = x.value;
        if (!factor_value(cal, x.name, &r.value)) r.value = x.value;
      }
      r.lo = std::min(r.lo, x.value);
      r.hi = std::max(r.hi, x.value);
      ++r.folds;
    }
  }
  std::vector<factor_row> out;
  for (auto& kv : by_name) {
    factor_row r = kv.second;
    r.wide = r.value > 0 && (r.hi - r.lo) > 0.25 * r.value;
    out.push_back(r);
  }
  return out;
}

/// A factor for people: times in microseconds (the file's unit), fractions as they are.
double shown(const std::string& name, double v) {
  return name.size() > 3 && name.compare(name.size() - 3, 3, "_us") == 0 ? v * 1e6 : v;
}

std::string category_label(const std::string& c) {
  if (c == "dense_throughput") return "dense throughput";
  if (c == "moe_throughput") return "MoE throughput";
  if (c == "ttft") return "TTFT";
  if (c == "tpot") return "TPOT";
  if (c == "per_user_speed") return "per-user speed";
  return c;
}

}  // namespace

int cmd_validate(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  cxxopts::Options opts("tokenplan validate", "");
  opts.add_options()("format", "", cxxopts::value<std::string>()->default_value("table"))(
      "calibration", "", cxxopts::value<std::string>())("no-loo", "")("out", "", cxxopts::value<std::string>())(
      "quiet", "")("wide", "")("h,help", "")("files", "", cxxopts::value<std::vector<std::string>>());
  opts.parse_positional({"files"});
  cxxopts::ParseResult a;
  const std::vector<std::string> known = {"format", "calibration", "no-loo", "out", "quiet", "wide", "help"};
  if (!parse_command(opts, argc, argv, known, validate_help, out, a)) return 0;
  set_table_width(a.count("wide") ? 100 : 80);
  const std::string format = a["format"].as<std::string>();
  if (format != "json" && format != "table") throw usage_error("--format: expected json or table, found \"" + format + "\"");
  loaded in = load_inputs(a, a.count("files") ? a["files"].as<std::vector<std::string>>() : std::vector<std::string>{});
  predictor pred(in.points, in.roots, in.cal);
  std::vector<point_result> res = pred.predict_all();
  std::vector<point_result> loo;
  std::vector<fold_result> folds;
  if (!a.count("no-loo")) {
    const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (!a.count("quiet")) {
      err << "validate: leave-one-source-out refits (" << res.size() << " points) on " << threads << " threads...\n"
          << std::flush;
    }
    loo = leave_one_source_out(in.points, in.roots, in.cal, fit_options{}, threads, &folds);
  }
  const error_summary s = summarize(res);
  const error_summary sl = loo.empty() ? error_summary{} : summarize(loo);
  const std::vector<category_row> cats = by_category(pred, res, loo);
  const std::vector<factor_row> factors = factor_ranges(in.cal, folds);

  std::string text;
  if (format == "json") {
    ojson j = json_document("validate");
    j["schema_version"] = "2.0.0";  // configs/schema/validate-report.schema.json: versioned on its own
    j["inputs"] = {{"points", in.files}, {"calibration", in.cal_path}};
    ojson pts = ojson::array();
    for (std::size_t i = 0; i < res.size(); ++i) {
      const validation_point& p = *res[i].point;
      ojson o;
      o["id"] = p.id;
      o["model"] = p.model;
      o["gpu"] = p.gpu;
      o["gpus"] = p.gpus;
      o["engine"] = p.engine;
      o["metric"] = p.metric;
      o["scope"] = p.scope;
      o["measured"] = p.value;
      o["fit"] = p.fit;
      o["source_group"] = p.source_group;
      o["category"] = pred.category(i);
      if (res[i].predicted) {
        o["predicted"] = res[i].value;
        o["ape"] = res[i].ape;
        o["abs_log_ratio"] = std::fabs(res[i].log_ratio);
        o["config"] = res[i].config;
        if (!loo.empty() && loo[i].predicted) {
          o["loso_predicted"] = loo[i].value;
          o["loso_ape"] = loo[i].ape;
          o["loso_family_unfitted"] = loo[i].family_unfitted;
        } else if (!loo.empty()) {
          o["loso_predicted"] = nullptr;
          o["loso_failed_because"] = loo[i].why_not;
        }
      } else {
        o["predicted"] = nullptr;
        o["skipped_because"] = res[i].why_not;
      }
      o["source"] = p.source;
      pts.push_back(o);
    }
    j["points"] = pts;
    j["summary"] = summary_json(s);
    if (!loo.empty()) {
      j["leave_one_source_out"] = summary_json(sl);
      j["leave_one_source_out_by_family_fit"] = {{"family_unfitted", summary_json(by_family_fit(loo, true))},
                                                 {"family_fitted", summary_json(by_family_fit(loo, false))}};
    }
    ojson cj = ojson::object();
    for (const category_row& c : cats) {
      if (c.name == "all") continue;
      ojson one;
      one["in_sample"] = summary_json(c.in_sample);
      if (!loo.empty()) one["leave_one_source_out"] = summary_json(c.cross);
      cj[c.name] = one;
    }
    j["categories"] = cj;
    if (!loo.empty()) {
      ojson fs = ojson::array();
      for (const factor_row& f : factors) {
        fs.push_back({{"name", f.name}, {"value", shown(f.name, f.value)}, {"prior", shown(f.name, f.prior)},
                      {"fold_min", shown(f.name, f.lo)}, {"fold_max", shown(f.name, f.hi)}, {"folds", f.folds},
                      {"wide", f.wide}});
      }
      j["factors"] = fs;
      ojson gs = ojson::array();
      for (const fold_result& f : folds) gs.push_back({{"group", f.group}, {"points", f.points}});
      j["folds"] = gs;
    }
    text = j.dump(2) + "\n";
  } else {
    std::ostringstream o;
    char line[512];
    // --wide: one line per point with every column; 80 columns: the point, its numbers, and the
    // metric and configuration on a second, indented line.
    const bool wide = wide_tables();
    if (wide) {
      std::snprintf(line, sizeof line, "%-40s %-14s %-24s %11s %11s %7s %7s  %s\n", "point", "gpu x n", "metric (scope)",
                    "measured", "predicted", "err%", "loso%", "configuration");
    } else {
      std::snprintf(line, sizeof line, "%-30s %-14s %9s %9s %6s %6s\n", "point", "gpu x n", "measured", "predicted",
                    "err%", "loso%");
    }
    o << line;
    for (std::size_t i = 0; i < res.size(); ++i) {
      const validation_point& p = *res[i].point;
      // The point's strings come from the file as they are: printable() for the table.
      const std::string id = printable(p.id);
      std::string gpu = printable(p.gpu) + " x" + std::to_string(p.gpus);
      std::string metric = p.metric + " (" + p.scope + ")";
      const std::string loo_s = !res[i].predicted ? "-"
                                : loo.empty()      ? "-"
                                : loo[i].predicted ? fmt("%.1f%%", 100.0 * loo[i].ape)
                                                   : "none";
      const std::string err_s = res[i].predicted ? fmt("%.1f%%", 100.0 * res[i].ape) : "-";
      const std::string predicted = res[i].predicted ? short_number(res[i].value) : "-";
      const std::string tail = res[i].predicted ? res[i].config + (p.fit ? "" : "  (not fitted)")
                                                : "skipped: " + printable(res[i].why_not);
      if (wide) {
        std::snprintf(line, sizeof line, "%-40.40s %-14.14s %-24.24s %11s %11s %7s %7s  %s\n", id.c_str(), gpu.c_str(),
                      metric.c_str(), short_number(p.value).c_str(), predicted.c_str(), err_s.c_str(), loo_s.c_str(),
                      tail.c_str());
        o << line;
      } else {
        std::snprintf(line, sizeof line, "%-30.30s %-14.14s %9s %9s %6s %6s\n", id.c_str(), gpu.c_str(),
                      short_number(p.value).c_str(), predicted.c_str(), err_s.c_str(), loo_s.c_str());
        o << line << fit_to_width("    " + metric + "; " + tail + "\n");
      }
    }
    o << "\n" << s.predicted << " points predicted, " << s.skipped << " skipped (inputs not published or not modelled)\n";
    auto pct = [](double x) { return fmt("%.1f%%", 100.0 * x); };
    if (!loo.empty()) {
      o << "\nLeave-one-source-out: the factors refitted from their priors without any point\n"
        << "of the point's source (" << folds.size() << " sources). These are the figures that count.\n";
    }
    const bool cv = !loo.empty();
    if (cv) {
      std::snprintf(line, sizeof line, "%-18s %6s  %7s %7s %6s  %7s %7s %6s\n", "category", "points", "median", "p90",
                    ">1.5x", "in-samp", "p90", ">1.5x");
    } else {
      std::snprintf(line, sizeof line, "\nin-sample:\n%-18s %6s  %7s %7s %6s\n", "category", "points", "median", "p90",
                    ">1.5x");
    }
    o << line;
    for (const category_row& c : cats) {
      if (c.in_sample.predicted == 0) continue;
      const std::string label = category_label(c.name);
      if (cv) {
        std::snprintf(line, sizeof line, "%-18s %6zu  %7s %7s %6s  %7s %7s %6s\n", label.c_str(), c.in_sample.predicted,
                      pct(c.cross.median_ape).c_str(), pct(c.cross.p90_ape).c_str(), pct(c.cross.share_over_1_5x).c_str(),
                      pct(c.in_sample.median_ape).c_str(), pct(c.in_sample.p90_ape).c_str(),
                      pct(c.in_sample.share_over_1_5x).c_str());
      } else {
        std::snprintf(line, sizeof line, "%-18s %6zu  %7s %7s %6s\n", label.c_str(), c.in_sample.predicted,
                      pct(c.in_sample.median_ape).c_str(), pct(c.in_sample.p90_ape).c_str(),
                      pct(c.in_sample.share_over_1_5x).c_str());
      }
      o << line;
    }
    o << "(median and p90 of |predicted - measured| / measured; >1.5x: the share of\n"
      << "points off by more than 1.5x either way)\n";
    if (cv) {
      // A GPU nobody measured is predicted from its datasheet and borrowed factors: that error is a
      // different promise from the fitted families' and is shown apart.
      const error_summary at = by_family_fit(loo, true), fitted = by_family_fit(loo, false);
      std::snprintf(line, sizeof line, "%-18s %6zu  %7s %7s %6s\n", "family unfitted", at.predicted,
                    pct(at.median_ape).c_str(), pct(at.p90_ape).c_str(), pct(at.share_over_1_5x).c_str());
      o << line;
      std::snprintf(line, sizeof line, "%-18s %6zu  %7s %7s %6s\n", "family fitted", fitted.predicted,
                    pct(fitted.median_ape).c_str(), pct(fitted.p90_ape).c_str(), pct(fitted.share_over_1_5x).c_str());
      o << line;
      o << "(family unfitted: the point's GPU family had too few points left in its fold\n"
        << "to fit; predicted from the datasheet and the best-measured family's factors, or\n"
        << "the priors when no family was fitted)\n";
    }
    o << "in-sample |ln(predicted/measured)|: median " << fmt("%.3f", s.median_abs_log) << ", p90 "
      << fmt("%.3f", s.p90_abs_log) << "; worst point off by " << fmt("%.2f", s.max_ratio) << "x\n";
    if (!loo.empty()) {
      std::size_t lost = 0;
      for (std::size_t i = 0; i < res.size(); ++i) {
        if (res[i].predicted && !loo[i].predicted) {
          ++lost;
          o << "  leave-one-source-out: " << res[i].point->id << " has no prediction once refitted without its source ("
            << loo[i].why_not << ")\n";
        }
      }
      if (lost > 0) o << "  (" << lost << " point(s) left out of the leave-one-source-out figures above)\n";
      o << "\nFitted factors: shipped value, [range over the folds], fixed prior. \"wide\":\n"
        << "the range spans over a quarter of the value, a sign of missing physics.\n";
      for (const factor_row& f : factors) {
        std::snprintf(line, sizeof line, "  %-30s %8.4g [%.4g .. %.4g] prior %.4g%s\n", f.name.c_str(),
                      shown(f.name, f.value), shown(f.name, f.lo), shown(f.name, f.hi), shown(f.name, f.prior),
                      f.wide ? " wide" : "");
        o << line;
      }
    }
    text = fit_to_width(o.str());
  }
  if (a.count("out")) write_file_atomic(a["out"].as<std::string>(), text);
  else write_stdout(out, text);
  return 0;
}

int cmd_calibrate(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  cxxopts::Options opts("tokenplan calibrate", "");
  opts.add_options()("calibration", "", cxxopts::value<std::string>())("out", "", cxxopts::value<std::string>())(
      "max-iterations", "", cxxopts::value<std::string>()->default_value("60"))("quiet", "")("h,help", "")(
      "files", "", cxxopts::value<std::vector<std::string>>());
  opts.parse_positional({"files"});
  cxxopts::ParseResult a;
  const std::vector<std::string> known = {"calibration", "out", "max-iterations", "quiet", "help"};
  if (!parse_command(opts, argc, argv, known, calibrate_help, out, a)) return 0;
  loaded in = load_inputs(a, a.count("files") ? a["files"].as<std::vector<std::string>>() : std::vector<std::string>{});
  predictor pred(in.points, in.roots, in.cal);
  const error_summary before = summarize(pred.predict_all());
  fit_options fo;
  fo.max_iterations = static_cast<int>(count_option(a, "max-iterations", 1, 1000));
  fit_result f = fit_calibration(pred, in.cal, fo);
  const error_summary after = summarize(pred.predict_all());
  if (!a.count("quiet")) {
    err << "calibrate: " << f.parameters.size() << " factors, " << f.iterations << " iterations; median error "
        << fmt("%.1f", 100 * before.median_ape) << "% -> " << fmt("%.1f", 100 * after.median_ape) << "% over "
        << after.predicted << " points\n";
  }

  // Rewrite the starting file with the fitted values, keeping its sources and key order.
  input_file start = read_input_file(in.cal_path);
  ojson j = ojson::parse(start.text);
  auto& fams = j["families"];
  for (const auto& kv : f.cal.families) {
    if (!fams.contains(kv.first)) continue;
    ojson& o = fams[kv.first];
    const efficiency_factors& e = kv.second;
    auto round6 = [](double x) { return std::round(x * 1e6) / 1e6; };
    o["gemm"] = round6(e.gemm);
    o["hbm"] = round6(e.hbm);
    o["layer_overhead_us"] = round6(e.layer_overhead_s * 1e6);
    o["step_overhead_us"] = round6(e.step_overhead_s * 1e6);
    o["sequence_overhead_us"] = round6(e.sequence_overhead_s * 1e6);
    o["alltoall_latency_us"] = round6(e.alltoall_latency_s * 1e6);
    o["moe_overlap"] = round6(e.moe_overlap);
    o["expert_imbalance"] = round6(e.expert_imbalance);
    o["allreduce_latency_us"] = round6(e.allreduce_latency_s * 1e6);
    o["allreduce_efficiency"] = round6(e.allreduce_efficiency);
  }
  for (const auto& kv : f.cal.engines) {
    if (j["engines"].contains(kv.first)) j["engines"][kv.first] = std::round(kv.second * 1e6) / 1e6;
  }
  ojson fit;
  fit["by"] = std::string("tokenplan ") + TOKENPLAN_VERSION + " calibrate";
  fit["points_files"] = in.files;
  fit["points_predicted"] = after.predicted;
  fit["parameters"] = f.parameters;
  fit["held_at_prior"] = f.held;
  fit["borrowed"] = f.borrowed;
  fit["median_ape_before"] = before.median_ape;
  fit["median_ape_after"] = after.median_ape;
  fit["p90_ape_after"] = after.p90_ape;
  j["fit"] = fit;
  const std::string text = j.dump(2) + "\n";
  if (a.count("out")) write_file_atomic(a["out"].as<std::string>(), text);
  else write_stdout(out, text);
  return 0;
}

}  // namespace tokenplan
