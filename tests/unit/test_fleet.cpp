// The fleet layer end to end on small files: cluster economics and demand files (and their
// errors), a two-site plan where the cheaper site is power-capped, an infeasible target with
// the least-cost additions and the blocked GPU types honoured, the capacity question, the
// growth runway with deliveries, and the cost split.
#include <gtest/gtest.h>

#include <cmath>

#include "base/errors.hpp"
#include "report/fleet_report.hpp"
#include "fleet/fleet.hpp"
#include "shipped_roots.hpp"
#include "temp_dir.hpp"

namespace tokenplan {
namespace {

using testing::shipped_roots;

using nlohmann::json;
using testing::read_json_file;
using testing::shipped;
using testing::temp_dir;

template <class F>
void expect_config_error(F load, const std::string& file, const std::string& path, const std::string& needle) {
  try {
    load();
    ADD_FAILURE() << "expected config_error at " << file << " " << path;
  } catch (const config_error& e) {
    EXPECT_EQ(e.file(), file) << e.what();
    EXPECT_EQ(e.json_path(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what() << "\nwanted: " << needle;
  }
}

const calibration& cal() {
  static calibration c = load_calibration(shipped("calibration.json"));
  return c;
}

json site(const std::string& name, int gpus, double price, double cap_it_mw) {
  json s = {{"name", name}, {"gpu", "h200-sxm"}, {"gpus", gpus}, {"gpus_per_node", 8},
            {"pricing", {{"type", "lease"}, {"usd_per_gpu_hour", price}, {"includes_power", true}}},
            {"pue", 1.25}};
  if (cap_it_mw > 0) s["power_cap"] = {{"it_mw", cap_it_mw}};
  return s;
}

/// A small grid for Llama-3.1-8B: TP 1-2, batches 16-256, aggregated only.
json small_grid() {
  return {{"modes", {"aggregated"}},
          {"weight_precisions", {"fp8"}},
          {"kv_precisions", {"fp8"}},
          {"aggregated", {{"tp", {1, 2}}, {"pp", {1}}, {"chunk_tokens", {8192}}, {"batch", {{"min", 16}, {"max", 256}, {"per_octave", 4}}}}}};
}

json demand(double tokens) {
  return {{"name", "d"},
          {"tokens_per_day", tokens},
          {"classes", {{{"name", "chat"}, {"share", 1.0}, {"model", "llama-3.1-8b"}, {"workload", "chat-30tn"}, {"grid", "grid.json"}}}},
          {"profile", {{"peak_to_average", 1.5}}}};
}

fleet_request request(const temp_dir& t, const json& cluster, const json& dem) {
  fleet_request r;
  r.base.cluster_path = t.write_json("clusters/c.json", cluster);
  r.base.gpu_dirs = {shipped("gpus")};
  r.base.calibration_path = shipped("calibration.json");
  r.base.backend = "cpu";
  r.base.threads = 2;
  t.write_json("demands/grid.json", small_grid());
  r.demand_path = t.write_json("demands/d.json", dem);
  r.roots = shipped_roots();
  return r;
}

TEST(Fleet, CheaperSiteIsPowerCappedTheRestGoesToTheOther) {
  temp_dir t;
  // "cheap" at 1.5 USD/GPU-h is capped at 1.02 MW of IT load = 800 H200 at 1.275 kW;
  // "dear" at 3 USD/GPU-h is not. 4e12 tokens/day at 1.5x peak needs more than 800 GPUs.
  json c = {{"name", "c"}, {"sites", {site("cheap", 5000, 1.5, 1.02), site("dear", 5000, 3.0, 0)}}};
  fleet_result r = run_fleet(request(t, c, demand(4e12)));
  ASSERT_TRUE(r.plan.solved) << r.plan.status;
  EXPECT_TRUE(r.plan.proven_optimal);
  EXPECT_FALSE(r.needs_expansion);
  const fleet_summary& f = r.plan_summary;
  ASSERT_EQ(f.pools.size(), 2u);
  EXPECT_LE(f.pools[0].it_kw, 1020.0 + 1e-6);
  EXPECT_GT(f.pools[0].it_kw, 1020.0 - 8 * 1.275 * 2);  // filled to within a unit of the cap
  EXPECT_GT(f.pools[1].gpus_used, 0.0);
  // Cost = GPUs paid x price x 24 (power included in both prices).
  EXPECT_NEAR(f.cost_usd_per_day, f.pools[0].gpus_paid * 1.5 * 24 + f.pools[1].gpus_paid * 3.0 * 24, 1e-6);
  // The demand is met at the peak: capacity of the units used >= 1.5 x the average rate.
  double cap = 0.0;
  for (std::size_t o = 0; o < r.model.options.size(); ++o) cap += r.plan.units[0][o] * r.model.options[o].unit_rps[0];
  EXPECT_GE(cap, r.model.classes[0].interactive_rps[0] - 1e-9);
  // Input and output costs add up to the total.
  const demand_class& dc = r.demand.classes[0];
  const double isl = dc.workload.spec.input_tokens, osl = dc.workload.spec.output_tokens;
  const double total = f.usd_per_million_input * 4e12 * isl / (isl + osl) / 1e6 + f.usd_per_million_output * 4e12 * osl / (isl + osl) / 1e6;
  EXPECT_NEAR(total, f.cost_usd_per_day, 1e-6 * f.cost_usd_per_day);
  // JSON and table render.
  EXPECT_NE(fleet_table(r).find("least-cost fleet"), std::string::npos);
  json j = json::parse(fleet_plan_json_text(r));
  EXPECT_EQ(j["fleet"]["plan"]["pools"].size(), 2u);
}

TEST(Fleet, InfeasibleTargetListsTheAdditionsAndHonoursBlockedTypes) {
  temp_dir t;
  // 40 GPUs in all; 20e12 tokens/day of Llama-3.1-8B needs thousands. "home" may not receive
  // b200; "away" may. Additions: b200 offered at 1 USD/GPU-h (cheaper than any H200), so they
  // all go to "away"; "home" stays at its 16 H200 (no expansion allowed there).
  json home = site("home", 16, 2.0, 0);
  home["blocked_gpus"] = {"b200"};
  home["expansion_max_gpus"] = 0;
  json away = site("away", 24, 2.0, 0);
  away["expansion_max_gpus"] = 0;
  json c = {{"name", "c"},
            {"sites", {home, away}},
            {"gpu_offers", {{{"gpu", "b200"}, {"pricing", {{"type", "lease"}, {"usd_per_gpu_hour", 1.0}, {"includes_power", true}}}}}}};
  json dem = demand(20e12);
  dem["classes"][0]["grid"] = "grid-b.json";
  temp_dir& tt = t;
  json g = small_grid();
  g["weight_precisions"] = {"fp8", "fp4"};
  tt.write_json("demands/grid-b.json", g);
  fleet_result r = run_fleet(request(t, c, dem));
  EXPECT_FALSE(r.plan.solved);
  ASSERT_TRUE(r.needs_expansion);
  ASSERT_TRUE(r.expansion.solved) << r.expansion.status;
  double added = 0.0;
  for (std::size_t p = 0; p < r.model.pools.size(); ++p) {
    const fleet_pool& pool = r.model.pools[p];
    const pool_report& pr = r.expansion_summary.pools[p];
    if (pool.gpu == "b200") {
      EXPECT_EQ(r.model.sites[pool.site].name, "away") << "b200 is blocked at home";
    }
    if (!pool.offer) {
      EXPECT_LE(pr.gpus_used, pool.gpus_now);
    }
    added += pr.extra_gpus;
  }
  EXPECT_GT(added, 100.0);
  // The capacity of what is there is well under the target, bound by GPUs.
  ASSERT_TRUE(r.capacity.solved);
  EXPECT_LT(r.capacity.scale, 0.1);
  bool gpu_bound = false;
  for (const binding_item& b : r.binding) gpu_bound = gpu_bound || b.kind == "gpus";
  EXPECT_TRUE(gpu_bound);
  json j = json::parse(fleet_plan_json_text(r));
  EXPECT_FALSE(j["fleet"]["shortfall"]["target_fits"].get<bool>());
  EXPECT_GT(j["fleet"]["shortfall"]["gpus"].get<double>(), 100.0);
}

TEST(Fleet, RunwayCountsDeliveriesAgainstGrowth) {
  temp_dir t;
  json s = site("a", 800, 2.0, 0);
  s["deliveries"] = {{{"month", "2026-07"}, {"gpus", 800}}};
  json c = {{"name", "c"}, {"sites", {s}}};
  json dem = demand(1e12);
  dem["monthly_growth"] = 0.10;
  dem["start_month"] = "2026-01";
  fleet_result r = run_fleet(request(t, c, dem));
  ASSERT_TRUE(r.capacity.solved);
  ASSERT_TRUE(r.runway.computed);
  ASSERT_EQ(r.runway.capacity_by_month.size(), 2u);
  EXPECT_EQ(r.runway.capacity_by_month[0].first, "2026-01");
  EXPECT_EQ(r.runway.capacity_by_month[1].first, "2026-07");
  const double l0 = r.runway.capacity_by_month[0].second, l1 = r.runway.capacity_by_month[1].second;
  EXPECT_GT(l1, 1.9 * l0);  // twice the GPUs, about twice the capacity (whole units)
  // The month it runs out: the first m with 1.1^m > the capacity available then.
  int expect = -1;
  for (int m = 0; m < 600 && expect < 0; ++m) {
    const double cap = m >= 6 ? l1 : l0;
    if (std::pow(1.1, m) > cap) expect = m;
  }
  ASSERT_TRUE(r.runway.runs_out);
  EXPECT_EQ(r.runway.months, expect);
}

// Issue 14: a growth of 1e-12 a month put ln(capacity) / ln(1 + g) (about 1e11 months) into an
// int. The runway is computed in double; beyond the 100-year horizon capacity keeps up.
TEST(Fleet, RunwayWithTinyGrowthDoesNotOverflow) {
  temp_dir t;
  json c = {{"name", "c"}, {"sites", {site("a", 8000, 2.0, 0)}}};
  for (const double g : {1e-12, 1e-300}) {
    json dem = demand(1e12);
    dem["monthly_growth"] = g;
    dem["start_month"] = "2026-01";
    fleet_result r = run_fleet(request(t, c, dem));
    ASSERT_TRUE(r.capacity.solved);
    ASSERT_GT(r.capacity.scale, 1.0) << "the test needs a cluster that carries the target";
    ASSERT_TRUE(r.runway.computed);
    EXPECT_FALSE(r.runway.runs_out) << g << ": runs out in " << r.runway.month << " (month " << r.runway.months << ")";
    EXPECT_NE(r.runway.note.find("100 years"), std::string::npos) << r.runway.note;
    json j = json::parse(fleet_plan_json_text(r));
    EXPECT_FALSE(j["fleet"]["runway"]["runs_out"].get<bool>()) << j["fleet"]["runway"].dump();
  }
}

// The invariants end to end, on real searches: adding a site never raises the cost of the fleet;
// raising the target never lowers it.
TEST(Fleet, AddingASiteNeverRaisesCostRaisingTheTargetNeverLowersIt) {
  temp_dir t;
  json one = {{"name", "c"}, {"sites", {site("a", 4000, 2.5, 2.0)}}};
  json two = one;
  two["sites"].push_back(site("b", 4000, 2.0, 1.0));
  for (double tokens : {1e12, 3e12}) {
    fleet_result r1 = run_fleet(request(t, one, demand(tokens)));
    fleet_result r2 = run_fleet(request(t, two, demand(tokens)));
    ASSERT_TRUE(r1.chosen().solved && r2.chosen().solved);
    EXPECT_LE(r2.chosen_summary().cost_usd_per_day, r1.chosen_summary().cost_usd_per_day + 1e-6) << tokens;
    fleet_result up = run_fleet(request(t, two, demand(tokens * 1.25)));
    ASSERT_TRUE(up.chosen().solved);
    EXPECT_GE(up.chosen_summary().cost_usd_per_day, r2.chosen_summary().cost_usd_per_day - 1e-6) << tokens;
  }
}

TEST(Fleet, ClusterEconomicsAreValidated) {
  temp_dir t;
  auto write = [&](json c) { return t.write_json("c.json", c); };
  json base = {{"name", "c"}, {"sites", {site("a", 80, 2.0, 0)}}};
  auto check = [&](json c, const std::string& path, const std::string& needle) {
    std::string f = write(c);
    expect_config_error([&] { load_cluster(f, {shipped("gpus")}, cal()); }, f, path, needle);
  };
  json c = base;
  c["sites"][0]["pricing"]["type"] = "leese";
  check(c, "$.sites[0].pricing.type", "did you mean 'lease'");
  c = base;
  c["sites"][0]["power_cap"] = {{"it_mw", 1}, {"facility_mw", 2}};
  check(c, "$.sites[0].power_cap", "exactly one of");
  c = base;
  c["sites"][0]["pricing"]["committed_gpus"] = 81;
  check(c, "$.sites[0].pricing", "exceeds the site's gpus");
  c = base;
  c["sites"][0]["blocked_gpus"] = {"h200-sxm"};
  check(c, "$.sites[0].blocked_gpus", "the GPU type it has");
  c = base;
  c["sites"][0]["deliveries"] = {{{"month", "2026-13"}, {"gpus", 8}}};
  check(c, "$.sites[0].deliveries[0].month", "YYYY-MM");
  c = base;
  c["sites"][0]["usd_per_gpu_hour"] = 2.0;
  check(c, "$.sites[0].pricing", "not both");
  c = base;
  c["sites"][0]["pricing"] = {{"type", "owned"}, {"capex_usd_per_node", 300000}, {"depreciation_years", 5}, {"cost_of_capital", 0.08}};
  check(c, "$.sites[0].usd_per_kwh", "required field is missing");
  c = base;
  c["sites"][0]["blocked_gpus"] = {"b200"};
  c["gpu_offers"] = {{{"gpu", "b200"}, {"sites", {"a"}}, {"pricing", {{"type", "lease"}, {"usd_per_gpu_hour", 3}, {"includes_power", true}}}}};
  check(c, "$.gpu_offers[0].sites", "blocks \"b200\"");
  c = base;
  c["gpu_offers"] = {{{"gpu", "b200"}, {"sites", {"b"}}, {"pricing", {{"type", "lease"}, {"usd_per_gpu_hour", 3}, {"includes_power", true}}}}};
  check(c, "$.gpu_offers[0].sites", "is not in the cluster");
  // Owned capital: capex x r / (1 - (1 + r)^-n) per year.
  c = base;
  c["sites"][0]["pricing"] = {{"type", "owned"}, {"capex_usd_per_node", 300000}, {"depreciation_years", 5}, {"cost_of_capital", 0.08}};
  c["sites"][0]["usd_per_kwh"] = 0.1;
  cluster_entry ce = load_cluster(write(c), {shipped("gpus")}, cal());
  EXPECT_NEAR(ce.sites[0].pricing.capex_usd_per_node_year(), 300000 * 0.08 / (1 - std::pow(1.08, -5)), 1e-6);  // 75,137
  EXPECT_NEAR(ce.sites[0].usd_per_gpu_hour, 75136.9 / 8 / 8760, 1e-3);
}

TEST(Fleet, DemandFilesAreValidated) {
  temp_dir t;
  auto check = [&](json d, const std::string& path, const std::string& needle) {
    std::string f = t.write_json("demands/d.json", d);
    t.write_json("demands/grid.json", small_grid());
    expect_config_error([&] { load_demand(f, shipped_roots(), cal()); }, f, path, needle);
  };
  json d = demand(1e12);
  d["classes"][0]["share"] = 0.5;
  check(d, "$.classes", "add up to 0.5");
  d = demand(1e12);
  d["classes"][0]["model"] = "llama-3.1-8c";
  check(d, "$.classes[0].model", "did you mean 'llama-3.1-8b'");
  d = demand(1e12);
  d["profile"] = {{"hourly", {1, 2, 3}}};
  check(d, "$.profile.hourly", "expected 24 numbers");
  d = demand(1e12);
  d["profile"] = json::object();
  check(d, "$.profile", "exactly one of");
  d = demand(1e12);
  d["start_month"] = "April";
  check(d, "$.start_month", "YYYY-MM");
  d = demand(1e12);
  d["classes"].push_back(d["classes"][0]);
  d["classes"][0]["share"] = 0.5;
  d["classes"][1]["share"] = 0.5;
  check(d, "$.classes[1].name", "duplicate class name");
  // The shipped worked example loads: three classes, 24 hours normalised.
  demand_entry ok = load_demand(shipped("demands/doubao-30tn.json"), shipped_roots(), cal());
  EXPECT_EQ(ok.classes.size(), 3u);
  double sum = 0.0;
  for (double h : ok.hourly) sum += h;
  EXPECT_NEAR(sum, 1.0, 1e-12);
}

}  // namespace
}  // namespace tokenplan
