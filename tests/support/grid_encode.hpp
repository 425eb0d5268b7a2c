// The inverse of decode_index for tests, written from the index layout specs.hpp documents (not
// from decode_index): an axis value's position is found by value, so axes must not repeat values.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include "tokenplan/model.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan::testing {

/// Position of `v` among the first n values of an axis.
template <class T, class U>
std::uint64_t position(const T* axis, std::uint32_t n, U v) {
  for (std::uint32_t i = 0; i < n; ++i) {
    if (axis[i] == v) return i;
  }
  ADD_FAILURE() << "value not on the axis";
  return 0;
}

/// Position of a pool configuration in its pool's axes (layout, chunk, batch; batch innermost).
inline std::uint64_t pool_position(const pool_axes& a, const pool_config& c) {
  std::uint64_t l = a.n_layout;
  for (std::uint32_t i = 0; i < a.n_layout; ++i) {
    const layout& x = a.layouts[i];
    if (x.tp == c.lay.tp && x.pp == c.lay.pp && x.ep == c.lay.ep && x.dp == c.lay.dp) l = i;
  }
  EXPECT_LT(l, a.n_layout) << "layout not on the axis";
  return (l * a.n_chunk + position(a.chunk, a.n_chunk, c.chunk)) * a.n_batch + position(a.batch, a.n_batch, c.batch);
}

/// Index of configuration c in grid g: site, weight format, KV format, draft length, then the
/// aggregated pool, then (prefill pool x decode pool).
inline std::uint64_t encode(const grid_axes& g, const serving_config& c) {
  std::uint64_t i = position(g.site, g.n_site, c.site);
  i = i * g.n_wprec + position(g.wprec, g.n_wprec, c.wprec);
  i = i * g.n_kvprec + position(g.kvprec, g.n_kvprec, c.kvprec);
  i = i * g.n_draft + position(g.draft, g.n_draft, c.draft);
  const std::uint64_t agg = g.aggregated ? pool_size(g.agg) : 0;
  const std::uint64_t j = c.mode == mode_aggregated ? pool_position(g.agg, c.main)
                                                    : agg + pool_position(g.prefill, c.prefill) * pool_size(g.decode) +
                                                          pool_position(g.decode, c.main);
  return i * block_size(g) + j;
}

}  // namespace tokenplan::testing
