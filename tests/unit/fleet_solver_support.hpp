// Helpers of the fleet MIP tests (test_fleet_solver*.cpp): a leased pool, a one-node option, a
// one-period model, and the fixture that runs a test on each MIP solver of the build.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>

#include "fleet/fleet_solver.hpp"

namespace tokenplan::testing::fleet_solver {

inline fleet_pool lease_pool(std::size_t site, double gpus, double usd_per_gpu_hour) {
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
inline fleet_option node_option(std::size_t cls, std::size_t pool, double rps) {
  fleet_option o;
  o.cls = cls;
  o.pool = pool;
  o.unit_gpus[0] = 8;
  o.unit_nodes[0] = 1;
  o.unit_rps[0] = rps;
  return o;
}

inline fleet_model one_period(double rps) {
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

}  // namespace tokenplan::testing::fleet_solver
