// Communication terms: tensor-parallel all-reduces, expert-parallel all-to-all (dispatch and
// combine, NVLink and NIC), pipeline-stage hand-offs and the KV-cache transfer between the pools
// of disaggregated serving. Includes only other tokenplan/ headers and the standard library.
#pragma once

#include "tokenplan/detail/arith.hpp"
#include "tokenplan/hd.hpp"
#include "tokenplan/pool_view.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {
namespace detail {

/// Ring all-reduce of `bytes` over `n` GPUs of the NVLink domain: alpha + 2 (n-1)/n x bytes / busbw.
TOKENPLAN_HD inline part_sum allreduce(const gpu_spec& g, double n, double bytes) {
  part_sum p{};
  if (n <= 1.0) return p;
  p.a = g.allreduce_latency_s;
  p.b = 2.0 * (n - 1.0) / n * bytes / g.allreduce_busbw_bytes_per_s;
  p.t = p.a + p.b;
  return p;
}

/// One EP all-to-all (dispatch or combine) of `tokens` tokens per GPU, `bytes_per` bytes per
/// token copy. Inside the NVLink domain every copy goes over NVLink. Past it, copies bound for
/// other nodes cross the NIC: decode kernels (DeepEP low-latency) send one copy per remote
/// expert; prefill kernels (DeepEP normal) send one per remote node and forward inside it over
/// NVLink. NVLink and NIC traffic proceed at the same time.
TOKENPLAN_HD inline part_sum alltoall(const gpu_spec& g, double ep, double k, double decode_tokens, double prefill_tokens,
                                      double bytes_per) {
  part_sum p{};
  if (ep <= 1.0) return p;
  p.a = g.alltoall_latency_s;
  const double tokens = decode_tokens + prefill_tokens;
  const double copies = tokens * k * (ep - 1.0) / ep;  // expert copies leaving the GPU
  const double domain = g.scale_up_domain_gpus;
  if (ep <= domain) {
    p.b = copies * bytes_per / g.p2p_bytes_per_s;
  } else {
    const double nodes = ep / domain;
    const double off_node = 1.0 - domain / ep;
    // Distinct nodes a token's k experts land on (uniform routing), of which (nodes-1)/nodes remote.
    const double remote_nodes = nodes * (1.0 - pow_whole(1.0 - 1.0 / nodes, k)) * (nodes - 1.0) / nodes;
    const double nic = (decode_tokens * k * off_node + prefill_tokens * remote_nodes) * bytes_per;
    const double nvlink = copies * bytes_per - decode_tokens * k * off_node * bytes_per;
    p.b = max2(nvlink / g.p2p_bytes_per_s, nic / g.scale_out_bytes_per_s);
  }
  p.t = p.a + p.b;
  return p;
}

/// Hand-offs between pipeline stages for one step of `tokens` tokens: inside a node over NVLink,
/// across nodes over the NIC.
TOKENPLAN_HD inline double pp_hops(const gpu_spec& g, const pool_view& v, double gpn, double tokens, double hidden) {
  if (v.pp <= 1.0) return 0.0;
  const double gpr = v.group * v.pp;
  const double out = gpr > gpn ? ceil_div(gpr, gpn) - 1.0 : 0.0;
  const double in = max2(0.0, v.pp - 1.0 - out);
  const double bytes = tokens * hidden * 2.0;
  return in * (g.p2p_latency_s + bytes / g.p2p_bytes_per_s) +
         out * (g.scale_out_latency_s + bytes / g.scale_out_bytes_per_s);
}

/// Moving `bytes` of KV cache from the prefill pool to the decode pool over the NICs of
/// `streams` GPUs in parallel: one latency plus the bytes over their bandwidth.
TOKENPLAN_HD inline double kv_transfer_time(const gpu_spec& g, double bytes, double streams) {
  return g.scale_out_latency_s + bytes / (streams * g.scale_out_bytes_per_s);
}

}  // namespace detail
}  // namespace tokenplan
