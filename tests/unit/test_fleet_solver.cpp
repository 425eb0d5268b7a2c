// The fleet MIP on small cases computed by hand: a power-capped cheapest site, an infeasible
// target (and what expansion and the capacity question make of it), diurnal demand with a
// deferrable share, on-demand against lease, spares, committed leases, disaggregated options;
// then invariants on random cases: adding a pool never raises the cost, raising the target never
// lowers it. The hand cases run on every MIP solver of the build (GLPK, CBC), which must agree;
// the solver's account (outcome, bound, gap) and its time limit are checked on both.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "fleet/fleet_solver.hpp"

namespace tokenplan {
namespace {

fleet_pool lease_pool(std::size_t site, double gpus, double usd_per_gpu_hour) {
  fleet_pool p;
  p.site = site;
  p.gpu = "g";
  p.gpus_now = gpus;
  p.expansion_max = 0.0;
  p.gpus_per_node = 8;
  p.kw_per_gpu = 1.0;
  p.pricing.kind = pricing_kind::lease;
  p.pricing.usd_per_gpu_hour = usd_per_gpu_hour;
  p.pricing.includes_power = true;
  p.pue = 1.0;
  return p;
}

/// One node per unit serving `rps` requests/s.
fleet_option node_option(std::size_t cls, std::size_t pool, double rps) {
  fleet_option o;
  o.cls = cls;
  o.pool = pool;
  o.unit_gpus[0] = 8;
  o.unit_nodes[0] = 1;
  o.unit_rps[0] = rps;
  return o;
}

fleet_model one_period(double rps) {
  fleet_model m;
  m.period_hours = {24.0};
  fleet_class c;
  c.name = "chat";
  c.interactive_rps = {rps};
  m.classes.push_back(c);
  return m;
}

/// The hand cases, on each solver: exact figures, so the gap asked for is 0.
class FleetSolverOn : public ::testing::TestWithParam<mip_solver> {
 protected:
  void SetUp() override {
    if (!mip_solver_available(GetParam())) GTEST_SKIP() << mip_solver_name(GetParam()) << " is not in this build";
  }
  fleet_solve_options opts() const {
    fleet_solve_options o;
    o.solver = GetParam();
    o.mip_gap = 0.0;
    return o;
  }
};

TEST(FleetSolverText, GapInPercentNeverInExponentNotation) {
  EXPECT_EQ(gap_percent_text(0.0), "0%");
  EXPECT_EQ(gap_percent_text(0.000607), "0.0607%");
  EXPECT_EQ(gap_percent_text(0.001), "0.1%");
  EXPECT_EQ(gap_percent_text(2.42e-11), "<0.0001%");  // CBC's "optimal" on doubao-30tn
  EXPECT_EQ(gap_percent_text(1e-6), "0.0001%");
  EXPECT_EQ(gap_percent_text(std::numeric_limits<double>::infinity()), "unknown");
  EXPECT_EQ(gap_percent_text(std::nan("")), "unknown");
}

TEST_P(FleetSolverOn, PowerCappedCheapestSiteFillsToItsCapThenTheNext) {
  // Site A at 1 USD/GPU-h is capped at 30 kW of IT load (1 kW per GPU: 3 nodes fit, 4 do not);
  // site B at 2 USD/GPU-h has no cap. 100 requests/s at 10 per node: 10 nodes, 3 at A.
  fleet_model m = one_period(100.0);
  m.sites = {{"a", 30.0}, {"b", 0.0}};
  m.pools = {lease_pool(0, 1000, 1.0), lease_pool(1, 1000, 2.0)};
  m.options = {node_option(0, 0, 10.0), node_option(0, 1, 10.0)};
  fleet_solution s = solve_fleet(m, opts());
  ASSERT_TRUE(s.solved) << s.status;
  EXPECT_TRUE(s.proven_optimal);
  EXPECT_EQ(s.units[0][0], 3.0);
  EXPECT_EQ(s.units[0][1], 7.0);
  EXPECT_NEAR(s.objective, 3 * 8 * 24 * 1.0 + 7 * 8 * 24 * 2.0, 1e-6);  // 3,264 USD/day
  EXPECT_EQ(s.gpus_used[0], 24.0);
  EXPECT_EQ(s.gpus_used[1], 56.0);
}

TEST_P(FleetSolverOn, ShortfallIsTheLeastPowerOverTheCapsThenTheLeastCost) {
  // 100 requests/s at 10 per node: 10 nodes of 8 kW, 80 kW; the caps allow 30 + 20 kW. With n
  // nodes at a, the kW over the caps are max(0, 8n - 30) + max(0, 8(10 - n) - 20): 30 for n in
  // 4..7, more otherwise. Of those the split that stretches the caps least (sum of kW over / cap)
  // is n = 7: 26/30 + 4/20 = 1.07 (n = 6: 1.2, 5: 1.33, 4: 1.47). Then the cost: 7 x 8 x 24 x 1
  // + 3 x 8 x 24 x 2 = 2,496 USD/day.
  fleet_model m = one_period(100.0);
  m.sites = {{"a", 30.0}, {"b", 20.0}};
  m.pools = {lease_pool(0, 1000, 1.0), lease_pool(1, 1000, 2.0)};
  m.options = {node_option(0, 0, 10.0), node_option(0, 1, 10.0)};
  fleet_solve_options o = opts();
  o.allow_expansion = true;
  EXPECT_FALSE(solve_fleet(m, o).solved);
  fleet_solution s = solve_fleet_shortfall(m, o);
  ASSERT_TRUE(s.solved) << s.status;
  ASSERT_EQ(s.power_over_kw.size(), 2u);
  EXPECT_NEAR(s.power_over_kw[0], 26.0, 1e-6);
  EXPECT_NEAR(s.power_over_kw[1], 4.0, 1e-6);
  EXPECT_EQ(s.gpus_over, std::vector<double>({0.0, 0.0}));
  EXPECT_EQ(s.units[0][0], 7.0);
  EXPECT_EQ(s.units[0][1], 3.0);
  EXPECT_NEAR(s.objective, 2496.0, 1e-6);
  // The caps raised by what it reports: the plain allocation fits.
  m.sites[0].power_cap_it_kw += s.power_over_kw[0];
  m.sites[1].power_cap_it_kw += s.power_over_kw[1];
  EXPECT_TRUE(solve_fleet(m, o).solved);
  // With b the cheaper site (0.5 USD/GPU-h) the cost alone would take n = 4, but the split is
  // chosen before the cost: still n = 7, 7 x 8 x 24 x 1 + 3 x 8 x 24 x 0.5 = 1,632 USD/day.
  m.sites[0].power_cap_it_kw = 30.0;
  m.sites[1].power_cap_it_kw = 20.0;
  m.pools[1] = lease_pool(1, 1000, 0.5);
  fleet_solution c = solve_fleet_shortfall(m, o);
  ASSERT_TRUE(c.solved) << c.status;
  EXPECT_NEAR(c.power_over_kw[0], 26.0, 1e-6);
  EXPECT_NEAR(c.power_over_kw[1], 4.0, 1e-6);
  EXPECT_NEAR(c.objective, 1632.0, 1e-6);
}

TEST_P(FleetSolverOn, ShortfallCountsGpusBeyondTheOffersThenPower) {
  // 10 nodes needed; the pool may grow to 40 + 16 = 56 GPUs (7 nodes): 24 GPUs beyond it, and
  // then 80 kW against a 60 kW cap: 20 kW over.
  fleet_model m = one_period(100.0);
  m.sites = {{"a", 60.0}};
  m.pools = {lease_pool(0, 40, 1.0)};
  m.pools[0].expansion_max = 16.0;
  m.options = {node_option(0, 0, 10.0)};
  fleet_solve_options o = opts();
  o.allow_expansion = true;
  fleet_solution s = solve_fleet_shortfall(m, o);
  ASSERT_TRUE(s.solved) << s.status;
  EXPECT_EQ(s.gpus_over, std::vector<double>({24.0}));
  EXPECT_NEAR(s.power_over_kw[0], 20.0, 1e-6);
  EXPECT_EQ(s.units[0][0], 10.0);
  // Both limits raised by what it reports: the plain expansion fits.
  m.pools[0].expansion_max += s.gpus_over[0];
  m.sites[0].power_cap_it_kw += s.power_over_kw[0];
  EXPECT_TRUE(solve_fleet(m, o).solved);
}

TEST_P(FleetSolverOn, ShortfallWithoutAnyConfigurationSaysSo) {
  fleet_model m = one_period(100.0);
  m.sites = {{"a", 60.0}};
  m.pools = {lease_pool(0, 40, 1.0)};
  fleet_solve_options o = opts();
  o.allow_expansion = true;
  fleet_solution s = solve_fleet_shortfall(m, o);
  EXPECT_FALSE(s.solved);
  EXPECT_NE(s.status.find("no configuration"), std::string::npos) << s.status;
}

TEST_P(FleetSolverOn, InfeasibleTargetThenExpansionThenCapacity) {
  // 1,000 requests/s; each site has 40 GPUs (5 nodes, 50 requests/s): 100 requests/s in all.
  fleet_model m = one_period(1000.0);
  m.sites = {{"a", 0.0}, {"b", 0.0}};
  m.pools = {lease_pool(0, 40, 1.0), lease_pool(1, 40, 2.0)};
  m.pools[1].expansion_max = -1.0;  // b could take more GPUs
  m.options = {node_option(0, 0, 10.0), node_option(0, 1, 10.0)};
  fleet_solution s = solve_fleet(m, opts());
  EXPECT_FALSE(s.solved);
  EXPECT_NE(s.status.find("infeasible"), std::string::npos);

  fleet_solve_options grow = opts();
  grow.allow_expansion = true;
  fleet_solution g = solve_fleet(m, grow);
  ASSERT_TRUE(g.solved) << g.status;
  EXPECT_EQ(g.units[0][0], 5.0);   // a stays at its 40 GPUs
  EXPECT_EQ(g.units[0][1], 95.0);  // b grows to 760 GPUs: 720 more than it has
  EXPECT_EQ(g.gpus_used[1], 760.0);
  EXPECT_NEAR(g.objective, 40 * 24 * 1.0 + 760 * 24 * 2.0, 1e-6);

  fleet_solve_options cap = opts();
  cap.goal = fleet_goal::max_scale;
  fleet_solution c = solve_fleet(m, cap);
  ASSERT_TRUE(c.solved);
  EXPECT_NEAR(c.scale, 0.1, 1e-9);  // 100 of 1,000 requests/s
}

TEST_P(FleetSolverOn, DeferrableDemandFillsTheTrough) {
  // Two 12-hour periods: 60 and 20 requests/s interactive, plus 20 requests/s deferrable on
  // average (480 request-hours/s). Shifted into the trough it needs 60 of capacity: 6 nodes.
  fleet_model m;
  m.period_hours = {12.0, 12.0};
  fleet_class c;
  c.name = "chat";
  c.interactive_rps = {60.0, 20.0};
  c.deferrable_rps = 20.0;
  m.classes.push_back(c);
  m.sites = {{"a", 0.0}};
  m.pools = {lease_pool(0, 1000, 1.0)};
  m.options = {node_option(0, 0, 10.0)};
  fleet_solution s = solve_fleet(m, opts());
  ASSERT_TRUE(s.solved);
  EXPECT_EQ(s.units[0][0], 6.0);
  EXPECT_NEAR(s.deferred[0][0] * 12 + s.deferred[0][1] * 12, 480.0, 1e-6);
  EXPECT_NEAR(s.deferred[0][1], 40.0, 1e-6);
  // Without the trough (the same total as interactive load at its peak share) it takes 8.
  m.classes[0].interactive_rps = {80.0, 40.0};
  m.classes[0].deferrable_rps = 0.0;
  EXPECT_EQ(solve_fleet(m, opts()).units[0][0], 8.0);
}

TEST_P(FleetSolverOn, OnDemandTakesThePeakOverALeasedBase) {
  // 12 h at 60 requests/s, 12 h at 20; 10 per node. Lease 2 USD/GPU-h all day, on-demand
  // 3 USD/GPU-h by the hour. Leasing k nodes costs 384k, renting the rest 288 per node per
  // period: k = 2 gives 768 + 4 x 288 = 1,920 USD/day, the minimum (k = 0: 2,304; 1: 2,112; 3: 2,016).
  fleet_model m;
  m.period_hours = {12.0, 12.0};
  fleet_class c;
  c.name = "chat";
  c.interactive_rps = {60.0, 20.0};
  m.classes.push_back(c);
  m.sites = {{"a", 0.0}, {"b", 0.0}};
  fleet_pool od = lease_pool(1, 1000, 3.0);
  od.pricing.kind = pricing_kind::on_demand;
  m.pools = {lease_pool(0, 1000, 2.0), od};
  m.options = {node_option(0, 0, 10.0), node_option(0, 1, 10.0)};
  fleet_solution s = solve_fleet(m, opts());
  ASSERT_TRUE(s.solved);
  EXPECT_NEAR(s.objective, 1920.0, 1e-6);
  EXPECT_EQ(s.units[0][0], 2.0);
  EXPECT_EQ(s.od_units[0][1][0], 4.0);
  EXPECT_EQ(s.od_units[0][1][1], 0.0);
  EXPECT_EQ(s.od_gpus[1][0], 32.0);
}

TEST_P(FleetSolverOn, SparesCommittedLeasesAndOwnedCapacity) {
  // 10 serving nodes with 25% spares: ceil(2.5) = 3 spare nodes, 104 GPUs paid.
  fleet_model m = one_period(100.0);
  m.sites = {{"a", 0.0}};
  m.pools = {lease_pool(0, 1000, 1.0)};
  m.pools[0].spare_fraction = 0.25;
  m.options = {node_option(0, 0, 10.0)};
  fleet_solution s = solve_fleet(m, opts());
  ASSERT_TRUE(s.solved);
  EXPECT_EQ(s.spare_nodes[0], 3.0);
  EXPECT_EQ(s.gpus_used[0], 104.0);
  EXPECT_NEAR(s.objective, 104 * 24.0, 1e-6);

  // A committed lease of 200 GPUs is paid whether used or not.
  m.pools[0].spare_fraction = 0.0;
  m.pools[0].paid_minimum = 200;
  s = solve_fleet(m, opts());
  EXPECT_EQ(s.gpus_used[0], 80.0);
  EXPECT_EQ(s.paid_gpus[0], 200.0);
  EXPECT_NEAR(s.objective, 200 * 24.0, 1e-6);

  // Owned GPUs with sunk capital (paid minimum = all of them) go first; energy is what using
  // them costs: 1 kW x PUE 1.5 x 0.1 USD/kWh = 0.15 USD/GPU-h.
  fleet_pool owned = lease_pool(0, 48, 0.0);
  owned.pricing.kind = pricing_kind::owned;
  owned.pricing.capex_usd_per_node = 87600;  // 10,000 USD/node-year at r = 0 over 8.76 years
  owned.pricing.depreciation_years = 8.76;
  owned.pricing.cost_of_capital = 0.0;
  owned.pricing.includes_power = false;
  owned.paid_minimum = 48;
  owned.usd_per_kwh = 0.1;
  owned.pue = 1.5;
  m.pools = {lease_pool(0, 1000, 1.0), owned};
  m.pools[0].paid_minimum = 0;
  m.options = {node_option(0, 0, 10.0), node_option(0, 1, 10.0)};
  s = solve_fleet(m, opts());
  ASSERT_TRUE(s.solved);
  EXPECT_EQ(s.units[0][1], 6.0);  // all 48 owned GPUs
  EXPECT_EQ(s.units[0][0], 4.0);
  const double owned_capital = 48.0 * (10000.0 / 8 / 8760.0) * 24.0;
  EXPECT_NEAR(s.objective, 32 * 24.0 + owned_capital + 48 * 0.15 * 24.0, 1e-6);
}

TEST_P(FleetSolverOn, DisaggregatedOptionsSizeBothSides) {
  // 40 requests/s: prefill units serve 5 (8 units), decode units 20 (2 units): 80 GPUs.
  fleet_model m = one_period(40.0);
  m.sites = {{"a", 0.0}};
  m.pools = {lease_pool(0, 1000, 1.0)};
  fleet_option o;
  o.disaggregated = true;
  o.unit_gpus[0] = o.unit_gpus[1] = 8;
  o.unit_nodes[0] = o.unit_nodes[1] = 1;
  o.unit_rps[0] = 5;
  o.unit_rps[1] = 20;
  m.options = {o};
  fleet_solution s = solve_fleet(m, opts());
  ASSERT_TRUE(s.solved);
  EXPECT_EQ(s.units[0][0], 8.0);
  EXPECT_EQ(s.units[1][0], 2.0);
  EXPECT_EQ(s.gpus_used[0], 80.0);
}

TEST_P(FleetSolverOn, BadModelsAreRejected) {
  fleet_model m = one_period(10.0);
  m.sites = {{"a", 0.0}};
  m.pools = {lease_pool(0, 80, 1.0)};
  m.options = {node_option(0, 0, 0.0)};
  EXPECT_THROW(solve_fleet(m, opts()), std::invalid_argument);
  m.options = {node_option(0, 0, 1.0)};
  m.period_hours = {12.0};
  EXPECT_THROW(solve_fleet(m, opts()), std::invalid_argument);
}

/// A random model: 1-2 classes, 2-4 pools at 1-3 sites, a few options per class and pool.
fleet_model random_model(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  fleet_model m;
  m.period_hours = {8.0, 8.0, 8.0};
  const int classes = 1 + static_cast<int>(rng() % 2);
  for (int c = 0; c < classes; ++c) {
    fleet_class fc;
    fc.name = "c" + std::to_string(c);
    for (int t = 0; t < 3; ++t) fc.interactive_rps.push_back(20.0 + 200.0 * u(rng));
    fc.deferrable_rps = rng() % 2 ? 30.0 * u(rng) : 0.0;
    m.classes.push_back(fc);
  }
  const int sites = 1 + static_cast<int>(rng() % 3);
  for (int s = 0; s < sites; ++s) m.sites.push_back({"s" + std::to_string(s), rng() % 2 ? 0.0 : 200.0 + 800.0 * u(rng)});
  const int pools = 2 + static_cast<int>(rng() % 3);
  for (int j = 0; j < pools; ++j) {
    fleet_pool p = lease_pool(static_cast<std::size_t>(j % sites), 8.0 * (20 + rng() % 100), 1.0 + 3.0 * u(rng));
    if (rng() % 4 == 0) p.pricing.kind = pricing_kind::on_demand;
    p.kw_per_gpu = 0.5 + u(rng);
    m.pools.push_back(p);
    for (int c = 0; c < classes; ++c) {
      for (int k = 0; k < 2; ++k) {
        fleet_option o = node_option(static_cast<std::size_t>(c), static_cast<std::size_t>(j), 2.0 + 20.0 * u(rng));
        if (k == 1) {
          o.unit_gpus[0] = 16;
          o.unit_nodes[0] = 2;
          o.unit_rps[0] *= 2.2;
        }
        m.options.push_back(o);
      }
    }
  }
  return m;
}

TEST(FleetSolver, AddingAPoolNeverRaisesTheCostRaisingTheTargetNeverLowersIt) {
  std::mt19937_64 rng(7);
  int compared = 0;
  for (int trial = 0; trial < 40; ++trial) {
    fleet_model m = random_model(rng);
    fleet_solve_options o;
    o.allow_expansion = false;
    o.mip_gap = 0.0;  // the invariants hold for the optima, not for answers within a gap
    fleet_solution base = solve_fleet(m, o);
    if (!base.solved) continue;
    ASSERT_TRUE(base.proven_optimal) << base.status;
    // Another pool (with its options) can only help.
    fleet_model more = m;
    fleet_pool extra = lease_pool(0, 800, 0.5 + 4.0 * std::uniform_real_distribution<double>(0, 1)(rng));
    more.pools.push_back(extra);
    for (std::size_t c = 0; c < m.classes.size(); ++c) more.options.push_back(node_option(c, more.pools.size() - 1, 12.0));
    fleet_solution with = solve_fleet(more, o);
    ASSERT_TRUE(with.solved);
    EXPECT_LE(with.objective, base.objective + 1e-6 * base.objective) << "trial " << trial;
    // A higher target costs at least as much (if it can still be met).
    fleet_model higher = m;
    for (fleet_class& c : higher.classes) {
      for (double& r : c.interactive_rps) r *= 1.1;
    }
    fleet_solution up = solve_fleet(higher, o);
    if (up.solved) {
      EXPECT_GE(up.objective, base.objective - 1e-6 * base.objective) << "trial " << trial;
    }
    ++compared;
  }
  EXPECT_GE(compared, 10);
}

INSTANTIATE_TEST_SUITE_P(Solvers, FleetSolverOn, ::testing::Values(mip_solver::glpk, mip_solver::cbc),
                         [](const ::testing::TestParamInfo<mip_solver>& i) { return std::string(mip_solver_name(i.param)); });

TEST_P(FleetSolverOn, ReportsTheSolverItsOutcomeBoundAndGap) {
  fleet_model m = one_period(100.0);
  m.sites = {{"a", 30.0}, {"b", 0.0}};
  m.pools = {lease_pool(0, 1000, 1.0), lease_pool(1, 1000, 2.0)};
  m.options = {node_option(0, 0, 10.0), node_option(0, 1, 10.0)};
  fleet_solution s = solve_fleet(m, opts());
  ASSERT_TRUE(s.solved) << s.status;
  EXPECT_EQ(s.solver, mip_solver_name(GetParam()));
  EXPECT_EQ(s.library.rfind(GetParam() == mip_solver::glpk ? "GLPK " : "CBC ", 0), 0u) << s.library;
  EXPECT_EQ(s.outcome, mip_outcome::optimal);
  EXPECT_EQ(s.status.rfind("optimal", 0), 0u) << s.status;
  // A proven optimum at gap 0: the bound meets the objective (to the solvers' tolerances).
  EXPECT_NEAR(s.bound, s.objective, 1e-6 * s.objective);
  EXPECT_LE(s.gap, 1e-6);
  EXPECT_EQ(s.mip_gap, 0.0);
  EXPECT_FALSE(std::isfinite(s.time_limit_s));

  // The capacity question maximises: the bound is an upper bound.
  fleet_solve_options cap = opts();
  cap.goal = fleet_goal::max_scale;
  cap.mip_gap = 1e-3;
  fleet_solution c = solve_fleet(m, cap);
  ASSERT_TRUE(c.solved) << c.status;
  EXPECT_EQ(c.outcome, mip_outcome::optimal);
  EXPECT_GE(c.bound, c.objective - 1e-9);
  EXPECT_LE(c.gap, 1e-3 + 1e-9);
  EXPECT_NEAR(c.objective, c.scale, 1e-9);
}

TEST_P(FleetSolverOn, InfeasibleIsReportedAsSuch) {
  fleet_model m = one_period(1000.0);  // 100 requests/s fit
  m.sites = {{"a", 0.0}};
  m.pools = {lease_pool(0, 80, 1.0)};
  m.options = {node_option(0, 0, 10.0)};
  fleet_solution s = solve_fleet(m, opts());
  EXPECT_FALSE(s.solved);
  EXPECT_FALSE(s.proven_optimal);
  EXPECT_EQ(s.outcome, mip_outcome::infeasible);
  EXPECT_EQ(s.status.rfind("infeasible", 0), 0u) << s.status;
  // A power cap that allows no node at all is as infeasible.
  m = one_period(10.0);
  m.sites = {{"a", 4.0}};
  m.pools = {lease_pool(0, 80, 1.0)};
  m.options = {node_option(0, 0, 10.0)};
  s = solve_fleet(m, opts());
  EXPECT_EQ(s.outcome, mip_outcome::infeasible) << s.status;
}

/// A model large enough that branch and bound takes a while: many pools and options, 24 hours.
fleet_model big_model() {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  fleet_model m;
  m.period_hours.assign(24, 1.0);
  for (int c = 0; c < 3; ++c) {
    fleet_class fc;
    fc.name = "c" + std::to_string(c);
    for (int t = 0; t < 24; ++t) fc.interactive_rps.push_back(500.0 + 3000.0 * u(rng));
    fc.deferrable_rps = 400.0 * u(rng);
    m.classes.push_back(fc);
  }
  for (int s = 0; s < 4; ++s) m.sites.push_back({"s" + std::to_string(s), 3000.0 + 6000.0 * u(rng)});
  for (int j = 0; j < 8; ++j) {
    fleet_pool p = lease_pool(static_cast<std::size_t>(j % 4), 8.0 * (200 + rng() % 800), 1.0 + 3.0 * u(rng));
    if (j % 4 == 3) p.pricing.kind = pricing_kind::on_demand;
    p.spare_fraction = 0.05;
    p.kw_per_gpu = 0.5 + u(rng);
    m.pools.push_back(p);
    for (std::size_t c = 0; c < m.classes.size(); ++c) {
      for (int k = 0; k < 3; ++k) {
        fleet_option o = node_option(c, static_cast<std::size_t>(j), 3.0 + 17.0 * u(rng));
        o.unit_gpus[0] = 8.0 * (k + 1);
        o.unit_nodes[0] = k + 1;
        o.unit_rps[0] *= (k + 1) * (0.9 + 0.3 * u(rng));
        m.options.push_back(o);
      }
    }
  }
  return m;
}

TEST_P(FleetSolverOn, ATinyTimeLimitReturnsAnAnswerWithItsGapOrNone) {
  fleet_model m = big_model();
  fleet_solve_options o = opts();
  o.time_limit_s = 1e-3;
  const auto start = std::chrono::steady_clock::now();
  fleet_solution s = solve_fleet(m, o);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(took, 30.0) << "a 1 ms limit must not hang";
  EXPECT_EQ(s.time_limit_s, 1e-3);
  switch (s.outcome) {
    case mip_outcome::optimal:  // solved before the clock was looked at
      EXPECT_TRUE(s.solved);
      EXPECT_LE(s.gap, 1e-6);
      break;
    case mip_outcome::feasible:
      EXPECT_TRUE(s.solved);
      EXPECT_FALSE(s.proven_optimal);
      EXPECT_GE(s.gap, 0.0);  // inf when no bound was proven
      if (std::isfinite(s.bound)) {
        EXPECT_LE(s.bound, s.objective + 1e-6 * s.objective);
      }
      EXPECT_NE(s.status.find("time limit"), std::string::npos) << s.status;
      break;
    case mip_outcome::no_solution:
      EXPECT_FALSE(s.solved);
      EXPECT_NE(s.status.find("time limit"), std::string::npos) << s.status;
      break;
    default:
      ADD_FAILURE() << "unexpected outcome " << mip_outcome_name(s.outcome) << ": " << s.status;
  }
}

TEST(FleetSolver, GlpkAndCbcAgreeOnTheOptimum) {
  if (!mip_solver_available(mip_solver::glpk) || !mip_solver_available(mip_solver::cbc)) {
    GTEST_SKIP() << "needs both solvers";
  }
  std::mt19937_64 rng(3);
  int compared = 0;
  for (int trial = 0; trial < 30; ++trial) {
    const fleet_model m = random_model(rng);
    for (fleet_goal goal : {fleet_goal::min_cost, fleet_goal::max_scale}) {
      fleet_solve_options o;
      o.goal = goal;
      o.mip_gap = 0.0;
      o.solver = mip_solver::glpk;
      const fleet_solution g = solve_fleet(m, o);
      o.solver = mip_solver::cbc;
      const fleet_solution c = solve_fleet(m, o);
      ASSERT_EQ(g.outcome, c.outcome) << "trial " << trial << ": " << g.status << " / " << c.status;
      if (!g.solved) continue;
      EXPECT_NEAR(g.objective, c.objective, 1e-6 * std::fabs(g.objective) + 1e-9) << "trial " << trial;
      EXPECT_NEAR(g.bound, c.bound, 1e-6 * std::fabs(g.objective) + 1e-9) << "trial " << trial;
      ++compared;
    }
  }
  EXPECT_GE(compared, 20);
}

}  // namespace
}  // namespace tokenplan
