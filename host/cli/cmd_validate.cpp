// tokenplan validate: predicted vs measured on published points, with leave-one-out errors.
// tokenplan calibrate: fit the factors per GPU family and per engine, write calibration.json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>
#include <iostream>
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
(offline, server SLO, concurrency, max throughput, production), metric, value, source. What a
point does not publish (TP, precision, batch) is searched, and the best-throughput feasible
configuration is the prediction. For every point it prints predicted vs measured, the absolute
percentage error and |ln(predicted/measured)|; then the median and p90 over points, and a
leave-one-out median: the factors refitted without each point (as 'tokenplan calibrate' fits
them), then that point predicted. --no-loo skips the refits. The table fits 80 columns;
--wide puts each point's metric and configuration on its line (100+ columns).

Examples:
  tokenplan validate configs/validation/public-points.jsonl
  tokenplan validate configs/validation/*.jsonl --format json --out validation.json
)";

const char* const calibrate_help = R"(tokenplan calibrate - fit the model's factors to published measurements

Usage:
  tokenplan calibrate FILE... [--calibration START] [--out FILE]

Fits, by robust Levenberg-Marquardt on log errors, a few factors per GPU family (achieved GEMM
and HBM fractions, per-layer and per-step overheads, and for families with expert-parallel
points the all-to-all latency, two-batch-overlap share and expert imbalance) and one step-time
factor per serving engine (the reference engine stays 1). Never per model or per point. Each
factor is bounded to a physical range and pulled gently towards its documented estimate.
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
  return j;
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
  if (!a.count("no-loo")) {
    const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (!a.count("quiet")) {
      err << "validate: leave-one-out refits of " << res.size() << " points on " << threads << " threads...\n" << std::flush;
    }
    fit_options lo;
    lo.max_iterations = 8;  // warm start from the full fit: a few steps reach the refit
    loo = leave_one_out(in.points, in.roots, in.cal, lo, threads);
  }
  const error_summary s = summarize(res);
  const error_summary sl = loo.empty() ? error_summary{} : summarize(loo);

  std::string text;
  if (format == "json") {
    ojson j = json_document("validate");
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
      if (res[i].predicted) {
        o["predicted"] = res[i].value;
        o["ape"] = res[i].ape;
        o["abs_log_ratio"] = std::fabs(res[i].log_ratio);
        o["config"] = res[i].config;
        if (!loo.empty() && loo[i].predicted) {
          o["loo_predicted"] = loo[i].value;
          o["loo_ape"] = loo[i].ape;
        } else if (!loo.empty() && p.fit) {
          o["loo_predicted"] = nullptr;
          o["loo_failed_because"] = loo[i].why_not;
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
    if (!loo.empty()) j["leave_one_out"] = summary_json(sl);
    text = j.dump(2) + "\n";
  } else {
    std::ostringstream o;
    char line[512];
    // --wide: one line per point with every column; 80 columns: the point, its numbers, and the
    // metric and configuration on a second, indented line.
    const bool wide = wide_tables();
    if (wide) {
      std::snprintf(line, sizeof line, "%-40s %-14s %-24s %11s %11s %7s %7s  %s\n", "point", "gpu x n", "metric (scope)",
                    "measured", "predicted", "err%", "loo%", "configuration");
    } else {
      std::snprintf(line, sizeof line, "%-30s %-14s %9s %9s %6s %6s\n", "point", "gpu x n", "measured", "predicted",
                    "err%", "loo%");
    }
    o << line;
    for (std::size_t i = 0; i < res.size(); ++i) {
      const validation_point& p = *res[i].point;
      // The point's strings come from the file as they are: printable() for the table.
      const std::string id = printable(p.id);
      std::string gpu = printable(p.gpu) + " x" + std::to_string(p.gpus);
      std::string metric = p.metric + " (" + p.scope + ")";
      const std::string loo_s = !res[i].predicted               ? "-"
                                : loo.empty() || !p.fit         ? "-"
                                : loo[i].predicted              ? fmt("%.1f%%", 100.0 * loo[i].ape)
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
    o << "absolute percentage error: median " << fmt("%.1f", 100 * s.median_ape) << "%, p90 " << fmt("%.1f", 100 * s.p90_ape)
      << "%, mean " << fmt("%.1f", 100 * s.mean_ape) << "%\n";
    o << "|ln(predicted/measured)|: median " << fmt("%.3f", s.median_abs_log) << ", p90 " << fmt("%.3f", s.p90_abs_log)
      << "; worst point off by " << fmt("%.2f", s.max_ratio) << "x\n";
    if (!loo.empty()) {
      o << "leave-one-out (factors refitted without each point): median " << fmt("%.1f", 100 * sl.median_ape) << "%, p90 "
        << fmt("%.1f", 100 * sl.p90_ape) << "%, worst " << fmt("%.2f", sl.max_ratio) << "x\n";
      std::size_t lost = 0;
      for (std::size_t i = 0; i < res.size(); ++i) {
        if (res[i].predicted && res[i].point->fit && !loo[i].predicted) {
          ++lost;
          o << "  leave-one-out: " << res[i].point->id << " has no prediction once refitted without it ("
            << loo[i].why_not << ")\n";
        }
      }
      if (lost > 0) o << "  (" << lost << " point(s) left out of the leave-one-out figures above)\n";
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
