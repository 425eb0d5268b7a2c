// The fleet MIP solvers: random fleets (invariants, GLPK = CBC), their account (outcome, bound, gap), time limit.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>

#include "fleet/fleet_solver.hpp"
#include "fleet_solver_support.hpp"

namespace tokenplan {
namespace {

using tokenplan::testing::fleet_solver::FleetSolverOn;
using tokenplan::testing::fleet_solver::lease_pool;
using tokenplan::testing::fleet_solver::node_option;
using tokenplan::testing::fleet_solver::one_period;

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
