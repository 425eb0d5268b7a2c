// The CPU engine against a reference that evaluates the whole grid and stable-sorts it: the
// same top-N in the same order, and verdict counts that add up to the grid size.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <numeric>
#include <random>

#include "search/backend.hpp"
#include "io/loaders.hpp"
#include "search/problem_builder.hpp"
#include "scenarios.hpp"
#include "grid_encode.hpp"
#include "search/split_search.hpp"
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
    if (e.reason == reason_feasible) all.push_back(ranked{i, e.key, e.tie});
  }
  std::stable_sort(all.begin(), all.end(), [](const ranked& a, const ranked& b) {
    if (a.key != b.key) return a.key < b.key;
    return a.tie < b.tie;  // stable: equal keys and tie-breaks keep index order
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

// The parity test of the CPU path: 300 randomized scenarios (random_problem's model, workload
// and sites, randomize_grid's axes), each searched by both engines (the streaming engine of the
// CPU backend and the chunked engine, its cross-check) with a random top-N and chunk size,
// against the whole-grid stable-sorted reference: the same configurations in the same order,
// bit-identical keys and costs (the tolerance is zero: the model is compiled without FMA
// contraction and uses only +, -, x, / and sqrt, so there is nothing to tolerate), ties broken
// by index, the same verdict counts, and every metric of the top-N bit for bit.
TEST(Search, EnginesMatchTheReferenceOnThreeHundredScenarios) {
  std::unique_ptr<backend> cpu = make_cpu_backend(2);
  std::mt19937_64 rng(4242);
  std::uint64_t configurations = 0, ranked_total = 0, ties = 0;
  for (std::uint64_t seed = 1001; seed <= 1300; ++seed) {
    auto p = testing::random_problem(seed);
    testing::randomize_grid(*p, seed);
    const std::uint64_t top_n = 1 + rng() % 300;
    reference_result want = reference_search(*p, top_n);
    configurations += grid_size(p->grid);
    ranked_total += want.top.size();
    for (std::size_t i = 1; i < want.top.size(); ++i) {
      ties += want.top[i].key == want.top[i - 1].key && want.top[i].tie == want.top[i - 1].tie;
    }
    std::vector<std::uint64_t> idx;
    for (const ranked& r : want.top) idx.push_back(r.index);
    const std::vector<evaluation> exact = cpu->evaluate(*p, idx);
    for (bool streaming : {true, false}) {
      search_options opt;
      opt.top_n = top_n;
      opt.chunk_configs = std::uint64_t{1} << (6 + rng() % 12);
      opt.streaming = streaming;
      const std::string what = "seed " + std::to_string(seed) + (streaming ? " streaming" : " chunked") + " top " +
                               std::to_string(top_n) + " chunk " + std::to_string(opt.chunk_configs);
      search_result got = cpu->search(*p, opt);
      expect_same(got, want, what);
      for (std::size_t i = 0; i < got.top.size(); ++i) ASSERT_EQ(got.top[i].tie, want.top[i].tie) << what << " rank " << i;
    }
    for (std::size_t i = 0; i < idx.size(); ++i) {
      const evaluation ref = evaluate(*p, idx[i], eval_report);  // the backend reports at eval_report depth
      ASSERT_EQ(exact[i].reason, reason_feasible);
      ASSERT_EQ(std::memcmp(&exact[i].m, &ref.m, sizeof(metrics)), 0) << "seed " << seed << " index " << idx[i];
    }
  }
  // The scenarios are not trivial: many configurations, long rankings, and exact ties.
  EXPECT_GT(configurations, 1000000u);
  EXPECT_GT(ranked_total, 10000u);
  EXPECT_GT(ties, 0u);
  std::printf("parity: 300 scenarios, %llu configurations, %llu ranked, %llu exact ties\n",
              static_cast<unsigned long long>(configurations), static_cast<unsigned long long>(ranked_total),
              static_cast<unsigned long long>(ties));
}

// The CUDA backend's streaming engine runs one thread per block of a few indices, over as many
// blocks as the GPU holds threads (cuda_streaming_shape); on the CPU its blocks are long. The
// CPU backend in the CUDA backend's shape, for an H200 (132 SMs: one index per block on these
// grids, thousands of blocks per pass, so the compaction of kept slots does real work) and for
// one and two SMs (blocks of several indices, prefix pruning within them): the reference's
// answer every time, on 100 randomized scenarios.
TEST(Search, StreamingEngineInTheCudaShapeMatchesTheReference) {
  std::unique_ptr<backend> cpu = make_cpu_backend(2);
  std::uint64_t many_blocks = 0, long_blocks = 0;
  for (std::uint64_t seed = 3001; seed <= 3100; ++seed) {
    auto p = testing::random_problem(seed);
    testing::randomize_grid(*p, seed);
    const std::uint64_t grid = grid_size(p->grid);
    const std::uint64_t top_n = 1 + seed % 40;
    const reference_result want = reference_search(*p, top_n);
    for (int sms : {132, 2, 1}) {
      const streaming_shape shape = cuda_streaming_shape(sms, grid, top_n);
      ASSERT_LE(shape.blocks, std::max<std::uint64_t>(1, grid));
      many_blocks += shape.blocks >= 1000;
      long_blocks += shape.block_configs > 1;
      search_options opt;
      opt.top_n = top_n;
      opt.blocks_per_pass = shape.blocks;
      opt.block_configs = shape.block_configs;
      const std::string what = "seed " + std::to_string(seed) + " sms " + std::to_string(sms) + " blocks " +
                               std::to_string(shape.blocks) + " x " + std::to_string(shape.block_configs);
      const search_result got = cpu->search(*p, opt);
      expect_same(got, want, what);
      for (std::size_t i = 0; i < got.top.size(); ++i) ASSERT_EQ(got.top[i].tie, want.top[i].tie) << what << " rank " << i;
    }
  }
  EXPECT_GT(many_blocks, 50u);
  EXPECT_GT(long_blocks, 20u);
}

// The shape on a grid the size of the benchmarks': an H200's 135,168 threads of 4,096 indices
// at most, fewer threads for a large top-N, and never more threads than indices.
TEST(Search, CudaStreamingShape) {
  streaming_shape s = cuda_streaming_shape(132, 10'000'000'000ull, 20);
  EXPECT_EQ(s.blocks, 132u * 1024u);
  EXPECT_EQ(s.block_configs, 4096u);
  s = cuda_streaming_shape(132, 100'000'000ull, 20);
  EXPECT_EQ(s.blocks, 132u * 1024u);
  EXPECT_EQ(s.block_configs, 100'000'000ull / (132u * 1024u * 4u));
  s = cuda_streaming_shape(132, 1'000'000'000ull, 100'000);  // 512 MiB of slots / (1e5 x 32 B)
  EXPECT_EQ(s.blocks, (512ull << 20) / (100'000ull * candidate_bytes));
  s = cuda_streaming_shape(132, 1000, 20);
  EXPECT_EQ(s.blocks, 1000u);
  EXPECT_EQ(s.block_configs, 1u);
  s = cuda_streaming_shape(0, 0, 0);
  EXPECT_EQ(s.blocks, 1u);
  EXPECT_EQ(s.block_configs, 1u);
}

// The multi-GPU path (split_search.hpp) on the CPU: the index space cut into 2, 3, 7 and 64
// parts (and, on the 12-configuration hand case, more parts than configurations), each searched
// alone and merged, gives the one-part answer (top-N, verdict counts, every index given a verdict
// once), for both engines; progress sums the parts and reaches the grid size.
TEST(Search, SplitAndMergeEqualsOnePart) {
  std::unique_ptr<backend> cpu = make_cpu_backend(2);
  for (std::uint64_t seed = 2000; seed <= 2040; ++seed) {
    auto p = testing::random_problem(seed);
    testing::randomize_grid(*p, seed);
    if (seed == 2000) p = testing::hand_problem();
    const std::uint64_t grid = grid_size(p->grid);
    for (bool streaming : {true, false}) {
      search_options one;
      one.top_n = 1 + seed % 97;
      one.chunk_configs = 1u << 10;
      one.streaming = streaming;
      const search_result want = cpu->search(*p, one);
      for (std::uint64_t parts : {std::uint64_t(2), std::uint64_t(3), std::uint64_t(7), seed == 2000 ? grid + 5 : 64}) {
        search_options split = one;
        split.parts = parts;
        std::uint64_t last = 0;
        split.progress = [&](std::uint64_t done, std::uint64_t total) {
          EXPECT_GE(done, last);
          EXPECT_EQ(total, grid);
          last = done;
        };
        const search_result got = cpu->search(*p, split);
        const std::string what = "seed " + std::to_string(seed) + " parts " + std::to_string(parts) +
                                 (streaming ? " streaming" : " chunked");
        ASSERT_EQ(got.top.size(), want.top.size()) << what;
        for (std::size_t i = 0; i < got.top.size(); ++i) {
          ASSERT_EQ(got.top[i].index, want.top[i].index) << what << " rank " << i;
          ASSERT_EQ(got.top[i].key, want.top[i].key) << what << " rank " << i;
          ASSERT_EQ(got.top[i].tie, want.top[i].tie) << what << " rank " << i;
        }
        for (int k = 0; k < reason_count; ++k) ASSERT_EQ(got.stats.counts[k], want.stats.counts[k]) << what;
        ASSERT_EQ(got.stats.grid_size, grid) << what;
        ASSERT_EQ(got.stats.evaluated, grid) << what;
        ASSERT_EQ(last, grid) << what;
      }
    }
  }
}

TEST(Search, SplitSearchRunsPartsOnParallelWorkersAndRethrows) {
  // Two workers in threads, as with two GPUs: part k on worker k % 2.
  std::mutex mu;
  std::vector<std::pair<std::uint64_t, int>> seen;
  search_options o;
  o.top_n = 3;
  search_result r = split_search(10, o, 5, 2, [&](std::uint64_t first, std::uint64_t last, const search_options&, int w) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back({first, w});
    search_result part;
    part.stats.grid_size = last - first;
    part.stats.evaluated = last - first;
    part.stats.counts[reason_feasible] = last - first;
    for (std::uint64_t i = first; i < last; ++i) part.top.push_back(ranked{i, double(10 - i), 1.0});
    std::sort(part.top.begin(), part.top.end(), [](const ranked& a, const ranked& b) { return ranks_before(a, b); });
    return part;
  });
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), 5u);
  for (std::size_t k = 0; k < seen.size(); ++k) {
    EXPECT_EQ(seen[k].first, 2 * k);
    EXPECT_EQ(seen[k].second, static_cast<int>(k % 2));
  }
  ASSERT_EQ(r.top.size(), 3u);
  EXPECT_EQ(r.top[0].index, 9u);
  EXPECT_EQ(r.top[2].index, 7u);
  EXPECT_EQ(r.stats.counts[reason_feasible], 10u);
  EXPECT_EQ(r.stats.evaluated, 10u);
  // A worker's failure reaches the caller.
  EXPECT_THROW(split_search(10, o, 4, 2,
                            [&](std::uint64_t first, std::uint64_t, const search_options&, int) -> search_result {
                              if (first > 0) throw std::runtime_error("device lost");
                              return search_result{};
                            }),
               std::runtime_error);
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
// and the chunked engine): top-K indices and keys,
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
        ASSERT_EQ(a.top[i].tie, b.top[i].tie) << what << " rank " << i;
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

// A grid of 4.6e9 configurations (past 2^32) is planned without evaluating billions of them: it
// is a small grid of 278,528 configurations that can run, padded with layouts no engine can run
// (TP 3 of a 32-head model) on every pool axis. The answer must be the small grid's, checked
// against the whole-grid reference (stable sort), with the padding counted as invalid
// parallelism, and the full evaluations bounded by the small grid's size.
TEST(Search, PlansAGridPastTwoTo32WithPruning) {
  auto small = testing::hand_problem();
  problem& s = *small;
  s.n_sites = 64;
  for (std::uint32_t i = 0; i < s.n_sites; ++i) {
    s.sites[i] = testing::make_site(testing::hand_gpu(), 20 + 10 * i);
    s.sites[i].usd_per_gpu_hour = 1.5 + 0.02 * i;
    s.sites[i].gpu.hbm_bytes_per_s = 2e12 * (1.0 + 0.01 * (i % 7));
    s.grid.site[i] = static_cast<std::uint8_t>(i);
  }
  grid_axes& g = s.grid;
  g.n_site = s.n_sites;
  testing::set_axis(g.kvprec, &g.n_kvprec, {std::uint8_t(prec_bf16), std::uint8_t(prec_fp8)});
  g.aggregated = g.disaggregated = true;
  pool_axes& agg = g.agg;
  testing::set_pool(agg, {layout{1, 1, 1, 1}, layout{2, 1, 1, 1}}, {2048u}, {});
  pool_axes& dec = g.decode;
  testing::set_pool(dec, {layout{1, 1, 1, 1}, layout{2, 1, 1, 1}}, {0u}, {});
  for (pool_axes* a : {&agg, &dec}) {
    a->n_batch = 17;
    for (std::uint32_t b = 0; b < a->n_batch; ++b) a->batch[b] = 1 + 16 * b;
  }
  pool_axes& pre = g.prefill;
  testing::set_pool(pre, {layout{2, 1, 1, 1}}, {}, {0u});
  pre.n_chunk = max_axis_values;
  for (std::uint32_t c = 0; c < pre.n_chunk; ++c) pre.chunk[c] = 256 * (c + 1);

  // The padded grid: every layout axis filled to 256 entries with TP 3.
  auto big = std::make_unique<problem>(s);
  for (pool_axes* a : {&big->grid.agg, &big->grid.prefill, &big->grid.decode}) {
    for (std::uint32_t pp = 1; a->n_layout < max_layouts; ++pp) a->layouts[a->n_layout++] = layout{3, pp, 1, 1};
  }
  const std::uint64_t n_big = grid_size(big->grid), n_small = grid_size(g);
  ASSERT_GT(n_big, std::uint64_t(1) << 32);
  ASSERT_EQ(n_small, 128u * (34u + 32u * 34u));

  const std::uint64_t top_n = 1000;
  reference_result want = reference_search(s, top_n);
  ASSERT_EQ(want.top.size(), top_n);  // the scenario has a ranking to get right (64,704 feasible)
  search_options opt;
  opt.top_n = top_n;
  search_result got = make_cpu_backend(2)->search(*big, opt);
  ASSERT_FALSE(got.stats.interrupted);
  ASSERT_EQ(got.top.size(), want.top.size());
  for (std::size_t i = 0; i < got.top.size(); ++i) {
    const std::uint64_t mapped = testing::encode(big->grid, decode_index(g, want.top[i].index));
    ASSERT_EQ(decode_index(big->grid, mapped).main.lay.tp, decode_index(g, want.top[i].index).main.lay.tp);
    ASSERT_EQ(got.top[i].index, mapped) << "rank " << i;
    ASSERT_EQ(got.top[i].key, want.top[i].key) << "rank " << i;
    ASSERT_EQ(got.top[i].tie, want.top[i].tie) << "rank " << i;
  }
  std::uint64_t total = 0;
  for (int k = 0; k < reason_count; ++k) {
    const std::uint64_t padding = k == reason_parallelism ? n_big - n_small : 0;
    EXPECT_EQ(got.stats.counts[k], want.counts[k] + padding) << reason_name(k);
    total += got.stats.counts[k];
  }
  EXPECT_EQ(total, n_big);
  EXPECT_EQ(got.stats.evaluated, n_big);
  // Only configurations of the small grid were costed, and the padding was skipped by runs.
  EXPECT_LE(got.stats.fully_evaluated, n_small);
  EXPECT_GE(got.stats.pruned_prefix, n_big - n_small);
  // Both kinds of serving are in the ranking, so both index layouts were mapped.
  int disaggregated = 0;
  for (const ranked& r : want.top) disaggregated += decode_index(g, r.index).mode == mode_disaggregated;
  EXPECT_GT(disaggregated, 0);
  EXPECT_LT(disaggregated, static_cast<int>(top_n));
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
    evaluation want = evaluate(*p, idx[i], eval_report);
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
  EXPECT_EQ(top[2].index, 3u);  // same key as index 4, lower tie-break
}

}  // namespace
}  // namespace tokenplan
