// A mixed-integer program as plain numbers (columns, rows, sparse coefficients) and the solvers
// that take one: GLPK (glp_intopt) and COIN-OR CBC. The fleet allocation builds its problem once
// and hands it to either; no solver type crosses this boundary.
#pragma once

#include <atomic>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace tokenplan {

/// The MIP solvers a build can have; which are linked is mip_solver_available's answer.
enum class mip_solver { glpk, cbc };

/// min or max cost . x subject to row_lo <= A x <= row_hi, col_lo <= x <= col_hi, some x integer.
/// Infinite bounds (+-mip_problem::inf) mean none.
struct mip_problem {
  static constexpr double inf = std::numeric_limits<double>::infinity();
  bool maximize = false;
  std::vector<double> col_lo, col_hi, cost;
  std::vector<char> integer;
  std::vector<double> row_lo, row_hi;
  std::vector<int> coef_row, coef_col;  ///< 0-based; one entry per nonzero
  std::vector<double> coef_value;

  /// Adds a column; returns its 0-based index.
  int column(double lo, double hi, double obj, bool is_integer);
  /// Adds a row lo <= sum <= hi; returns its 0-based index.
  int row(double lo, double hi);
  /// Adds a coefficient (zeros are dropped).
  void coef(int r, int c, double v);
  std::size_t columns() const { return cost.size(); }
  std::size_t rows() const { return row_lo.size(); }
  std::size_t integers() const;
};

struct mip_options {
  /// Wall-clock limit of one solve, s (> 0); infinity: none.
  double time_limit_s = std::numeric_limits<double>::infinity();
  /// Stop when (|objective - bound|) / |objective| is at most this (>= 0; 0: prove optimality).
  double relative_gap = 1e-3;
  /// Set by Ctrl-C or SIGTERM: GLPK stops at its next node and solve_mip throws
  /// interrupted_error. CBC's C interface has no interrupt: a watchdog thread sees the flag and
  /// calls the abandon hook (set_mip_abandon_hook), which ends the process (nothing has been
  /// written during a solve). nullptr: none.
  const std::atomic<bool>* cancel = nullptr;
};

enum class mip_outcome {
  optimal,      ///< a solution proven within relative_gap of the optimum
  feasible,     ///< a solution, stopped at the time limit before the gap closed
  infeasible,   ///< proven: no integer solution exists
  no_solution,  ///< stopped at the time limit without any integer solution
  unbounded,    ///< the relaxation is unbounded
};

/// "optimal", "feasible", "infeasible", "no_solution", "unbounded" (the JSON names).
const char* mip_outcome_name(mip_outcome o);

struct mip_result {
  mip_outcome outcome = mip_outcome::no_solution;
  bool has_solution() const { return outcome == mip_outcome::optimal || outcome == mip_outcome::feasible; }
  double objective = 0.0;  ///< of the best solution (meaningful with has_solution)
  /// Best bound on the optimum the solver proved (a lower bound when minimising); +-inf when none.
  double bound = 0.0;
  std::vector<double> x;   ///< the best solution, one value per column (empty without one)
  double seconds = 0.0;
  std::string library;     ///< "GLPK 5.0", "CBC 2.10.8"
};

/// What to do when the cancel flag is set during a solve that cannot be stopped (CBC): called
/// from a watchdog thread, it must not return (the CLI prints "interrupted", removes temporary
/// files and _exits with 128 + the signal). nullptr (the default): the solve runs to its end and
/// solve_mip then throws interrupted_error.
void set_mip_abandon_hook(void (*hook)());
void (*mip_abandon_hook())();

/// "glpk" / "cbc".
const char* mip_solver_name(mip_solver s);
/// Parses "glpk" or "cbc"; false for anything else.
bool parse_mip_solver(const std::string& text, mip_solver* out);
/// Whether this build links the solver (TOKENPLAN_WITH_GLPK, TOKENPLAN_WITH_CBC).
bool mip_solver_available(mip_solver s);
/// The solver `plan` and `capacity` use without --solver.
mip_solver default_mip_solver();

/// The relative gap |objective - bound| / max(|objective|, 1e-9): the share of the objective by
/// which the best solution may still be off the optimum. 0 when they agree, inf without a bound.
double mip_relative_gap(double objective, double bound);

/// Solves the problem. Throws runtime_failure when the solver fails outright (not for an
/// infeasible problem or a time limit: those are outcomes) or is not in this build, and
/// interrupted_error when o.cancel is set.
mip_result solve_mip(const mip_problem& p, mip_solver solver, const mip_options& o);

// The backends (one file each); solve_mip picks.
mip_result solve_mip_glpk(const mip_problem& p, const mip_options& o);
mip_result solve_mip_cbc(const mip_problem& p, const mip_options& o);

}  // namespace tokenplan
