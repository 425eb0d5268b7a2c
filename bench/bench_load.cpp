// Input loading benchmarks (Google Benchmark): parse and load generated JSON of 0.25 to 4 MiB, to
// show that loading grows linearly with the input (issue 14: an array of objects was quadratic).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "common.hpp"
#include "io/json_reader.hpp"
#include "io/loaders.hpp"

namespace tokenplan {
namespace {

/// A file under the system's temporary folder, removed at exit.
struct scratch_file {
  std::string path;
  explicit scratch_file(const std::string& name, const std::string& text) {
    std::random_device rd;
    path = (std::filesystem::temp_directory_path() / ("tokenplan-bench-" + std::to_string(rd()) + "-" + name)).string();
    std::ofstream(path, std::ios::binary) << text;
  }
  ~scratch_file() { std::remove(path.c_str()); }
};

/// The worst case the hostile pass found: an array of empty objects ("{}," is 3 bytes, so 1 MiB
/// holds about 350,000 of them), under a key the loaders would reject only after parsing.
std::string tiny_objects(std::size_t bytes) {
  std::string s = "{\"name\": \"x\", \"padding\": [";
  while (s.size() + 4 < bytes) s += "{},";
  s += "{}]}";
  return s;
}

/// A cluster file with one site and `bytes` of deliveries: a real loader over a long array of
/// objects, every element validated.
std::string cluster_with_deliveries(std::size_t bytes) {
  std::string s =
      "{\"name\": \"bench\", \"sites\": [{\"name\": \"a\", \"gpu\": \"h100-sxm\", \"gpus\": 8, \"gpus_per_node\": 8,"
      " \"usd_per_gpu_hour\": 2.0, \"price_includes_power\": true, \"pue\": 1.2, \"deliveries\": [";
  for (int i = 0; s.size() + 64 < bytes; ++i) {
    char one[64];
    std::snprintf(one, sizeof one, "{\"month\": \"20%02d-%02d\", \"gpus\": %d},\n", 26 + i % 70, 1 + i % 12, 8 + i % 100);
    s += one;
  }
  s += "{\"month\": \"2099-12\", \"gpus\": 8}]}]}";
  return s;
}

void BM_parse_tiny_objects(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0)) * 1024;
  input_file f;
  f.path = "tiny-objects.json";
  f.text = tiny_objects(bytes);
  for (auto _ : state) {
    json j = parse_json(f);
    benchmark::DoNotOptimize(j.size());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.text.size()));
  state.counters["elements"] = double((f.text.size() - 27) / 3);
}
BENCHMARK(BM_parse_tiny_objects)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->Arg(4096)->UseRealTime()->Unit(benchmark::kMillisecond);

// Reference: nlohmann's own DOM parser without a callback (no depth limit, no duplicate-key
// check) on the same text, so the figures above can be read against the library's floor.
void BM_parse_tiny_objects_nlohmann_plain(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0)) * 1024;
  const std::string text = tiny_objects(bytes);
  for (auto _ : state) {
    json j = json::parse(text);
    benchmark::DoNotOptimize(j.size());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_parse_tiny_objects_nlohmann_plain)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->Arg(4096)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_load_cluster_deliveries(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0)) * 1024;
  static const calibration cal = load_calibration(bench::config_path("calibration.json"));
  const scratch_file f("cluster.json", cluster_with_deliveries(bytes));
  std::size_t deliveries = 0;
  for (auto _ : state) {
    cluster_entry c = load_cluster(f.path, {bench::config_path("gpus")}, cal);
    deliveries = c.sites[0].deliveries.size();
    benchmark::DoNotOptimize(deliveries);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * std::filesystem::file_size(f.path)));
  state.counters["elements"] = double(deliveries);
}
BENCHMARK(BM_load_cluster_deliveries)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->Arg(4096)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tokenplan

BENCHMARK_MAIN();
