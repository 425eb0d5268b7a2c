// Numeric formats for weights and the KV cache, and their storage size per element.
#pragma once

#include <cstdint>

#include "tokenplan/hd.hpp"

namespace tokenplan {

/// Formats a configuration may store weights or KV cache in. The numeric values index arrays.
enum precision : std::uint8_t { prec_bf16 = 0, prec_fp8 = 1, prec_fp4 = 2, precision_count = 3 };

/// Bytes per stored element, scales included.
/// fp4 is NVFP4: 4-bit E2M1 values plus one FP8 (E4M3) scale per 16 values = 4.5 bits
/// (NVIDIA, "Introducing NVFP4 for Efficient and Accurate Low-Precision Inference", 2025).
/// fp8 block scales (one fp32 per 128x128 block, DeepSeek-V3 style) add < 0.03% and are ignored.
TOKENPLAN_HD inline double precision_bytes(std::uint8_t p) {
  return p == prec_bf16 ? 2.0 : (p == prec_fp8 ? 1.0 : 0.5625);
}

/// Lower-case name used in config files and output ("bf16", "fp8", "fp4").
inline const char* precision_name(std::uint8_t p) {
  return p == prec_bf16 ? "bf16" : (p == prec_fp8 ? "fp8" : (p == prec_fp4 ? "fp4" : "?"));
}

}  // namespace tokenplan
