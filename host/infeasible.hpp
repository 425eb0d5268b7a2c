// Why no configuration is feasible: per GPU type, the check that stopped the configurations that
// got furthest, and how close the closest one came ("TPOT SLO 20 ms: no configuration of
// llama-3.1-405b on h20 reaches below 31.2 ms"), instead of an empty list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "problem_builder.hpp"
#include "tokenplan/search.hpp"

namespace tokenplan {

/// The binding check on one GPU type and the configuration that came closest to passing it.
struct infeasible_gpu {
  std::string gpu;
  /// The last check any configuration on this GPU reached and failed: reason_parallelism,
  /// reason_precision, reason_memory, reason_prefill_budget, reason_tpot or reason_ttft.
  std::uint8_t reason = reason_parallelism;
  /// How close the closest came, in the check's unit: TPOT or TTFT in ms (the least reached;
  /// TTFT before any queueing), or the GiB per GPU memory was short by (the least).
  double closest = 0.0;
  double limit = 0.0;           ///< the SLO in ms, or the GPU's memory in GiB
  bool has_closest = false;
  evaluation closest_eval{};    ///< fully evaluated, when has_closest
  std::string detail;           ///< one sentence with the numbers
};

/// Why a search found nothing feasible.
struct infeasible_explanation {
  bool computed = false;
  std::uint8_t most_ruled_out = reason_parallelism;  ///< the check that ruled out the most
  std::uint64_t most_ruled_out_count = 0;
  std::uint64_t configurations_scanned = 0;           ///< by the explanation's own pass
  std::vector<infeasible_gpu> by_gpu;
};

/// Explains an empty search. One pass over the grid at the smallest batch of each pool: a
/// larger batch never passes a check a smaller one failed (memory, step budget and TPOT grow
/// with the batch: the search's prefix pruning relies on the same), so the furthest check and
/// the least TPOT or TTFT reached over the whole grid are reached there. `stats` are the
/// search's counts. OpenMP-parallel on the host; the result does not depend on the threads.
infeasible_explanation explain_infeasible(const plan_inputs& in, const problem& p, const search_stats& stats);

/// The explanation as a JSON object (the plan's "why_no_configuration").
nlohmann::ordered_json infeasible_json(const plan_inputs& in, const infeasible_explanation& x);

/// The explanation for people: one line per GPU type and the check that ruled out the most,
/// wrapped to 100 columns.
std::string infeasible_text(const infeasible_explanation& x);

}  // namespace tokenplan
