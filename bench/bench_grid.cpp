// One search of a named benchmark grid (bench/common.hpp), timed on the wall clock, with the work
// accounting and the peak resident memory, printed as one JSON line for bench/grid_scaling.sh.
// Single long runs, so not Google Benchmark:
//   bench_grid dense --threads 1          configurations per second on one core
//   bench_grid giant --size               the grid size only
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "search/backend.hpp"
#include "common.hpp"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: bench_grid SCENARIO [--threads N] [--backend cpu|cuda] [--chunked] [--no-prune] [--top N] [--size]\n"
               "  SCENARIO: example | large | dense | moe | giant | scale-6 | scale-7 | scale-8 | scale-9 | scale-10 | scale-11\n");
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tokenplan;
  if (argc < 2) {
    usage();
    return 2;
  }
  const std::string name = argv[1];
  int threads = 0;
  std::string backend_name = "cpu";
  search_options opt;
  opt.top_n = 20;
  bool size_only = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--backend" && i + 1 < argc) backend_name = argv[++i];
    else if (a == "--top" && i + 1 < argc) opt.top_n = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--chunked") opt.streaming = false;
    else if (a == "--no-prune") opt.prune = false;
    else if (a == "--size") size_only = true;
    else {
      usage();
      return 2;
    }
  }
  std::unique_ptr<problem> p;
  try {
    p = bench::scenario(name);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_grid: %s\n", e.what());
    return 1;
  }
  if (!p) {
    usage();
    return 2;
  }
  const std::uint64_t grid = grid_size(p->grid);
  if (size_only) {
    const grid_axes& g = p->grid;
    std::printf("{\"scenario\": \"%s\", \"grid_size\": %llu, \"blocks\": %u, \"aggregated\": [%u, %u, %u], "
                "\"prefill\": [%u, %u], \"decode\": [%u, %u]}\n",
                name.c_str(), static_cast<unsigned long long>(grid), g.n_site * g.n_wprec * g.n_kvprec * g.n_draft,
                g.aggregated ? g.agg.n_layout : 0, g.agg.n_chunk, g.agg.n_batch, g.prefill.n_layout, g.prefill.n_chunk,
                g.decode.n_layout, g.decode.n_batch);
    return 0;
  }
  std::unique_ptr<backend> be = backend_name == "cuda" ? make_cuda_backend() : make_cpu_backend(threads);
  const double rss_before = peak_rss_mib();
  const auto t0 = std::chrono::steady_clock::now();
  search_result r = be->search(*p, opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const search_stats& s = r.stats;
  std::printf(
      "{\"scenario\": \"%s\", \"backend\": \"%s\", \"device\": \"%s\", \"engine\": \"%s\", \"prune\": %s, "
      "\"grid_size\": %llu, \"wall_s\": %.3f, \"configs_per_s\": %.4g, \"feasible\": %llu, "
      "\"fully_evaluated\": %llu, \"pruned_prefix\": %llu, \"pruned_bound\": %llu, "
      "\"peak_rss_mib_before_search\": %.1f, \"peak_rss_mib\": %.1f, \"top1_index\": %llu, \"top1_key\": %.9g}\n",
      name.c_str(), be->name().c_str(), be->device().c_str(), opt.streaming ? "streaming" : "chunked",
      opt.prune ? "true" : "false", static_cast<unsigned long long>(grid), wall, double(grid) / wall,
      static_cast<unsigned long long>(s.counts[reason_feasible]), static_cast<unsigned long long>(s.fully_evaluated),
      static_cast<unsigned long long>(s.pruned_prefix), static_cast<unsigned long long>(s.pruned_bound), rss_before,
      peak_rss_mib(), static_cast<unsigned long long>(r.top.empty() ? 0 : r.top[0].index),
      r.top.empty() ? 0.0 : r.top[0].key);
  std::printf("{\"counts_by_reason\": {");
  for (int k = 0; k < reason_count; ++k) {
    std::printf("%s\"%s\": %llu", k ? ", " : "", reason_name(static_cast<reason>(k)),
                static_cast<unsigned long long>(s.counts[k]));
  }
  std::printf("}}\n");
  return 0;
}
