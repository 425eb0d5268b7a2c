// Stands in for the CUDA backend when the build found no CUDA compiler: the binary still runs
// everything on the CPU, and --backend cuda says why it cannot.
#include "search/backend.hpp"
#include "base/errors.hpp"

namespace tokenplan {

bool cuda_backend_available(std::string* why) {
  if (why) *why = "this tokenplan was built without CUDA (no nvcc found when it was configured)";
  return false;
}

std::unique_ptr<backend> make_cuda_backend() {
  throw runtime_failure("this tokenplan was built without CUDA (no nvcc found when it was configured)");
}

}  // namespace tokenplan
