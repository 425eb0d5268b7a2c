// The solver-neutral half of the MIP interface: building the problem, names, the gap, and the
// choice of backend.
#include "fleet/mip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/errors.hpp"

namespace tokenplan {

int mip_problem::column(double lo, double hi, double obj, bool is_integer) {
  col_lo.push_back(lo);
  col_hi.push_back(hi);
  cost.push_back(obj);
  integer.push_back(is_integer ? 1 : 0);
  return static_cast<int>(cost.size()) - 1;
}

int mip_problem::row(double lo, double hi) {
  row_lo.push_back(lo);
  row_hi.push_back(hi);
  return static_cast<int>(row_lo.size()) - 1;
}

void mip_problem::coef(int r, int c, double v) {
  if (v == 0.0) return;
  coef_row.push_back(r);
  coef_col.push_back(c);
  coef_value.push_back(v);
}

std::size_t mip_problem::integers() const {
  std::size_t n = 0;
  for (char i : integer) n += i ? 1 : 0;
  return n;
}

const char* mip_outcome_name(mip_outcome o) {
  switch (o) {
    case mip_outcome::optimal: return "optimal";
    case mip_outcome::feasible: return "feasible";
    case mip_outcome::infeasible: return "infeasible";
    case mip_outcome::no_solution: return "no_solution";
    case mip_outcome::unbounded: return "unbounded";
  }
  return "unknown";
}

const char* mip_solver_name(mip_solver s) { return s == mip_solver::glpk ? "glpk" : "cbc"; }

bool parse_mip_solver(const std::string& text, mip_solver* out) {
  if (text == "glpk") *out = mip_solver::glpk;
  else if (text == "cbc") *out = mip_solver::cbc;
  else return false;
  return true;
}

bool mip_solver_available(mip_solver s) {
#ifdef TOKENPLAN_WITH_GLPK
  if (s == mip_solver::glpk) return true;
#endif
#ifdef TOKENPLAN_WITH_CBC
  if (s == mip_solver::cbc) return true;
#endif
  (void)s;
  return false;
}

mip_solver default_mip_solver() {
  // CBC: on the shipped fleet examples it proves 0.1% where GLPK runs for minutes (bench/RESULTS.md).
  return mip_solver_available(mip_solver::cbc) ? mip_solver::cbc : mip_solver::glpk;
}

double mip_relative_gap(double objective, double bound) {
  if (!std::isfinite(bound) || !std::isfinite(objective)) return std::numeric_limits<double>::infinity();
  const double diff = std::fabs(objective - bound);
  // Rounding noise (the objective summed from the columns, the bound kept by the solver) is no gap.
  if (diff <= 1e-12 * std::max(1.0, std::fabs(objective))) return 0.0;
  return diff / std::max(std::fabs(objective), 1e-9);
}

namespace {
std::atomic<void (*)()> g_abandon{nullptr};
}  // namespace

void set_mip_abandon_hook(void (*hook)()) { g_abandon.store(hook); }
void (*mip_abandon_hook())() { return g_abandon.load(); }

mip_result solve_mip(const mip_problem& p, mip_solver solver, const mip_options& o) {
  if (!mip_solver_available(solver)) {
    throw runtime_failure(std::string("the MIP solver ") + mip_solver_name(solver) + " is not in this build");
  }
  auto check_cancel = [&] {
    if (o.cancel && o.cancel->load()) throw interrupted_error("interrupted during the fleet allocation; nothing written");
  };
  check_cancel();
  mip_result r = solver == mip_solver::glpk ? solve_mip_glpk(p, o) : solve_mip_cbc(p, o);
  check_cancel();
  // The objective of the solution returned, from its columns: CBC 2.10.8's Cbc_getObjValue can
  // differ from it (by 2.6e-4 on a capacity question of 30.93, its preprocessed model's value).
  if (!r.x.empty()) {
    double obj = 0.0;
    for (std::size_t j = 0; j < p.columns(); ++j) obj += p.cost[j] * r.x[j];
    r.objective = obj;
  }
  return r;
}

}  // namespace tokenplan
