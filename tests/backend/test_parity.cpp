// CPU/CUDA parity: the same top-N indices in the same order and bit-identical metrics, on the
// hand case and on randomized scenarios. Skips itself where no CUDA device is usable; runs on
// the GPU machine through bench/device.sh.
#include <gtest/gtest.h>

#include <cstring>

#include "search/backend.hpp"
#include "scenarios.hpp"

namespace tokenplan {
namespace {

class Parity : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!cuda_backend_available(&why)) GTEST_SKIP() << why;
    cpu_ = make_cpu_backend(0);
    cuda_ = make_cuda_backend();
  }
  std::unique_ptr<backend> cpu_, cuda_;
};

/// The same top-N (indices, keys and costs, in order) and the same verdict counts.
void expect_same_answer(const search_result& a, const search_result& b, const std::string& what) {
  ASSERT_EQ(a.top.size(), b.top.size()) << what;
  for (std::size_t i = 0; i < a.top.size(); ++i) {
    ASSERT_EQ(a.top[i].index, b.top[i].index) << what << " rank " << i;
    ASSERT_EQ(a.top[i].key, b.top[i].key) << what << " rank " << i;
    ASSERT_EQ(a.top[i].tie, b.top[i].tie) << what << " rank " << i;
  }
  for (int k = 0; k < reason_count; ++k) ASSERT_EQ(a.stats.counts[k], b.stats.counts[k]) << what;
}

void expect_identical(backend& a, backend& b, const problem& p, std::uint64_t top_n, const std::string& what) {
  search_options opt;
  opt.top_n = top_n;
  opt.chunk_configs = 4099;
  search_result ra = a.search(p, opt);
  search_result rb = b.search(p, opt);
  ASSERT_NO_FATAL_FAILURE(expect_same_answer(ra, rb, what));
  std::vector<std::uint64_t> idx;
  for (const ranked& r : ra.top) idx.push_back(r.index);
  // Every metric, bit for bit, including a few infeasible indices.
  for (std::uint64_t i = 0; i < grid_size(p.grid); i += 97) idx.push_back(i);
  std::vector<evaluation> ea = a.evaluate(p, idx), eb = b.evaluate(p, idx);
  for (std::size_t i = 0; i < idx.size(); ++i) {
    ASSERT_EQ(std::memcmp(&ea[i].m, &eb[i].m, sizeof(metrics)), 0) << what << " index " << idx[i];
    ASSERT_EQ(ea[i].reason, eb[i].reason);
  }
}

TEST_F(Parity, HandCase) { expect_identical(*cpu_, *cuda_, *testing::hand_problem(), 12, "hand"); }

// The multi-GPU split and merge on one GPU: its work cut in two (and in five) parts, merged,
// against the CPU's one-part answer.
TEST_F(Parity, SplitInTwoOnOneGpu) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    auto p = testing::random_problem(seed);
    for (std::uint64_t parts : {2u, 5u}) {
      search_options one, split;
      one.top_n = split.top_n = 25;
      one.chunk_configs = split.chunk_configs = 4099;
      split.parts = parts;
      search_result a = cpu_->search(*p, one), b = cuda_->search(*p, split);
      const std::string what = "seed " + std::to_string(seed) + " parts " + std::to_string(parts);
      ASSERT_NO_FATAL_FAILURE(expect_same_answer(a, b, what));
      ASSERT_EQ(b.stats.evaluated, grid_size(p->grid)) << what;
    }
  }
}

// The chunked engine on the GPU against the CPU's streaming engine.
TEST_F(Parity, ChunkedEngineOnGpu) {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    auto p = testing::random_problem(seed);
    testing::randomize_grid(*p, seed);
    search_options streaming, chunked;
    streaming.top_n = chunked.top_n = 1 + seed % 50;
    chunked.streaming = false;
    chunked.chunk_configs = 1u << (8 + seed % 10);
    search_result a = cpu_->search(*p, streaming), b = cuda_->search(*p, chunked);
    ASSERT_NO_FATAL_FAILURE(expect_same_answer(a, b, "seed " + std::to_string(seed)));
  }
}

// The same streaming shape on both backends (an H200's, set explicitly) does the same work: not
// only the same answer, but the same configurations costed in full, inherited from a smaller
// batch, and skipped by the bound, pass by pass.
TEST_F(Parity, SameShapeSameWork) {
  for (std::uint64_t seed = 1401; seed <= 1500; ++seed) {
    auto p = testing::random_problem(seed);
    testing::randomize_grid(*p, seed);
    search_options opt;
    opt.top_n = 1 + seed % 60;
    const streaming_shape shape = cuda_streaming_shape(seed % 2 ? 132 : 1, grid_size(p->grid), opt.top_n);
    opt.blocks_per_pass = shape.blocks;
    opt.block_configs = shape.block_configs;
    search_result a = cpu_->search(*p, opt), b = cuda_->search(*p, opt);
    const std::string what = "seed " + std::to_string(seed);
    ASSERT_NO_FATAL_FAILURE(expect_same_answer(a, b, what));
    ASSERT_EQ(a.stats.fully_evaluated, b.stats.fully_evaluated) << what;
    ASSERT_EQ(a.stats.pruned_prefix, b.stats.pruned_prefix) << what;
    ASSERT_EQ(a.stats.pruned_bound, b.stats.pruned_bound) << what;
  }
}

TEST_F(Parity, RandomScenarios) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    expect_identical(*cpu_, *cuda_, *testing::random_problem(seed), 25, "seed " + std::to_string(seed));
  }
}

// The 300 scenarios of Search.EnginesMatchTheReferenceOnThreeHundredScenarios (random axes,
// duplicate values, so exact ties broken by index; unsorted batch axes), CPU against CUDA.
TEST_F(Parity, RandomGridScenarios) {
  for (std::uint64_t seed = 1001; seed <= 1300; ++seed) {
    auto p = testing::random_problem(seed);
    testing::randomize_grid(*p, seed);
    expect_identical(*cpu_, *cuda_, *p, 1 + seed % 300, "grid seed " + std::to_string(seed));
  }
}

}  // namespace
}  // namespace tokenplan
