// Property tests: invariants any sane capacity model must keep, checked on seeded random
// scenarios for every configuration of their grids.
#include <gtest/gtest.h>

#include <random>

#include "scenarios.hpp"
#include "tokenplan/model.hpp"

namespace tokenplan {
namespace {

constexpr int scenarios = 60;

/// A GPU at least as good as `g` in every spec: more of what helps, less of what hurts.
gpu_spec better_gpu(const gpu_spec& g, std::mt19937_64& rng) {
  auto up = [&]() { return std::uniform_real_distribution<double>(1.0, 2.0)(rng); };
  auto down = [&]() { return std::uniform_real_distribution<double>(0.3, 1.0)(rng); };
  gpu_spec b = g;
  b.hbm_bytes *= up();
  b.hbm_bytes_per_s *= up();
  for (double& f : b.dense_flops) f *= up();
  b.scale_up_domain_gpus *= 2;
  b.allreduce_busbw_bytes_per_s *= up();
  b.allreduce_latency_s *= down();
  b.p2p_bytes_per_s *= up();
  b.p2p_latency_s *= down();
  b.scale_out_bytes_per_s *= up();
  b.scale_out_latency_s *= down();
  b.gemm_efficiency = std::min(1.0, b.gemm_efficiency * up());
  b.hbm_efficiency = std::min(1.0, b.hbm_efficiency * up());
  b.layer_overhead_s *= down();
  b.step_overhead_s *= down();
  b.sequence_overhead_s *= down();
  b.alltoall_latency_s *= down();
  b.moe_overlap = std::min(1.0, b.moe_overlap * up());
  b.expert_imbalance = std::max(1.0, b.expert_imbalance * down());
  b.memory_usable_fraction = std::min(1.0, b.memory_usable_fraction * up());
  b.memory_reserve_bytes *= down();
  return b;
}

TEST(Invariants, BetterGpuNeverNeedsMoreGpus) {
  for (std::uint64_t seed = 100; seed < 100 + scenarios; ++seed) {
    auto p = testing::random_problem(seed);
    auto q = std::make_unique<problem>(*p);
    std::mt19937_64 rng(seed);
    for (std::uint32_t s = 0; s < q->n_sites; ++s) q->sites[s].gpu = better_gpu(p->sites[s].gpu, rng);
    double best_p = 1e300, best_q = 1e300;
    for (std::uint64_t i = 0; i < grid_size(p->grid); ++i) {
      evaluation a = evaluate(*p, i);
      evaluation b = evaluate(*q, i);
      if (a.reason == reason_precision || a.reason == reason_parallelism) continue;
      if (a.reason == reason_feasible) {
        ASSERT_EQ(b.reason, reason_feasible) << "seed " << seed << " index " << i;
        ASSERT_LE(b.m.gpus_billed, a.m.gpus_billed) << "seed " << seed << " index " << i;
        best_p = std::min(best_p, a.m.gpus_billed);
      }
      if (b.reason == reason_feasible) best_q = std::min(best_q, b.m.gpus_billed);
      ASSERT_LE(b.m.tpot_s, a.m.tpot_s);
      // TTFT is reported at the planned load, which a better GPU may raise; its capacity and the
      // utilisation it can run at only grow.
      ASSERT_GE(b.m.main.utilisation, a.m.main.utilisation);
      ASSERT_GE(b.m.main.requests_per_s, a.m.main.requests_per_s);
      ASSERT_GE(b.m.main.kv_bytes_available, a.m.main.kv_bytes_available);
    }
    EXPECT_LE(best_q, best_p) << "seed " << seed;
  }
}

TEST(Invariants, HigherTargetNeverNeedsFewerGpus) {
  for (std::uint64_t seed = 200; seed < 200 + scenarios; ++seed) {
    auto p = testing::random_problem(seed);
    auto q = std::make_unique<problem>(*p);
    q->workload.tokens_per_day *= 1.0 + double(seed % 7) * 0.37 + 1e-9;
    for (std::uint64_t i = 0; i < grid_size(p->grid); ++i) {
      evaluation a = evaluate(*p, i);
      evaluation b = evaluate(*q, i);
      ASSERT_EQ(a.reason, b.reason) << "the target changes fleet size, never feasibility";
      ASSERT_GE(b.m.gpus_billed, a.m.gpus_billed) << "seed " << seed << " index " << i;
      ASSERT_GE(b.m.cost_usd_per_day, a.m.cost_usd_per_day);
      ASSERT_GE(b.m.shortfall_gpus, a.m.shortfall_gpus);
    }
  }
}

TEST(Invariants, MoreGpusAvailableNeverLowersCapacity) {
  for (std::uint64_t seed = 300; seed < 300 + scenarios; ++seed) {
    auto p = testing::random_problem(seed);
    auto q = std::make_unique<problem>(*p);
    for (std::uint32_t s = 0; s < q->n_sites; ++s) {
      q->sites[s].gpus_available += 1000;
      q->sites[s].type_gpus_available += 1000;
    }
    for (std::uint64_t i = 0; i < grid_size(p->grid); ++i) {
      evaluation a = evaluate(*p, i);
      evaluation b = evaluate(*q, i);
      ASSERT_LE(b.m.shortfall_gpus, a.m.shortfall_gpus);
      ASSERT_EQ(b.m.gpus_billed, a.m.gpus_billed) << "availability is reported, never a filter";
      ASSERT_EQ(a.reason, b.reason);
    }
  }
}

TEST(Invariants, LongerSloNeverShrinksTheFeasibleSet) {
  for (std::uint64_t seed = 400; seed < 400 + scenarios; ++seed) {
    auto p = testing::random_problem(seed);
    auto q = std::make_unique<problem>(*p);
    q->workload.tpot_slo_s *= 1.5;
    q->workload.ttft_slo_s *= 1.5;
    for (std::uint64_t i = 0; i < grid_size(p->grid); ++i) {
      if (evaluate(*p, i).reason == reason_feasible) {
        ASSERT_EQ(evaluate(*q, i).reason, reason_feasible);
      }
    }
  }
}

TEST(Invariants, WholeNodesAreBilled) {
  for (std::uint64_t seed = 500; seed < 500 + scenarios; ++seed) {
    auto p = testing::random_problem(seed);
    for (std::uint64_t i = 0; i < grid_size(p->grid); ++i) {
      evaluation e = evaluate(*p, i);
      if (e.reason != reason_feasible) continue;
      const double gpn = p->sites[e.cfg.site].gpus_per_node;
      ASSERT_EQ(e.m.gpus_billed, e.m.nodes * gpn);
      ASSERT_GE(e.m.gpus_billed, e.m.gpus);
      ASSERT_LT(e.m.gpus_billed - e.m.gpus, gpn * (e.m.main.instances + e.m.prefill.instances + 1.0))
          << "no more than a node's slack per instance";
    }
  }
}

}  // namespace
}  // namespace tokenplan
