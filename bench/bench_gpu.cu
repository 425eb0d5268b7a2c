// GPU benchmark: the CUDA backend's grid search, both engines (streaming: fused, one top-K per
// thread; chunked: one vector of candidates per chunk), timed with CUDA events around warmed-up
// runs, median of many, after checking its top-N against the CPU backend.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "search/backend.hpp"
#include "common.hpp"
#include "cuda_check.cuh"

namespace tokenplan {
namespace {

int time_search(const char* name, const problem& p, int runs, bool streaming) {
  std::unique_ptr<backend> gpu = make_cuda_backend();
  std::unique_ptr<backend> cpu = make_cpu_backend(0);
  search_options opt;
  opt.top_n = 20;
  opt.chunk_configs = 1ull << 24;
  opt.streaming = streaming;
  search_result want = cpu->search(p, opt);
  search_result got = gpu->search(p, opt);  // also the warm-up
  bool same = want.top.size() == got.top.size();
  for (std::size_t i = 0; same && i < want.top.size(); ++i) same = want.top[i].index == got.top[i].index;
  if (!same) {
    std::printf("%s (%s): CUDA top-N differs from the CPU backend; not timing\n", name, streaming ? "streaming" : "chunked");
    return 1;
  }
  cudaEvent_t start, stop;
  TOKENPLAN_CUDA_CALL(cudaEventCreate(&start));
  TOKENPLAN_CUDA_CALL(cudaEventCreate(&stop));
  std::vector<float> ms;
  for (int i = 0; i < runs; ++i) {
    TOKENPLAN_CUDA_CALL(cudaEventRecord(start));
    search_result r = gpu->search(p, opt);
    TOKENPLAN_CUDA_CALL(cudaEventRecord(stop));
    TOKENPLAN_CUDA_CALL(cudaEventSynchronize(stop));
    float t = 0;
    TOKENPLAN_CUDA_CALL(cudaEventElapsedTime(&t, start, stop));
    ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  const double n = double(grid_size(p.grid));
  std::printf("%-10s %-9s grid %.3e  median %.3f ms (min %.3f, max %.3f, %d runs)  %.3e configs/s  [%s; top-%zu == CPU]\n",
              name, streaming ? "streaming" : "chunked", n, median, ms.front(), ms.back(), runs, n / (median * 1e-3), gpu->device().c_str(),
              got.top.size());
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return 0;
}

}  // namespace
}  // namespace tokenplan

int main() {
  using namespace tokenplan;
  std::string why;
  if (!cuda_backend_available(&why)) {
    std::printf("bench_gpu: %s\n", why.c_str());
    return 2;
  }
  int rc = 0;
  for (bool streaming : {true, false}) {
    rc |= time_search("example", *build_problem(bench::example_inputs()), 21, streaming);
    rc |= time_search("large", *bench::large_problem(), 7, streaming);
  }
  return rc;
}
