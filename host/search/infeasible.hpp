// Why no configuration is feasible: per GPU type, the check that stopped the configurations that
// got furthest, and how close the closest one came ("TPOT SLO 20 ms: no configuration of
// llama-3.1-405b on h20 reaches below 31.2 ms"), instead of an empty list; and what would fit:
// the least relaxed SLO, the longest prompt (bisections over top-1 searches).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/problem_builder.hpp"
#include "tokenplan/search.hpp"

namespace tokenplan {

/// A change of one input that makes some configuration feasible: the least relaxed SLO, or the
/// longest prompt.
struct infeasible_relax {
  bool computed = false;  ///< tried (the binding check is one the relaxation addresses)
  bool found = false;     ///< a value within the range tried makes a configuration feasible
  std::string what;       ///< "tpot_ms", "ttft_ms" or "isl_tokens"
  double from = 0.0;      ///< the workload's value (the SLO in ms; the tail prompt in tokens)
  double to = 0.0;        ///< the least SLO / the longest prompt that is feasible, when found
  double tried = 0.0;     ///< the furthest value tried, when not found
  int searches = 0;       ///< feasibility checks it took
  /// When relaxing TPOT alone does not help (TTFT binds next): TPOT relaxed to where some
  /// configuration passes it (to), and TTFT from its SLO (also_from) to the least feasible.
  bool also = false;
  double also_from = 0.0, also_to = 0.0;
};

/// Whether some configuration of the problem passes every check (a search of the whole grid).
using feasibility_check = std::function<bool(const problem&)>;

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
  infeasible_relax relax;       ///< TPOT or TTFT binding: the least SLO feasible on this GPU
};

/// Why a search found nothing feasible.
struct infeasible_explanation {
  bool computed = false;
  std::uint8_t most_ruled_out = reason_parallelism;  ///< the check that ruled out the most
  std::uint64_t most_ruled_out_count = 0;
  std::uint64_t configurations_scanned = 0;           ///< by the explanation's own pass
  std::vector<infeasible_gpu> by_gpu;
  infeasible_relax relax;      ///< the least relaxed SLO over all GPU types (relax_slos)
  infeasible_relax longest;    ///< the longest prompt that fits (longest_prompt)
};

/// Explains an empty search. One pass over the grid at the smallest batch of each pool: a
/// larger batch never passes a check a smaller one failed (memory, step budget and TPOT grow
/// with the batch: the search's prefix pruning relies on the same), so the furthest check and
/// the least TPOT or TTFT reached over the whole grid are reached there. `stats` are the
/// search's counts. OpenMP-parallel on the host; the result does not depend on the threads.
infeasible_explanation explain_infeasible(const plan_inputs& in, const problem& p, const search_stats& stats);

/// For each GPU type whose binding check is the TPOT or TTFT SLO, the least SLO at which some
/// configuration on it is feasible (0.1 ms steps for TPOT, 1 ms for TTFT, so that passing the
/// value printed as --tpot or --ttft is feasible), and the least over the types in x.relax.
/// Feasibility only grows as an SLO relaxes (the SLOs gate checks, nothing else reads them),
/// and nothing below the closest value reached passes, so the search starts there, doubles
/// until feasible (at most 3 times: 8x) and bisects: about log2(value / step) + 1 checks per
/// type. When TPOT alone up to 8x does not help, TPOT goes to the closest value reached and
/// TTFT is relaxed the same way from its SLO (relax.also).
void relax_slos(const plan_inputs& in, const problem& p, infeasible_explanation& x, const feasibility_check& feasible);

/// When the binding check is memory, the step budget or TTFT on every GPU type: the longest
/// fixed prompt (as --isl N sets it: every prompt N tokens, the rest of the workload as it is)
/// at which some configuration is feasible, by bisection over [1, the tail prompt) in whole
/// tokens (about log2(tail) checks). Assumes feasibility only shrinks as prompts grow (memory,
/// prefill work and TTFT all grow with the prompt). Sets x.longest.
void longest_prompt(const plan_inputs& in, infeasible_explanation& x, const feasibility_check& feasible);

/// "relax the TPOT SLO from 20 ms to 31.2 ms (--tpot 31.2)", or why not; "" when not computed.
/// `options`: name the command-line options too (not for a demand file's class, whose
/// workload file carries the SLOs).
std::string relax_text(const infeasible_relax& r, bool options = true);

/// "the longest prompt that fits is 12,345 tokens (--isl 12345), ..."; "" when not computed.
std::string longest_prompt_text(const infeasible_relax& r);

/// The explanation as a JSON object (the plan's "why_no_configuration").
nlohmann::ordered_json infeasible_json(const plan_inputs& in, const infeasible_explanation& x);

/// The explanation for people: one line per GPU type and the check that ruled out the most,
/// wrapped to 100 columns.
std::string infeasible_text(const infeasible_explanation& x);

}  // namespace tokenplan
