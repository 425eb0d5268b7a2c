// 64-bit grid indices: the largest grid the axes allow (3.97e13, about 2^45) is counted without
// overflow, and decode_index round-trips at the 32-bit boundaries (2^31, 2^32) and at the end of
// grids past 2^32, against an independent mixed-radix encoder.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <random>

#include "grid_encode.hpp"
#include "tokenplan/model.hpp"
#include "tokenplan/specs.hpp"

namespace {

using namespace tokenplan;

/// Axis value k (0-based) is k + 1 (sites, precisions and drafts: k): no axis repeats a value,
/// so testing::encode finds every position back.
void fill_pool(pool_axes& a, std::uint32_t layouts, std::uint32_t chunks, std::uint32_t batches) {
  a.n_layout = layouts;
  for (std::uint32_t i = 0; i < layouts; ++i) a.layouts[i] = layout{i + 1, 1, 1, 1};
  a.n_chunk = chunks;
  for (std::uint32_t i = 0; i < chunks; ++i) a.chunk[i] = i + 1;
  a.n_batch = batches;
  for (std::uint32_t i = 0; i < batches; ++i) a.batch[i] = i + 1;
}

std::unique_ptr<grid_axes> largest_grid() {
  auto g = std::make_unique<grid_axes>();
  g->n_site = max_sites;
  for (int i = 0; i < max_sites; ++i) g->site[i] = static_cast<std::uint8_t>(i);
  g->n_wprec = g->n_kvprec = precision_count;
  for (int i = 0; i < precision_count; ++i) g->wprec[i] = g->kvprec[i] = static_cast<std::uint8_t>(i);
  g->n_draft = max_axis_values;
  for (int i = 0; i < max_axis_values; ++i) g->draft[i] = static_cast<std::uint32_t>(i);
  g->aggregated = g->disaggregated = true;
  fill_pool(g->agg, max_layouts, max_axis_values, max_batch_values);
  // As the grid loader builds them: one batch value for prefill, one chunk value for decode.
  fill_pool(g->prefill, max_layouts, max_axis_values, 1);
  fill_pool(g->decode, max_layouts, 1, max_batch_values);
  return g;
}

using tokenplan::testing::encode;

TEST(Index64, LargestGridIsCountedWithoutOverflow) {
  const auto g = largest_grid();
  const std::uint64_t pool = std::uint64_t(max_layouts) * max_axis_values * max_batch_values;
  const std::uint64_t block = pool + (std::uint64_t(max_layouts) * max_axis_values) * (std::uint64_t(max_layouts) * max_batch_values);
  const std::uint64_t groups = std::uint64_t(max_sites) * precision_count * precision_count * max_axis_values;
  ASSERT_EQ(block_size(*g), block);
  // The product stays far below 2^63 - 1: no grid the axes allow can wrap a 64-bit index
  // (2^63 - 1 itself is out of reach of every grid, so there is no index there to decode).
  ASSERT_LT(block, std::numeric_limits<std::uint64_t>::max() / 2 / groups);
  EXPECT_EQ(grid_size(*g), block * groups);
  EXPECT_GT(grid_size(*g), std::uint64_t(1) << 45);  // 3.97e13
  EXPECT_LT(grid_size(*g), std::uint64_t(std::numeric_limits<std::int64_t>::max()));
}

TEST(Index64, DecodeRoundTripsAtThe32BitBoundaries) {
  const auto g = largest_grid();
  const std::uint64_t n = grid_size(*g);
  const std::uint64_t two31 = std::uint64_t(1) << 31, two32 = std::uint64_t(1) << 32;
  std::vector<std::uint64_t> at = {0,         1,         two31 - 1, two31,     two31 + 1, two32 - 1, two32,
                                   two32 + 1, 3 * two32, n / 2,     n - 2,     n - 1};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) at.push_back(rng() % n);
  for (std::uint64_t index : at) {
    const serving_config c = decode_index(*g, index);
    EXPECT_EQ(encode(*g, c), index) << "index " << index;
  }
  // The last index is the last disaggregated pair of the last group.
  const serving_config last = decode_index(*g, n - 1);
  EXPECT_EQ(last.mode, mode_disaggregated);
  EXPECT_EQ(last.site, std::uint32_t(max_sites - 1));
  EXPECT_EQ(last.draft, std::uint32_t(max_axis_values - 1));
  EXPECT_EQ(last.main.batch, std::uint32_t(max_batch_values));
  EXPECT_EQ(last.prefill.chunk, std::uint32_t(max_axis_values));
}

TEST(Index64, ASmallerGridPastTwoTo32DecodesItsLastIndex) {
  // Aggregated off, three groups of 2^31 disaggregated pairs each: 6.4e9 configurations.
  auto g = largest_grid();
  g->n_site = g->n_wprec = g->n_kvprec = 1;
  g->n_draft = 3;
  g->aggregated = false;
  const std::uint64_t n = grid_size(*g);
  ASSERT_GT(n, std::uint64_t(1) << 32);
  for (std::uint64_t index : {std::uint64_t(0), (std::uint64_t(1) << 32) - 1, std::uint64_t(1) << 32, n - 1}) {
    const serving_config c = decode_index(*g, index);
    EXPECT_EQ(c.mode, mode_disaggregated);
    EXPECT_EQ(encode(*g, c), index) << index;
  }
}

}  // namespace
