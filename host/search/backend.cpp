// Backend choice at run time: CUDA when asked for or when auto finds a usable device, else CPU.
#include "search/backend.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include "base/errors.hpp"

namespace tokenplan {

std::uint64_t search_memory_limit_bytes() {
  // Half of the least of: the machine's memory, the address-space and data limits (ulimit -v,
  // -d) and the cgroup's memory.max (a container, a systemd slice, a Slurm job).
  std::uint64_t least = std::uint64_t(16) << 30;  // unknown: assume a small machine
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) least = std::uint64_t(pages) * std::uint64_t(page);
  for (int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    struct rlimit lim {};
    if (::getrlimit(resource, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
      least = std::min<std::uint64_t>(least, lim.rlim_cur);
    }
  }
  std::ifstream cg("/sys/fs/cgroup/memory.max");
  std::string max;
  if (cg >> max && max != "max" && !max.empty() && max.find_first_not_of("0123456789") == std::string::npos &&
      max.size() < 20) {
    least = std::min<std::uint64_t>(least, std::stoull(max));
  }
  return least / 2;
}

namespace {

std::string gib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / double(1ull << 30));
  return buf;
}

}  // namespace

void check_search_memory(const backend& be, const problem& p, const search_options& o) {
  // The answer too: each ranked configuration peaks at about 26 KiB while its JSON is built (the
  // document tree and its text; measured: --top 20000 on the Llama-70B example held 520 MB peak
  // RSS for 88.5 MB of JSON), counted here as 32 KiB.
  constexpr std::uint64_t output_bytes_per_row = 32u << 10;
  const std::uint64_t need = be.search_bytes(p, o) + std::uint64_t(o.top_n) * output_bytes_per_row;
  const std::uint64_t limit = search_memory_limit_bytes();
  if (need <= limit) return;
  throw usage_error("the search would hold about " + gib(need) + " (" + be.name() + " backend on " + be.device() + ", " +
                    std::to_string(grid_size(p.grid)) + " configurations, top " + std::to_string(o.top_n) +
                    ", chunk " + std::to_string(o.chunk_configs) +
                    "), more than the limit of " + gib(limit) +
                    " (half of the memory this process may use): lower --top, --threads or --chunk");
}

std::unique_ptr<backend> select_backend(const std::string& choice, int threads, std::string* note) {
  if (choice == "cpu") return make_cpu_backend(threads);
  std::string why;
  if (choice == "cuda") {
    if (!cuda_backend_available(&why)) throw usage_error("--backend cuda: " + why + "; use --backend cpu or auto");
    return make_cuda_backend();
  }
  if (choice != "auto") throw usage_error("--backend: expected auto, cpu or cuda, found \"" + choice + "\"");
  if (cuda_backend_available(&why)) return make_cuda_backend();
  if (note) *note = why;
  return make_cpu_backend(threads);
}

}  // namespace tokenplan
