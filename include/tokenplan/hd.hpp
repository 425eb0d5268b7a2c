// TOKENPLAN_HD marks model functions that both backends compile: __host__ __device__ under nvcc,
// nothing under a host compiler. Only the decoration differs; bodies and layouts never do.
#pragma once

#if defined(__CUDACC__)
#define TOKENPLAN_HD __host__ __device__
#else
#define TOKENPLAN_HD
#endif
