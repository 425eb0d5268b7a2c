// The hand-set pool and request of the latency tests (test_latency_dist.cpp, test_admission.cpp).
#pragma once

#include "tokenplan/model.hpp"

namespace tokenplan::testing {

// The hand-set pool of the latency tests: prompts of `prompt` tokens (none cached), 100-token
// answers; steps leave 1,000 tokens of room, a decode-only cycle of 20 ms, 10 us per prompt token
// in a step (a full-chunk cycle of 30 ms), an average cycle of 25 ms, 500 prompt tokens a step at
// full occupancy.
inline detail::request_terms hand_request(double prompt) {
  detail::request_terms q{};
  q.isl = prompt;
  q.isl_new = prompt;
  q.isl_new_tail = prompt;
  q.osl = 100.0;
  q.tau = 1.0;
  q.ef = 1.0;
  return q;
}

inline metrics hand_pool() {
  metrics r{};
  pool_metrics& d = r.main;
  d.chunk_tokens = 1000.0;
  d.cycle_decode_s = 0.020;
  d.prefill_s_per_token = 1e-5;
  d.cycle_s = 0.025;
  d.tpot_s = 0.025;
  d.prefill_tokens_per_step = 500.0;
  return r;
}

}  // namespace tokenplan::testing
