// The MIP on COIN-OR CBC through its C interface (Cbc_C_Interface.h): the same driver as the
// cbc program (CbcMain1: preprocessing, cuts, heuristics), with its log off and the relative
// gap and time limit asked for.
#include <Cbc_C_Interface.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>

#include "base/errors.hpp"
#include "fleet/mip.hpp"

namespace tokenplan {

namespace {

/// Owns the Cbc_Model.
struct cbc_model {
  Cbc_Model* m = Cbc_newModel();
  ~cbc_model() { Cbc_deleteModel(m); }
};

/// CBC spells "no bound" as the largest double.
double coin_bound(double v) {
  constexpr double big = std::numeric_limits<double>::max();
  return v == mip_problem::inf ? big : v == -mip_problem::inf ? -big : v;
}

/// CBC reads its parameters as text, like its command line.
std::string text_of(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

mip_result solve_mip_cbc(const mip_problem& p, const mip_options& o) {
  const auto start = std::chrono::steady_clock::now();
  const int n = static_cast<int>(p.columns()), m = static_cast<int>(p.rows());
  // Compressed sparse columns, as Cbc_loadProblem takes them.
  std::vector<CoinBigIndex> col_start(n + 1, 0);
  for (int c : p.coef_col) ++col_start[c + 1];
  for (int j = 0; j < n; ++j) col_start[j + 1] += col_start[j];
  std::vector<int> index(p.coef_value.size());
  std::vector<double> value(p.coef_value.size());
  {
    std::vector<CoinBigIndex> next(col_start.begin(), col_start.end() - 1);
    for (std::size_t k = 0; k < p.coef_value.size(); ++k) {
      const CoinBigIndex at = next[p.coef_col[k]]++;
      index[at] = p.coef_row[k];
      value[at] = p.coef_value[k];
    }
  }
  std::vector<double> col_lo(n), col_hi(n), row_lo(m), row_hi(m);
  for (int j = 0; j < n; ++j) {
    col_lo[j] = coin_bound(p.col_lo[j]);
    col_hi[j] = coin_bound(p.col_hi[j]);
  }
  for (int i = 0; i < m; ++i) {
    row_lo[i] = coin_bound(p.row_lo[i]);
    row_hi[i] = coin_bound(p.row_hi[i]);
  }
  cbc_model model;
  Cbc_Model* cbc = model.m;
  Cbc_loadProblem(cbc, n, m, col_start.data(), index.data(), value.data(), col_lo.data(), col_hi.data(), p.cost.data(),
                  row_lo.data(), row_hi.data());
  Cbc_setObjSense(cbc, p.maximize ? -1.0 : 1.0);
  for (int j = 0; j < n; ++j) {
    if (p.integer[j]) Cbc_setInteger(cbc, j);
  }
  Cbc_setParameter(cbc, "log", "0");
  Cbc_setParameter(cbc, "slog", "0");
  // CBC 2.10.8's two-step MIR cuts (CglTwomir) cut off the optimum of some capacity questions:
  // on random fleets (tests/unit/test_fleet_solver_mip.cpp, GlpkAndCbcAgreeOnTheOptimum) CBC proved
  // 12.92 "optimal" where GLPK found a feasible 13.10 (checked row by row); with them off CBC
  // finds 13.10 too. The other cut generators stay on.
  Cbc_setParameter(cbc, "twoMirCuts", "off");
  Cbc_setParameter(cbc, "ratioGap", text_of(o.relative_gap).c_str());
  if (std::isfinite(o.time_limit_s)) Cbc_setParameter(cbc, "seconds", text_of(o.time_limit_s).c_str());
  // Cbc_solve (CbcMain1) installs its own SIGINT handler and leaves it: keep ours around it.
  // A watchdog ends the process if Ctrl-C or SIGTERM comes during the solve (see mip_options).
  struct sigaction ours_int {}, ours_term {};
  ::sigaction(SIGINT, nullptr, &ours_int);
  ::sigaction(SIGTERM, nullptr, &ours_term);
  std::atomic<bool> solving{true};
  std::thread watchdog;
  void (*abandon)() = mip_abandon_hook();
  if (o.cancel && abandon) {
    watchdog = std::thread([&] {
      while (solving.load()) {
        if (o.cancel->load()) abandon();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  const int rc = Cbc_solve(cbc);
  solving.store(false);
  if (watchdog.joinable()) watchdog.join();
  ::sigaction(SIGINT, &ours_int, nullptr);
  ::sigaction(SIGTERM, &ours_term, nullptr);
  // A Ctrl-C that CBC's handler caught stops its search with status 5 (a user event).
  if (Cbc_status(cbc) == 5 || Cbc_secondaryStatus(cbc) == 5) {
    throw interrupted_error("interrupted during the fleet allocation; nothing written");
  }

  mip_result r;
  r.library = std::string("CBC ") + Cbc_getVersion();
  const double no_bound = p.maximize ? mip_problem::inf : -mip_problem::inf;
  r.bound = no_bound;
  const int status = Cbc_status(cbc);
  const double* best = Cbc_bestSolution(cbc);
  auto read_bound = [&] {
    const double b = Cbc_getBestPossibleObjValue(cbc);
    return std::fabs(b) >= 1e50 ? no_bound : b;
  };
  if (best != nullptr) {
    r.objective = Cbc_getObjValue(cbc);
    r.bound = read_bound();
    r.x.assign(best, best + n);
    const bool stopped_early = status == 1 || Cbc_isSecondsLimitReached(cbc);
    r.outcome = Cbc_isProvenOptimal(cbc) || (!stopped_early && status == 0) ? mip_outcome::optimal : mip_outcome::feasible;
  } else if (Cbc_isProvenInfeasible(cbc)) {
    r.outcome = mip_outcome::infeasible;
  } else if (Cbc_isContinuousUnbounded(cbc)) {
    r.outcome = mip_outcome::unbounded;
  } else if (status == 2 || Cbc_isAbandoned(cbc)) {
    throw runtime_failure("CBC failed on the MIP (numerical difficulties; Cbc_solve " + std::to_string(rc) + ", status " +
                          std::to_string(status) + ")");
  } else {  // stopped (time limit) before any integer solution
    r.outcome = mip_outcome::no_solution;
    r.bound = read_bound();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace tokenplan
