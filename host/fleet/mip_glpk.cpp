// The MIP on GLPK: glp_intopt with presolve, GMI and MIR cuts, the relative gap and time limit
// asked for. GLPK keeps its best bound inside the search tree only, so a callback reads it.
#include <glpk.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <string>

#include "base/errors.hpp"
#include "fleet/mip.hpp"

namespace tokenplan {

namespace {

int quiet_terminal(void*, const char*) { return 1; }  // GLPK prints nothing

/// The best bound of the open nodes, read at every call GLPK makes during the search.
struct bound_tracker {
  bool seen = false;
  double bound = 0.0;
  const std::atomic<bool>* cancel = nullptr;  ///< Ctrl-C: end the search at this node
};

void track_bound(glp_tree* tree, void* info) {
  auto* t = static_cast<bound_tracker*>(info);
  if (t->cancel && t->cancel->load()) {
    glp_ios_terminate(tree);
    return;
  }
  const int node = glp_ios_best_node(tree);
  if (node == 0) return;
  t->bound = glp_ios_node_bound(tree, node);
  t->seen = true;
}

/// Owns the glp_prob.
struct glpk_problem {
  glp_prob* lp = glp_create_prob();
  ~glpk_problem() { glp_delete_prob(lp); }
};

}  // namespace

mip_result solve_mip_glpk(const mip_problem& p, const mip_options& o) {
  const auto start = std::chrono::steady_clock::now();
  glpk_problem g;
  glp_prob* lp = g.lp;
  glp_set_obj_dir(lp, p.maximize ? GLP_MAX : GLP_MIN);
  auto bounds_kind = [](double lo, double hi) {
    const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
    if (has_lo && has_hi) return lo == hi ? GLP_FX : GLP_DB;
    if (has_lo) return GLP_LO;
    return has_hi ? GLP_UP : GLP_FR;
  };
  const int n = static_cast<int>(p.columns()), m = static_cast<int>(p.rows());
  if (n > 0) glp_add_cols(lp, n);
  if (m > 0) glp_add_rows(lp, m);
  for (int j = 0; j < n; ++j) {
    const double lo = p.col_lo[j], hi = p.col_hi[j];
    glp_set_col_bnds(lp, j + 1, bounds_kind(lo, hi), std::isfinite(lo) ? lo : 0.0, std::isfinite(hi) ? hi : 0.0);
    glp_set_obj_coef(lp, j + 1, p.cost[j]);
    if (p.integer[j]) glp_set_col_kind(lp, j + 1, GLP_IV);
  }
  for (int i = 0; i < m; ++i) {
    const double lo = p.row_lo[i], hi = p.row_hi[i];
    glp_set_row_bnds(lp, i + 1, bounds_kind(lo, hi), std::isfinite(lo) ? lo : 0.0, std::isfinite(hi) ? hi : 0.0);
  }
  // GLPK's arrays are 1-based: element 0 is unused.
  std::vector<int> ia(1, 0), ja(1, 0);
  std::vector<double> ar(1, 0.0);
  for (std::size_t k = 0; k < p.coef_value.size(); ++k) {
    ia.push_back(p.coef_row[k] + 1);
    ja.push_back(p.coef_col[k] + 1);
    ar.push_back(p.coef_value[k]);
  }
  glp_load_matrix(lp, static_cast<int>(ar.size()) - 1, ia.data(), ja.data(), ar.data());

  bound_tracker tracker;
  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.presolve = GLP_ON;
  parm.mip_gap = o.relative_gap;
  parm.msg_lev = GLP_MSG_OFF;
  // GLPK counts milliseconds in an int; past ~24 days it means "no limit" anyway.
  if (std::isfinite(o.time_limit_s)) parm.tm_lim = static_cast<int>(std::min(o.time_limit_s * 1000.0, double(INT_MAX - 1)));
  parm.gmi_cuts = GLP_ON;
  parm.mir_cuts = GLP_ON;
  parm.cb_func = track_bound;
  tracker.cancel = o.cancel;
  parm.cb_info = &tracker;
  glp_term_hook(quiet_terminal, nullptr);
  const int rc = glp_intopt(lp, &parm);
  glp_term_hook(nullptr, nullptr);
  if (rc == GLP_ESTOP && o.cancel && o.cancel->load()) {
    throw interrupted_error("interrupted during the fleet allocation; nothing written");
  }

  mip_result r;
  r.library = std::string("GLPK ") + glp_version();
  const double no_bound = p.maximize ? mip_problem::inf : -mip_problem::inf;
  r.bound = no_bound;
  const int status = glp_mip_status(lp);
  if (rc == GLP_ENOPFS || status == GLP_NOFEAS) {
    r.outcome = mip_outcome::infeasible;
  } else if (rc == GLP_ENODFS) {
    r.outcome = mip_outcome::unbounded;
  } else if (rc != 0 && rc != GLP_ETMLIM && rc != GLP_EMIPGAP) {
    throw runtime_failure("GLPK failed on the MIP (glp_intopt code " + std::to_string(rc) + ")");
  } else if (status != GLP_OPT && status != GLP_FEAS) {
    r.outcome = mip_outcome::no_solution;
    if (tracker.seen) r.bound = tracker.bound;
  } else {
    r.objective = glp_mip_obj_val(lp);
    // Search finished (rc 0): the tree is empty and the incumbent is the optimum, so the bound
    // is the objective. Stopped on the gap or the clock: the best open node's bound.
    if (rc == 0) r.bound = r.objective;
    else if (tracker.seen) r.bound = tracker.bound;
    r.outcome = rc == 0 || rc == GLP_EMIPGAP ? mip_outcome::optimal : mip_outcome::feasible;
    r.x.resize(p.columns());
    for (int j = 0; j < n; ++j) r.x[j] = glp_mip_col_val(lp, j + 1);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace tokenplan
