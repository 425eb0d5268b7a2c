// Problems built in code for tests: the hand-computed scenario and seeded random scenarios.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "tokenplan/specs.hpp"

namespace tokenplan::testing {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

/// The GPU of the hand-computed case: round numbers, 20 GiB.
inline gpu_spec hand_gpu() {
  gpu_spec g{};
  g.hbm_bytes = 20 * gib;
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
  g.sequence_overhead_s = 0.0;
  g.alltoall_latency_s = 30e-6;
  g.moe_overlap = 0.8;
  g.expert_imbalance = 1.2;
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
  m.attention = attention_gqa;
  return m;
}

/// A one-layer MoE for hand-computed cases: hidden 1024, 8 heads of 128, 8 experts (top-2) of
/// width 512, vocabulary 1000, no shared expert and no dense layer.
inline model_spec one_layer_moe() {
  model_spec m = llama8b_shape();
  m.layers = 1;
  m.hidden = 1024;
  m.heads = 8;
  m.kv_heads = 8;
  m.head_dim = 128;
  m.ffn = 0;
  m.vocab = 1000;
  m.experts = 8;
  m.experts_per_token = 2;
  m.shared_experts = 0;
  m.expert_ffn = 512;
  m.dense_layers = 0;
  return m;
}

/// DeepSeek-V3's shape: MLA, 256 routed experts (top-8) + 1 shared, 3 leading dense layers.
inline model_spec deepseek_v3_shape() {
  model_spec m{};
  m.layers = 61;
  m.hidden = 7168;
  m.heads = 128;
  m.kv_heads = 128;
  m.head_dim = 192;
  m.ffn = 18432;
  m.vocab = 129280;
  m.max_context = 163840;
  m.attention = attention_mla;
  m.q_lora_rank = 1536;
  m.kv_lora_rank = 512;
  m.qk_nope_head_dim = 128;
  m.qk_rope_head_dim = 64;
  m.v_head_dim = 128;
  m.experts = 256;
  m.experts_per_token = 8;
  m.shared_experts = 1;
  m.expert_ffn = 2048;
  m.dense_layers = 3;
  m.mtp_layers = 1;
  return m;
}

/// A workload with no spread, no cache, no speculation, reference engine.
inline workload_spec plain_workload(double tokens_per_day, double isl, double osl, double peak, double ttft_s,
                                    double tpot_s) {
  workload_spec w{};
  w.tokens_per_day = tokens_per_day;
  w.input_tokens = isl;
  w.output_tokens = osl;
  w.input_tail = isl;
  w.input_sq_mean = isl * isl;
  w.output_tail = osl;
  w.peak_to_average = peak;
  w.ttft_slo_s = ttft_s;
  w.tpot_slo_s = tpot_s;
  w.slo_tail = 0.01;
  w.engine_factor = 1.0;
  return w;
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

/// Fills one pool's axes.
inline void set_pool(pool_axes& a, std::initializer_list<layout> layouts, std::initializer_list<std::uint32_t> chunks,
                     std::initializer_list<std::uint32_t> batches) {
  set_axis(a.layouts, &a.n_layout, layouts);
  set_axis(a.chunk, &a.n_chunk, chunks);
  set_axis(a.batch, &a.n_batch, batches);
}

/// The hand-computed case: 1e6 tokens/s mean (8.64e10/day), ISL 1000, OSL 200, peak 1.5x,
/// TTFT 1 s, TPOT 30 ms; grid TP {1,2,4} x batch {8,32,96,128}, BF16, chunk 2048.
inline std::unique_ptr<problem> hand_problem() {
  auto p = std::make_unique<problem>();
  std::memset(p.get(), 0, sizeof(problem));
  p->model = llama8b_shape();
  p->workload = plain_workload(8.64e10, 1000.0, 200.0, 1.5, 1.0, 0.030);
  p->n_sites = 1;
  p->sites[0] = make_site(hand_gpu(), 100);
  p->goal = objective_cost;
  grid_axes& g = p->grid;
  set_axis(g.site, &g.n_site, {std::uint8_t(0)});
  set_axis(g.wprec, &g.n_wprec, {std::uint8_t(prec_bf16)});
  set_axis(g.kvprec, &g.n_kvprec, {std::uint8_t(prec_bf16)});
  set_axis(g.draft, &g.n_draft, {0u});
  g.aggregated = true;
  g.disaggregated = false;
  set_pool(g.agg, {layout{1, 1, 1, 1}, layout{2, 1, 1, 1}, layout{4, 1, 1, 1}}, {2048u}, {8u, 32u, 96u, 128u});
  return p;
}

/// A random but valid scenario: dense or MoE, GQA or MLA, maybe sliding windows, length spread,
/// prefix caching and speculation; 1-3 sites of random GPUs; aggregated and disaggregated pools.
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
  m.attention = attention_gqa;
  if (rng() % 3 == 0) {  // MLA
    m.attention = attention_mla;
    m.q_lora_rank = rng() % 2 ? 1536 : 0;
    m.kv_lora_rank = 512;
    m.qk_nope_head_dim = 128;
    m.qk_rope_head_dim = 64;
    m.v_head_dim = 128;
    m.kv_heads = m.heads;
  }
  if (rng() % 2 == 0) {  // MoE
    m.experts = pick({8, 64, 128, 256});
    m.experts_per_token = std::min<std::uint32_t>(m.experts, pick({1, 2, 4, 8}));
    m.shared_experts = pick({0, 1, 2});
    m.expert_ffn = pick({1024, 2048, 14336});
    m.dense_layers = std::min<std::uint32_t>(m.layers - 1, pick({0, 1, 3}));
  }
  if (rng() % 4 == 0) {
    m.sliding_window = pick({128, 4096});
    m.sliding_layers = m.layers / 2;
  }
  workload_spec& w = p->workload;
  w = plain_workload(uni(1e9, 1e13), std::floor(uni(1, 8000)), std::floor(uni(1, 2000)), uni(1.0, 3.0), uni(0.2, 10.0),
                     uni(0.01, 0.2));
  w.input_tail = w.input_tokens * uni(1.0, 4.0);
  w.input_sq_mean = w.input_tokens * w.input_tokens * uni(1.0, 3.0);
  w.output_tail = w.output_tokens * uni(1.0, 3.0);
  // The answers' spread (decode attends to E[O^2] / E[O]), from the seed: no draw, so the other
  // draws, and the scenarios they make, stay as they were.
  w.output_sq_mean = w.output_tokens * w.output_tokens * (1.0 + double(seed % 3));
  // A quarter of the scenarios admit prompts every 9 steps (the admission hold), without drawing
  // from the generator so the other fields stay as they were.
  w.admission_steps = seed % 4 == 1 ? 9.0 : 1.0;
  w.prefix_cache_hit = rng() % 2 ? uni(0.0, 0.8) : 0.0;
  w.slo_tail = rng() % 2 ? 0.01 : 0.5;
  w.draft_acceptance = uni(0.5, 0.9);
  w.draft_cost_layers = uni(0.5, 2.0);
  w.engine_factor = uni(0.8, 1.3);
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
    g.alltoall_latency_s = uni(5e-6, 80e-6);
    g.moe_overlap = uni(0.0, 1.0);
    g.expert_imbalance = uni(1.0, 1.5);
    g.gemm_efficiency = uni(0.3, 0.9);
    g.hbm_efficiency = uni(0.5, 0.95);
    g.layer_overhead_s = uni(0.0, 20e-6);
    g.step_overhead_s = uni(0.0, 3e-3);
    g.sequence_overhead_s = uni(0.0, 3e-6);
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
  set_axis(g.draft, &g.n_draft, {0u, 2u});
  g.aggregated = true;
  g.disaggregated = rng() % 2 == 0;
  set_pool(g.agg, {layout{1, 1, 1, 1}, layout{2, 2, 1, 1}, layout{8, 1, 1, 1}, layout{16, 1, 1, 1}, layout{1, 8, 1, 1},
                   layout{4, 1, 4, 1}, layout{1, 1, 8, 8}, layout{2, 1, 32, 16}},
           {256u, 2048u, 8192u}, {1u, 3u, 16u, 64u, 200u, 1024u});
  set_pool(g.prefill, {layout{1, 1, 1, 1}, layout{8, 1, 1, 1}, layout{1, 1, 8, 8}}, {1024u, 8192u}, {0u});
  set_pool(g.decode, {layout{2, 1, 1, 1}, layout{4, 1, 4, 1}, layout{1, 1, 16, 16}}, {0u}, {4u, 64u, 256u});
  p->goal = static_cast<objective>(rng() % 3);
  return p;
}

/// Replaces the grid of a random_problem with random axes: a random subset of sites, formats and
/// draft lengths; 1-16 layouts per pool drawn from a set of valid and invalid ones; random step
/// budgets and batch sizes (ascending, except one grid in five, which turns prefix pruning off);
/// aggregated, disaggregated or both. Grids stay small enough for the whole-grid reference.
inline void randomize_grid(problem& p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto count = [&](std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng);
  };
  const layout candidates[] = {{1, 1, 1, 1}, {2, 1, 1, 1}, {4, 1, 1, 1}, {8, 1, 1, 1}, {16, 1, 1, 1}, {3, 1, 1, 1},
                               {1, 2, 1, 1}, {2, 2, 1, 1}, {1, 4, 1, 1}, {4, 2, 1, 1}, {1, 8, 1, 1}, {2, 1, 2, 1},
                               {4, 1, 4, 1}, {8, 1, 8, 1}, {1, 1, 8, 8}, {2, 1, 16, 8}, {1, 1, 16, 16}, {8, 1, 64, 8},
                               {2, 1, 32, 16}, {4, 2, 8, 2}};
  const std::uint32_t n_candidates = sizeof(candidates) / sizeof(candidates[0]);
  auto fill = [&](pool_axes& a, bool chunks, bool batches) {
    a.n_layout = count(1, 16);
    for (std::uint32_t i = 0; i < a.n_layout; ++i) a.layouts[i] = candidates[count(0, n_candidates - 1)];
    a.n_chunk = chunks ? count(1, 6) : 1;
    for (std::uint32_t i = 0; i < a.n_chunk; ++i) a.chunk[i] = chunks ? 1u << count(7, 14) : 0u;
    a.n_batch = batches ? count(1, 24) : 1;
    std::uint32_t b = 0;
    for (std::uint32_t i = 0; i < a.n_batch; ++i) a.batch[i] = batches ? (b += count(1, 96)) : 0u;
    if (batches && count(0, 4) == 0) std::shuffle(a.batch, a.batch + a.n_batch, rng);
  };
  grid_axes& g = p.grid;
  g.n_site = count(1, p.n_sites);
  for (std::uint32_t s = 0; s < g.n_site; ++s) g.site[s] = static_cast<std::uint8_t>(count(0, p.n_sites - 1));
  g.n_wprec = count(1, 2);
  for (std::uint32_t i = 0; i < g.n_wprec; ++i) g.wprec[i] = static_cast<std::uint8_t>(count(0, precision_count - 1));
  g.n_kvprec = count(1, 2);
  for (std::uint32_t i = 0; i < g.n_kvprec; ++i) g.kvprec[i] = static_cast<std::uint8_t>(count(0, prec_fp8));
  g.n_draft = count(1, 3);
  for (std::uint32_t i = 0; i < g.n_draft; ++i) g.draft[i] = count(0, 4);
  const std::uint32_t modes = count(1, 3);
  g.aggregated = (modes & 1) != 0;
  g.disaggregated = (modes & 2) != 0;
  fill(g.agg, true, true);
  fill(g.prefill, true, false);
  fill(g.decode, false, true);
  p.goal = static_cast<objective>(count(0, 2));
}

}  // namespace tokenplan::testing
