// The CPU engine against a reference that evaluates the whole grid and stable-sorts it: the
// same top-N in the same order, and verdict counts that add up to the grid size.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "backend.hpp"
#include "loaders.hpp"
#include "problem_builder.hpp"
#include "scenarios.hpp"
#include "temp_dir.hpp"
#include "tokenplan/search.hpp"

namespace tokenplan {
namespace {

struct reference_result {
  std::vector<ranked> top;
  std::uint64_t counts[reason_count] = {};
};

reference_result reference_search(const problem& p, std::uint64_t top_n) {
  reference_result r;
  std::vector<ranked> all;
  for (std::uint64_t i = 0; i < grid_size(p.grid); ++i) {
    evaluation e = evaluate(p, i);
    r.counts[e.reason] += 1;
    if (e.reason == reason_feasible) all.push_back(ranked{i, e.key, e.m.cost_usd_per_day});
  }
  std::stable_sort(all.begin(), all.end(), [](const ranked& a, const ranked& b) {
    if (a.key != b.key) return a.key < b.key;
    return a.cost < b.cost;  // stable: equal keys and costs keep index order
  });
  all.resize(std::min<std::size_t>(all.size(), top_n));
  r.top = all;
  return r;
}

void expect_same(const search_result& got, const reference_result& want, const std::string& what) {
  ASSERT_EQ(got.top.size(), want.top.size()) << what;
  for (std::size_t i = 0; i < got.top.size(); ++i) {
    ASSERT_EQ(got.top[i].index, want.top[i].index) << what << " rank " << i;
    ASSERT_EQ(got.top[i].key, want.top[i].key) << what << " rank " << i;
  }
  std::uint64_t total = 0;
  for (int k = 0; k < reason_count; ++k) {
    ASSERT_EQ(got.stats.counts[k], want.counts[k]) << what << " reason " << reason_name(k);
    total += got.stats.counts[k];
  }
  ASSERT_EQ(total, got.stats.grid_size);
  ASSERT_EQ(got.stats.evaluated, got.stats.grid_size);
}

TEST(Search, MatchesReferenceOnRandomScenarios) {
  std::unique_ptr<backend> cpu = make_cpu_backend(2);
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    auto p = testing::random_problem(seed);
    for (std::uint64_t top_n : {1ull, 7ull, 100ull}) {
      reference_result want = reference_search(*p, top_n);
      for (std::uint64_t chunk : {13ull, 997ull, 1ull << 20}) {
        search_options opt;
        opt.top_n = top_n;
        opt.chunk_configs = chunk;
        expect_same(cpu->search(*p, opt), want,
                    "seed " + std::to_string(seed) + " top " + std::to_string(top_n) + " chunk " + std::to_string(chunk));
      }
    }
  }
}

TEST(Search, SameAnswerAtOneTwoAndSevenThreads) {
  auto p = testing::random_problem(77);
  search_options opt;
  opt.top_n = 50;
  opt.chunk_configs = 100;
  search_result one = make_cpu_backend(1)->search(*p, opt);
  for (int threads : {2, 7}) {
    search_result many = make_cpu_backend(threads)->search(*p, opt);
    ASSERT_EQ(one.top.size(), many.top.size());
    for (std::size_t i = 0; i < one.top.size(); ++i) EXPECT_EQ(one.top[i].index, many.top[i].index);
    for (int k = 0; k < reason_count; ++k) EXPECT_EQ(one.stats.counts[k], many.stats.counts[k]);
  }
}

// Pruning (optimistic keys against the running N-th best, after a strided sample) changes
// neither the ranking nor the counts: random scenarios with grids past the sampling threshold,
// and the shipped example.
TEST(Search, PruningChangesNothing) {
  std::unique_ptr<backend> cpu = make_cpu_backend(2);
  auto check = [&](const problem& p, const std::string& what) {
    ASSERT_GE(grid_size(p.grid), 64u * 1024u) << what;
    for (std::uint64_t top_n : {1ull, 50ull, 512ull}) {
      search_options on, off;
      on.top_n = off.top_n = top_n;
      on.chunk_configs = off.chunk_configs = 1ull << 15;
      off.prune = false;
      search_result a = cpu->search(p, on), b = cpu->search(p, off);
      ASSERT_EQ(a.top.size(), b.top.size()) << what;
      for (std::size_t i = 0; i < a.top.size(); ++i) {
        ASSERT_EQ(a.top[i].index, b.top[i].index) << what << " top " << top_n << " rank " << i;
        ASSERT_EQ(a.top[i].key, b.top[i].key) << what << " rank " << i;
      }
      for (int k = 0; k < reason_count; ++k) ASSERT_EQ(a.stats.counts[k], b.stats.counts[k]) << what;
    }
  };
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    auto p = testing::random_problem(seed);
    pool_axes& agg = p->grid.agg;  // a 256-value batch axis: at least 12 x 24 x 256 configurations
    agg.n_batch = 256;
    for (std::uint32_t b = 0; b < agg.n_batch; ++b) agg.batch[b] = 1 + b * 4;
    check(*p, "seed " + std::to_string(seed));
  }
  plan_inputs in;
  in.cal = load_calibration(testing::shipped("calibration.json"));
  in.model = load_model(testing::shipped("models/llama-3.1-70b.json"));
  in.workload = load_workload(testing::shipped("workloads/chat-30tn.json"));
  in.cluster = load_cluster(testing::shipped("clusters/bytedance-h200-overseas.json"), {testing::shipped("gpus")}, in.cal);
  in.grid = default_grid(in.model.spec);
  in.engine = in.cal.reference_engine;
  check(*build_problem(in), "shipped example");
}

// The same on 100 randomized scenarios, for both engines (the CPU backend's streaming engine,
// and the chunked engine the CUDA backend runs, compiled for the CPU): top-K indices and keys,
// verdict counts, and the work accounting (fully evaluated + inherited = grid).
TEST(Search, PrunedEqualsUnprunedOnHundredScenarios) {
  std::unique_ptr<backend> cpu = make_cpu_backend(2);
  std::mt19937_64 rng(2026);
  std::uint64_t skipped = 0, total = 0;
  for (std::uint64_t seed = 101; seed <= 200; ++seed) {
    auto p = testing::random_problem(seed);
    pool_axes& agg = p->grid.agg;
    agg.n_batch = 8 + static_cast<std::uint32_t>(rng() % 17);  // 8..24 batch values
    const std::uint32_t step = 1 + static_cast<std::uint32_t>(rng() % 8);
    for (std::uint32_t b = 0; b < agg.n_batch; ++b) agg.batch[b] = 1 + b * step;
    const std::uint64_t top_n = std::uint64_t{1} << (rng() % 10);  // 1..512
    for (bool streaming : {true, false}) {
      search_options on, off;
      on.top_n = off.top_n = top_n;
      on.chunk_configs = off.chunk_configs = 1ull << (12 + rng() % 5);
      on.streaming = off.streaming = streaming;
      off.prune = false;
      search_result a = cpu->search(*p, on), b = cpu->search(*p, off);
      const std::string what = "seed " + std::to_string(seed) + (streaming ? " streaming" : " chunked");
      ASSERT_EQ(a.top.size(), b.top.size()) << what;
      for (std::size_t i = 0; i < a.top.size(); ++i) {
        ASSERT_EQ(a.top[i].index, b.top[i].index) << what << " rank " << i;
        ASSERT_EQ(a.top[i].key, b.top[i].key) << what << " rank " << i;
        ASSERT_EQ(a.top[i].cost, b.top[i].cost) << what << " rank " << i;
      }
      std::uint64_t sum = 0;
      for (int k = 0; k < reason_count; ++k) {
        ASSERT_EQ(a.stats.counts[k], b.stats.counts[k]) << what << " reason " << k;
        sum += a.stats.counts[k];
      }
      ASSERT_EQ(sum, grid_size(p->grid)) << what;
      ASSERT_EQ(a.stats.evaluated, grid_size(p->grid)) << what;
      ASSERT_LE(a.stats.fully_evaluated + a.stats.pruned_prefix, grid_size(p->grid)) << what;
      ASSERT_LE(a.stats.pruned_bound, a.stats.fully_evaluated) << what;
      ASSERT_EQ(b.stats.pruned_bound, 0u) << what;
      skipped += a.stats.pruned_prefix + a.stats.pruned_bound;
      total += grid_size(p->grid);
    }
  }
  // The scenarios exercise the pruning, not only the plain path.
  EXPECT_GT(skipped, total / 20);
}

TEST(Search, ProgressReachesTheGridSize) {
  auto p = testing::random_problem(5);
  search_options opt;
  opt.chunk_configs = 64;
  std::uint64_t last = 0, calls = 0;
  opt.progress = [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_GT(done, last);
    EXPECT_EQ(total, grid_size(p->grid));
    last = done;
    ++calls;
  };
  make_cpu_backend(2)->search(*p, opt);
  EXPECT_EQ(last, grid_size(p->grid));
  // A pass holds at most --chunk configurations, so there are at least grid / 64 of them.
  EXPECT_GE(calls, (grid_size(p->grid) + 63) / 64);
}

TEST(Search, EvaluateReturnsTheModelsNumbers) {
  auto p = testing::random_problem(9);
  std::vector<std::uint64_t> idx = {0, 5, grid_size(p->grid) - 1};
  std::vector<evaluation> got = make_cpu_backend(2)->evaluate(*p, idx);
  ASSERT_EQ(got.size(), idx.size());
  for (std::size_t i = 0; i < idx.size(); ++i) {
    evaluation want = evaluate(*p, idx[i]);
    EXPECT_EQ(got[i].index, idx[i]);
    EXPECT_EQ(got[i].reason, want.reason);
    EXPECT_EQ(got[i].m.cost_usd_per_day, want.m.cost_usd_per_day);
    EXPECT_EQ(got[i].m.tpot_s, want.m.tpot_s);
  }
}

TEST(Search, MergeTopKeepsOrderAndBound) {
  std::vector<ranked> top = {{1, 1.0, 1.0}, {4, 3.0, 1.0}};
  merge_top(top, {{2, 2.0, 5.0}, {3, 3.0, 0.5}}, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].index, 1u);
  EXPECT_EQ(top[1].index, 2u);
  EXPECT_EQ(top[2].index, 3u);  // same key as index 4, lower cost
}

}  // namespace
}  // namespace tokenplan
