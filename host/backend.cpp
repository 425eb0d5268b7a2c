// Backend choice at run time: CUDA when asked for or when auto finds a usable device, else CPU.
#include "backend.hpp"

#include "errors.hpp"

namespace tokenplan {

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
