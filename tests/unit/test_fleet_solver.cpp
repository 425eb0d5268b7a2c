// The fleet MIP on small cases computed by hand, on every MIP solver of the build (GLPK, CBC).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fleet/fleet_solver.hpp"
#include "fleet_solver_support.hpp"

namespace tokenplan {
namespace {

using tokenplan::testing::fleet_solver::FleetSolverOn;
using tokenplan::testing::fleet_solver::lease_pool;
using tokenplan::testing::fleet_solver::node_option;
using tokenplan::testing::fleet_solver::one_period;

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

INSTANTIATE_TEST_SUITE_P(Solvers, FleetSolverOn, ::testing::Values(mip_solver::glpk, mip_solver::cbc),
                         [](const ::testing::TestParamInfo<mip_solver>& i) { return std::string(mip_solver_name(i.param)); });

}  // namespace
}  // namespace tokenplan
