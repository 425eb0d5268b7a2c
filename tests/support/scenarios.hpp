// Problems built in code for tests: the hand-computed scenario and seeded random scenarios.
#pragma once

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "tokenplan/specs.hpp"

namespace tokenplan::testing {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

/// The GPU of the hand-computed case: round numbers, 24 GiB.
inline gpu_spec hand_gpu() {
  gpu_spec g{};
  g.hbm_bytes = 24 * gib;
  g.hbm_bytes_per_s = 2e12;
  g.dense_flops[prec_bf16] = 400e12;
  g.dense_flops[prec_fp8] = 800e12;
  g.dense_flops[prec_fp4] = 0.0;
  g.scale_up_domain_gpus = 8;
  g.allreduce_busbw_bytes_per_s = 200e9;
  g.allreduce_latency_s = 10e-6;
  g.p2p_bytes_per_s = 100e9;
  g.p2p_latency_s = 5e-6;
  g.scale_out_bytes_per_s = 25e9;
  g.scale_out_latency_s = 5e-6;
  g.power_w = 1000.0;
  g.gemm_efficiency = 0.5;
  g.hbm_efficiency = 0.75;
  g.layer_overhead_s = 10e-6;
  g.step_overhead_s = 500e-6;
  g.memory_usable_fraction = 0.9;
  g.memory_reserve_bytes = 2 * gib;
  return g;
}

/// Llama-3.1-8B's shape.
inline model_spec llama8b_shape() {
  model_spec m{};
  m.layers = 32;
  m.hidden = 4096;
  m.heads = 32;
  m.kv_heads = 8;
  m.head_dim = 128;
  m.ffn = 14336;
  m.vocab = 128256;
  m.max_context = 131072;
  m.tie_embeddings = false;
  m.qkv_bias = false;
  return m;
}

inline site_spec make_site(const gpu_spec& g, double gpus_available) {
  site_spec s{};
  s.gpu = g;
  s.gpu_type = 0;
  s.gpus_available = gpus_available;
  s.type_gpus_available = gpus_available;
  s.gpus_per_node = 8;
  s.usd_per_gpu_hour = 2.0;
  s.price_includes_power = false;
  s.usd_per_kwh = 0.1;
  s.pue = 1.5;
  return s;
}

template <class T, std::size_t N>
void set_axis(T (&dst)[N], std::uint32_t* n, std::initializer_list<T> values) {
  *n = 0;
  for (T v : values) dst[(*n)++] = v;
}

/// The hand-computed case: 1e6 tokens/s mean (8.64e10/day), ISL 1000, OSL 200, peak 1.5x,
/// TTFT 1 s, TPOT 30 ms; grid TP {1,2,4} x batch {8,32,96,128}, BF16, chunk 2048.
inline std::unique_ptr<problem> hand_problem() {
  auto p = std::make_unique<problem>();
  std::memset(p.get(), 0, sizeof(problem));
  p->model = llama8b_shape();
  p->workload = workload_spec{8.64e10, 1000.0, 200.0, 1.5, 1.0, 0.030};
  p->n_sites = 1;
  p->sites[0] = make_site(hand_gpu(), 100);
  p->goal = objective_cost;
  grid_axes& g = p->grid;
  set_axis(g.site, &g.n_site, {std::uint8_t(0)});
  set_axis(g.wprec, &g.n_wprec, {std::uint8_t(prec_bf16)});
  set_axis(g.kvprec, &g.n_kvprec, {std::uint8_t(prec_bf16)});
  set_axis(g.tp, &g.n_tp, {1u, 2u, 4u});
  set_axis(g.pp, &g.n_pp, {1u});
  set_axis(g.chunk, &g.n_chunk, {2048u});
  set_axis(g.batch, &g.n_batch, {8u, 32u, 96u, 128u});
  return p;
}

/// A random but valid scenario: model shape, workload, 1-3 sites of random GPUs, small grid.
inline std::unique_ptr<problem> random_problem(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uni = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto pick = [&](std::initializer_list<std::uint32_t> v) {
    return *(v.begin() + std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng));
  };
  auto p = std::make_unique<problem>();
  std::memset(p.get(), 0, sizeof(problem));
  model_spec& m = p->model;
  m.layers = pick({4, 16, 32, 61, 80, 126});
  m.heads = pick({8, 32, 64, 128});
  m.kv_heads = m.heads / pick({1, 2, 4, 8});
  m.head_dim = pick({64, 128});
  m.hidden = m.heads * m.head_dim;
  m.ffn = m.hidden * pick({2, 3, 4});
  m.vocab = pick({32000, 128256, 152064});
  m.max_context = 1u << 20;
  m.tie_embeddings = rng() % 2 == 0;
  m.qkv_bias = rng() % 2 == 0;
  p->workload = workload_spec{uni(1e9, 1e13), std::floor(uni(1, 8000)), std::floor(uni(1, 2000)), uni(1.0, 3.0),
                              uni(0.2, 10.0), uni(0.01, 0.2)};
  p->n_sites = 1 + rng() % 3;
  for (std::uint32_t s = 0; s < p->n_sites; ++s) {
    gpu_spec g = hand_gpu();
    g.hbm_bytes = uni(16, 300) * gib;
    g.hbm_bytes_per_s = uni(1e12, 9e12);
    g.dense_flops[prec_bf16] = uni(100e12, 2500e12);
    g.dense_flops[prec_fp8] = rng() % 4 ? 2 * g.dense_flops[prec_bf16] : 0.0;
    g.dense_flops[prec_fp4] = rng() % 3 == 0 && g.dense_flops[prec_fp8] > 0 ? 4 * g.dense_flops[prec_bf16] : 0.0;
    g.scale_up_domain_gpus = pick({4, 8, 72});
    g.allreduce_busbw_bytes_per_s = uni(100e9, 900e9);
    g.allreduce_latency_s = uni(2e-6, 30e-6);
    g.gemm_efficiency = uni(0.3, 0.9);
    g.hbm_efficiency = uni(0.5, 0.95);
    g.layer_overhead_s = uni(0.0, 20e-6);
    g.step_overhead_s = uni(0.0, 3e-3);
    site_spec site = make_site(g, std::floor(uni(0, 50000)));
    site.gpus_per_node = pick({4, 8});
    site.usd_per_gpu_hour = uni(0.5, 8.0);
    site.price_includes_power = rng() % 2 == 0;
    site.pue = uni(1.0, 1.8);
    site.gpu_type = s;
    p->sites[s] = site;
  }
  grid_axes& g = p->grid;
  g.n_site = p->n_sites;
  for (std::uint32_t s = 0; s < p->n_sites; ++s) g.site[s] = static_cast<std::uint8_t>(s);
  set_axis(g.wprec, &g.n_wprec, {std::uint8_t(prec_bf16), std::uint8_t(prec_fp8), std::uint8_t(prec_fp4)});
  set_axis(g.kvprec, &g.n_kvprec, {std::uint8_t(prec_bf16), std::uint8_t(prec_fp8)});
  set_axis(g.tp, &g.n_tp, {1u, 2u, 4u, 8u, 16u});
  set_axis(g.pp, &g.n_pp, {1u, 2u, 4u, 8u});
  set_axis(g.chunk, &g.n_chunk, {256u, 2048u, 8192u});
  set_axis(g.batch, &g.n_batch, {1u, 3u, 16u, 64u, 200u, 1024u});
  p->goal = static_cast<objective>(rng() % 3);
  return p;
}

}  // namespace tokenplan::testing
