// The CPU backend: the shared Thrust search compiled for Thrust's OMP device system.
#include <omp.h>
#include <thrust/system/omp/execution_policy.h>
#include <thrust/system/omp/vector.h>

#include <string>

#include "backend.hpp"

#define TOKENPLAN_ENGINE_NS thrust_omp
#include "thrust_search.inl"

namespace tokenplan {
namespace {

class cpu_backend final : public backend {
 public:
  explicit cpu_backend(int threads) : threads_(threads > 0 ? threads : omp_get_num_procs()) {}

  std::string name() const override { return "cpu"; }

  std::string device() const override {
    return std::to_string(threads_) + (threads_ == 1 ? " OpenMP thread" : " OpenMP threads");
  }

  search_result search(const problem& p, const search_options& options) override {
    omp_set_num_threads(threads_);
    return thrust_omp::run_search<thrust::omp::vector<thrust_omp::candidate>>(
        thrust::omp::par, &p, grid_size(p.grid), options);
  }

  std::vector<evaluation> evaluate(const problem& p, const std::vector<std::uint64_t>& indices) override {
    omp_set_num_threads(threads_);
    return thrust_omp::run_evaluate<thrust::omp::vector<std::uint64_t>, thrust::omp::vector<evaluation>>(
        thrust::omp::par, &p, indices);
  }

 private:
  int threads_;
};

}  // namespace

std::unique_ptr<backend> make_cpu_backend(int threads) { return std::make_unique<cpu_backend>(threads); }

}  // namespace tokenplan
