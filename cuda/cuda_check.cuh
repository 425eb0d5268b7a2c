// One check for every CUDA call and after every launch: failures become cuda_error with the
// call's text and the error's name.
#pragma once

#include <cuda_runtime.h>

#include "base/errors.hpp"

namespace tokenplan {

inline void cuda_check(cudaError_t status, const char* call) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear a sticky-free error so the next call starts clean
    throw cuda_error(call, cudaGetErrorName(status), cudaGetErrorString(status));
  }
}

}  // namespace tokenplan

#define TOKENPLAN_CUDA_CALL(expr) ::tokenplan::cuda_check((expr), #expr)
