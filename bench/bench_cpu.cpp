// CPU benchmarks (Google Benchmark): the grid search of the shipped example and of a larger grid
// on the Thrust OMP backend, and the cost of one evaluation. Counter: configurations per second.
#include <benchmark/benchmark.h>

#include <thread>

#include "search/backend.hpp"
#include "common.hpp"

namespace tokenplan {
namespace {

void run_search(benchmark::State& state, const problem& p, bool prune = true) {
  std::unique_ptr<backend> cpu = make_cpu_backend(static_cast<int>(state.range(0)));
  search_options opt;
  opt.top_n = 20;
  opt.prune = prune;
  std::uint64_t configs = 0;
  for (auto _ : state) {
    search_result r = cpu->search(p, opt);
    benchmark::DoNotOptimize(r.top.data());
    configs += r.stats.evaluated;
  }
  state.counters["configs_per_s"] = benchmark::Counter(double(configs), benchmark::Counter::kIsRate);
  state.counters["grid_size"] = double(grid_size(p.grid));
}

void BM_search_example(benchmark::State& state) {
  static std::unique_ptr<problem> p = build_problem(bench::example_inputs());
  run_search(state, *p);
}
/// Threads to try: 1, 2 and every core of the machine.
void thread_counts(benchmark::internal::Benchmark* b) {
  int all = static_cast<int>(std::thread::hardware_concurrency());
  b->Arg(1)->Arg(2);
  if (all > 2) b->Arg(all);
}

BENCHMARK(BM_search_example)->Apply(thread_counts)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same search solving the queueing of every configuration that passes the other checks:
// what the pruning saves.
void BM_search_example_unpruned(benchmark::State& state) {
  static std::unique_ptr<problem> p = build_problem(bench::example_inputs());
  run_search(state, *p, /*prune=*/false);
}
BENCHMARK(BM_search_example_unpruned)->Apply(thread_counts)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_search_large(benchmark::State& state) {
  static std::unique_ptr<problem> p = bench::large_problem();
  run_search(state, *p);
}
BENCHMARK(BM_search_large)->Apply(thread_counts)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(2);

// One configuration at a time on one core: the model's own cost, without the engine.
void BM_evaluate_one(benchmark::State& state) {
  static std::unique_ptr<problem> p = build_problem(bench::example_inputs());
  const std::uint64_t n = grid_size(p->grid);
  std::uint64_t i = 0;
  for (auto _ : state) {
    evaluation e = evaluate(*p, i);
    benchmark::DoNotOptimize(e);
    i = i + 1 == n ? 0 : i + 1;
  }
  state.counters["configs_per_s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_evaluate_one);

}  // namespace
}  // namespace tokenplan

BENCHMARK_MAIN();
