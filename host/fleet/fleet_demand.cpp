// Demand files (configs/demands/): their classes, each a model and workload with a share of the
// tokens, the day's load profile, deferrable share and growth; and one model as a demand.
#include "fleet/fleet.hpp"

#include <cmath>
#include <filesystem>

#include "base/errors.hpp"
#include "base/format.hpp"
#include "base/text.hpp"
#include "io/json_reader.hpp"
#include "io/loaders_detail.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

namespace {

/// A class's model, workload or grid: a path (relative to the demand file) or a shipped name.
std::string resolve_ref(field_reader& r, const std::string& key, const std::string& kind, const fs::path& base,
                        const config_roots& roots) {
  std::string why;
  std::string found = resolve_named_config(roots, kind, r.string(key), base.string(), &why);
  if (found.empty()) r.fail(key, why);
  return found;
}

}  // namespace

demand_entry load_demand(const std::string& path, const config_roots& roots, const calibration& cal) {
  demand_entry d;
  json j = detail::load_json(path, &d.file);
  field_reader r(j, path, "$");
  d.name = r.string("name");
  d.description = r.string_or("description", "");
  d.tokens_per_day = r.number("tokens_per_day", at_least(min_tokens_per_day, max_tokens_per_day));
  const fs::path base = fs::path(path).parent_path();
  double shares = 0.0;
  std::vector<field_reader> classes = r.objects("classes");
  for (std::size_t i = 0; i < classes.size(); ++i) {
    field_reader& c = classes[i];
    demand_class dc;
    dc.name = c.string("name");
    for (const demand_class& other : d.classes) {
      if (other.name == dc.name) c.fail("name", "duplicate class name \"" + dc.name + "\"");
    }
    dc.share = c.number("share", {0.0, 1.0, true});
    shares += dc.share;
    const std::string model_path = resolve_ref(c, "model", "models", base, roots);
    const std::string workload_path = resolve_ref(c, "workload", "workloads", base, roots);
    std::string grid_path;
    c.allow("grid");
    if (c.has("grid")) grid_path = resolve_ref(c, "grid", "grids", base, roots);
    const std::string engine = c.string_or("engine", "");
    c.finish();
    dc.model = load_model(model_path);
    dc.workload = load_workload(workload_path);
    dc.grid = grid_path.empty() ? default_grid(dc.model.spec) : load_grid(grid_path, dc.model.spec);
    check_draft_axis(dc.grid, dc.workload);
    if (!engine.empty() && !cal.engines.count(engine)) {
      std::vector<std::string> names;
      for (const auto& kv : cal.engines) names.push_back(kv.first);
      c.fail("engine", "unknown engine \"" + engine + "\"" + did_you_mean(engine, names) + "; " + cal.file.path +
                           " knows " + quoted_list(names));
    }
    dc.engine = resolve_engine(cal, dc.workload, engine.empty() ? "" : engine);
    d.classes.push_back(std::move(dc));
  }
  if (std::fabs(shares - 1.0) > 1e-6) {
    r.fail("classes", "the class shares add up to " + format_number(shares) + ", not 1");
  }
  field_reader prof = r.object("profile");
  d.profile_timezone = prof.string_or("timezone", "");
  const bool hourly = prof.has("hourly"), ptoa = prof.has("peak_to_average");
  if (hourly == ptoa) prof.fail_here("give exactly one of \"hourly\" (24 shares of the day) or \"peak_to_average\"");
  if (hourly) {
    const json& h = prof.raw("hourly");
    if (!h.is_array() || h.size() != 24) {
      prof.fail("hourly", "expected 24 numbers, one per hour, found " + std::string(h.is_array() ? std::to_string(h.size()) + " values" : h.type_name()));
    }
    double total = 0.0;
    for (std::size_t k = 0; k < 24; ++k) {
      if (!h[k].is_number() || !(h[k].get<double>() >= 0.0) || !std::isfinite(h[k].get<double>())) {
        throw config_error(path, prof.child_path("hourly") + "[" + std::to_string(k) + "]",
                           "expected a share >= 0, found " + h[k].dump());
      }
      d.hourly.push_back(h[k].get<double>());
      total += h[k].get<double>();
    }
    if (!(total > 0.0)) prof.fail("hourly", "the hourly shares add up to 0");
    for (double& x : d.hourly) x /= total;  // relative weights per hour, normalised
  } else {
    d.peak_to_average = prof.number("peak_to_average", at_least(1.0, 100.0));
  }
  prof.finish();
  d.deferrable_share = r.number_or("deferrable_share", 0.0, at_least(0.0, 0.95));
  d.monthly_growth = r.number_or("monthly_growth", 0.0, at_least(0.0, 10.0));
  d.start_month = r.string_or("start_month", "");
  if (!d.start_month.empty() && !valid_month(d.start_month)) {
    r.fail("start_month", "expected \"YYYY-MM\", found \"" + d.start_month + "\"");
  }
  r.finish();
  return d;
}

demand_entry single_demand(const plan_inputs& in) {
  demand_entry d;
  d.name = in.workload.name;
  d.description = in.workload.description;
  d.tokens_per_day = in.workload.spec.tokens_per_day;
  d.peak_to_average = in.workload.spec.peak_to_average;
  demand_class c;
  c.name = in.model.name;
  c.share = 1.0;
  c.model = in.model;
  c.workload = in.workload;
  c.grid = in.grid;
  c.engine = in.engine;
  d.classes.push_back(std::move(c));
  return d;
}

}  // namespace tokenplan
