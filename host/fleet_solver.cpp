// The fleet MIP on GLPK (glp_intopt: presolve, branch and cut, MIP gap 0).
//
// Columns, per option o: committed units x[o][s] (integer; s = 0 aggregated or prefill, 1
// decode) or, in an on-demand pool, units per period y[o][s][p] (integer); requests/s served
// per period q[o][p]. Per class and period: deferrable requests/s d[c][p]. Per committed pool j:
// spare nodes n[j] (integer), GPUs in use U[j] = sum gpus x + nodes n (bounded by the pool's
// GPUs), GPUs paid W[j] >= max(U[j], paid minimum). Per on-demand pool and period: GPUs in use
// G[j][p]. With max_scale, the multiple lambda of the demand.
//
// Rows: q[o][p] <= rps x (each side of a disaggregated option); sum q = demand + d (or
// lambda demand + d); sum_p hours d = 24 deferrable (x lambda); the U, W, G definitions; spare
// nodes >= fraction x serving nodes; per site and period, IT power <= cap.
//
// Objective (min cost per day): held cost x W + energy x 24 x U over committed pools, and
// hours x (price + energy) x G over on-demand pools. Max scale: lambda.
#include "fleet_solver.hpp"

#include <glpk.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "errors.hpp"

namespace tokenplan {

namespace {

/// Column and row bookkeeping on top of GLPK's 1-based API.
class lp_builder {
 public:
  lp_builder() : lp_(glp_create_prob()) {
    ia_.push_back(0);
    ja_.push_back(0);
    ar_.push_back(0.0);
  }
  ~lp_builder() { glp_delete_prob(lp_); }
  lp_builder(const lp_builder&) = delete;
  lp_builder& operator=(const lp_builder&) = delete;

  glp_prob* get() { return lp_; }

  /// A column with bounds [lo, hi] (hi < 0: no upper bound), objective coefficient, integrality.
  int column(double lo, double hi, double cost, bool integer) {
    const int j = glp_add_cols(lp_, 1);
    if (hi < 0.0) glp_set_col_bnds(lp_, j, GLP_LO, lo, 0.0);
    else if (hi == lo) glp_set_col_bnds(lp_, j, GLP_FX, lo, lo);
    else glp_set_col_bnds(lp_, j, GLP_DB, lo, hi);
    glp_set_obj_coef(lp_, j, cost);
    if (integer) {
      glp_set_col_kind(lp_, j, GLP_IV);
      ++integers_;
    }
    return j;
  }
  /// A row sum(coef x col) in [lo, hi]; type GLP_LO, GLP_UP, GLP_FX.
  int row(int type, double lo, double hi) {
    const int i = glp_add_rows(lp_, 1);
    glp_set_row_bnds(lp_, i, type, lo, hi);
    return i;
  }
  void coef(int row, int col, double v) {
    if (v == 0.0) return;
    ia_.push_back(row);
    ja_.push_back(col);
    ar_.push_back(v);
  }
  void load() { glp_load_matrix(lp_, static_cast<int>(ia_.size()) - 1, ia_.data(), ja_.data(), ar_.data()); }
  std::size_t integers() const { return integers_; }

 private:
  glp_prob* lp_;
  std::vector<int> ia_, ja_;
  std::vector<double> ar_;
  std::size_t integers_ = 0;
};

int quiet_terminal(void*, const char*) { return 1; }  // GLPK prints nothing

/// The shortest text that reads back as x; std::to_chars ignores the locale (std::to_string
/// does not: it is printf's %f).
std::string shortest(double x) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

}  // namespace

void check_fleet_model(const fleet_model& m) {
  auto bad = [](const std::string& what) { throw std::invalid_argument("fleet model: " + what); };
  if (m.period_hours.empty()) bad("no periods");
  double hours = 0.0;
  for (double h : m.period_hours) {
    if (!(h > 0.0)) bad("a period of " + shortest(h) + " hours");
    hours += h;
  }
  if (std::fabs(hours - 24.0) > 1e-6) bad("periods sum to " + shortest(hours) + " hours, not 24");
  for (const fleet_class& c : m.classes) {
    if (c.interactive_rps.size() != m.period_hours.size()) bad("class " + c.name + ": demand per period has the wrong length");
    for (double r : c.interactive_rps) {
      if (!(r >= 0.0) || !std::isfinite(r)) bad("class " + c.name + ": negative or non-finite demand");
    }
    if (!(c.deferrable_rps >= 0.0) || !std::isfinite(c.deferrable_rps)) bad("class " + c.name + ": bad deferrable demand");
  }
  for (const fleet_pool& p : m.pools) {
    if (p.site >= m.sites.size()) bad("pool with an unknown site");
    if (!(p.gpus_now >= 0.0) || !(p.gpus_per_node >= 1.0) || !(p.kw_per_gpu >= 0.0) || !(p.pue >= 1.0)) {
      bad("pool " + m.sites[p.site].name + "/" + p.gpu + ": bad GPUs, node size, power or PUE");
    }
  }
  for (const fleet_option& o : m.options) {
    if (o.cls >= m.classes.size() || o.pool >= m.pools.size()) bad("option with an unknown class or pool");
    for (int s = 0; s < (o.disaggregated ? 2 : 1); ++s) {
      if (!(o.unit_gpus[s] >= 1.0) || !(o.unit_rps[s] > 0.0) || !(o.unit_nodes[s] > 0.0)) {
        bad("option for class " + m.classes[o.cls].name + ": a unit needs GPUs, nodes and a positive capacity");
      }
    }
  }
}

fleet_solution solve_fleet(const fleet_model& m, const fleet_solve_options& opt) {
  check_fleet_model(m);
  const auto start = std::chrono::steady_clock::now();
  const std::size_t P = m.period_hours.size(), O = m.options.size(), J = m.pools.size(), C = m.classes.size();
  const bool max_scale = opt.goal == fleet_goal::max_scale;
  lp_builder lp;
  glp_set_obj_dir(lp.get(), max_scale ? GLP_MAX : GLP_MIN);
  constexpr double unlimited = 1e12;
  constexpr double use_epsilon = 1e-6;

  auto limit_of = [&](std::size_t j) {
    const fleet_pool& p = m.pools[j];
    double base = opt.gpus_override.empty() ? p.gpus_now : opt.gpus_override[j];
    if (!opt.allow_expansion) return base;
    return p.expansion_max < 0.0 ? unlimited : base + p.expansion_max;
  };

  // ---- columns ------------------------------------------------------------------------------
  const int lambda = max_scale ? lp.column(0.0, -1.0, 1.0, false) : 0;
  std::vector<int> U(J, 0), W(J, 0), N(J, 0);
  std::vector<std::vector<int>> G(J);
  for (std::size_t j = 0; j < J; ++j) {
    const fleet_pool& p = m.pools[j];
    const double limit = limit_of(j);
    if (p.on_demand()) {
      G[j].resize(P);
      for (std::size_t t = 0; t < P; ++t) {
        const double per_hour = p.held_usd_per_gpu_day() / 24.0 + p.energy_usd_per_gpu_hour();
        G[j][t] = lp.column(0.0, limit, max_scale ? 0.0 : m.period_hours[t] * per_hour, false);
      }
    } else {
      // A GPU in use costs its energy, plus 1e-6 USD/day so that GPUs paid anyway (power
      // included, a committed lease) are not put to work beyond what the demand needs.
      U[j] = lp.column(0.0, limit, max_scale ? 0.0 : 24.0 * p.energy_usd_per_gpu_hour() + use_epsilon, false);
      // Paid GPUs: at least the paid minimum (a committed lease, owned GPUs), whatever is used.
      W[j] = lp.column(p.paid_minimum, -1.0, max_scale ? 0.0 : p.held_usd_per_gpu_day(), false);
      N[j] = lp.column(0.0, -1.0, 0.0, true);
    }
  }
  std::vector<std::vector<int>> X(O), Q(O);
  std::vector<std::vector<std::vector<int>>> Y(O);
  for (std::size_t o = 0; o < O; ++o) {
    const fleet_option& op = m.options[o];
    const int sides = op.disaggregated ? 2 : 1;
    if (m.pools[op.pool].on_demand()) {
      Y[o].assign(sides, std::vector<int>(P, 0));
      for (int s = 0; s < sides; ++s) {
        for (std::size_t t = 0; t < P; ++t) Y[o][s][t] = lp.column(0.0, -1.0, 0.0, true);
      }
    } else {
      X[o].resize(sides);
      for (int s = 0; s < sides; ++s) X[o][s] = lp.column(0.0, -1.0, 0.0, true);
    }
    Q[o].resize(P);
    for (std::size_t t = 0; t < P; ++t) Q[o][t] = lp.column(0.0, -1.0, 0.0, false);
  }
  // Deferrable work carries a token cost (1e-9 USD per request-hour, scaled by how busy the
  // period is), so among allocations of equal cost it runs in the quietest hours first. Flows
  // equal the demand exactly, so utilisation follows from them.
  std::vector<std::vector<int>> D(C);
  for (std::size_t c = 0; c < C; ++c) {
    if (m.classes[c].deferrable_rps <= 0.0) continue;
    const std::vector<double>& load = m.classes[c].interactive_rps;
    const double top = std::max(1e-30, *std::max_element(load.begin(), load.end()));
    D[c].resize(P);
    for (std::size_t t = 0; t < P; ++t) {
      const double nudge = max_scale ? -1e-9 : 1e-9;
      D[c][t] = lp.column(0.0, -1.0, nudge * m.period_hours[t] * (load[t] / top), false);
    }
  }

  // ---- rows ---------------------------------------------------------------------------------
  // Capacity of each option, each side, each period.
  for (std::size_t o = 0; o < O; ++o) {
    const fleet_option& op = m.options[o];
    const int sides = op.disaggregated ? 2 : 1;
    for (std::size_t t = 0; t < P; ++t) {
      for (int s = 0; s < sides; ++s) {
        const int r = lp.row(GLP_UP, 0.0, 0.0);
        lp.coef(r, Q[o][t], 1.0);
        lp.coef(r, m.pools[op.pool].on_demand() ? Y[o][s][t] : X[o][s], -op.unit_rps[s]);
      }
    }
  }
  // Demand per class and period.
  for (std::size_t c = 0; c < C; ++c) {
    const fleet_class& fc = m.classes[c];
    for (std::size_t t = 0; t < P; ++t) {
      const double need = fc.interactive_rps[t];
      const int r = max_scale ? lp.row(GLP_FX, 0.0, 0.0) : lp.row(GLP_FX, need, need);
      for (std::size_t o = 0; o < O; ++o) {
        if (m.options[o].cls == c) lp.coef(r, Q[o][t], 1.0);
      }
      if (!D[c].empty()) lp.coef(r, D[c][t], -1.0);
      if (max_scale) lp.coef(r, lambda, -need);
    }
    if (!D[c].empty()) {
      const double total = 24.0 * fc.deferrable_rps;
      const int r = max_scale ? lp.row(GLP_FX, 0.0, 0.0) : lp.row(GLP_FX, total, total);
      for (std::size_t t = 0; t < P; ++t) lp.coef(r, D[c][t], m.period_hours[t]);
      if (max_scale) lp.coef(r, lambda, -total);
    }
  }
  // Pool GPUs, spares and what is paid.
  for (std::size_t j = 0; j < J; ++j) {
    const fleet_pool& p = m.pools[j];
    if (p.on_demand()) {
      for (std::size_t t = 0; t < P; ++t) {
        const int r = lp.row(GLP_FX, 0.0, 0.0);
        lp.coef(r, G[j][t], 1.0);
        for (std::size_t o = 0; o < O; ++o) {
          const fleet_option& op = m.options[o];
          if (op.pool != j) continue;
          for (int s = 0; s < (op.disaggregated ? 2 : 1); ++s) lp.coef(r, Y[o][s][t], -op.unit_gpus[s]);
        }
      }
      continue;
    }
    const int used = lp.row(GLP_FX, 0.0, 0.0);
    lp.coef(used, U[j], 1.0);
    lp.coef(used, N[j], -p.gpus_per_node);
    const int spare = lp.row(GLP_LO, 0.0, 0.0);
    lp.coef(spare, N[j], 1.0);
    for (std::size_t o = 0; o < O; ++o) {
      const fleet_option& op = m.options[o];
      if (op.pool != j) continue;
      for (int s = 0; s < (op.disaggregated ? 2 : 1); ++s) {
        lp.coef(used, X[o][s], -op.unit_gpus[s]);
        lp.coef(spare, X[o][s], -p.spare_fraction * op.unit_nodes[s]);
      }
    }
    const int paid = lp.row(GLP_LO, 0.0, 0.0);
    lp.coef(paid, W[j], 1.0);
    lp.coef(paid, U[j], -1.0);
  }
  // Site power caps, per period.
  for (std::size_t s = 0; s < m.sites.size(); ++s) {
    if (m.sites[s].power_cap_it_kw <= 0.0) continue;
    bool any_od = false;
    for (std::size_t j = 0; j < J; ++j) any_od = any_od || (m.pools[j].site == s && m.pools[j].on_demand());
    for (std::size_t t = 0; t < (any_od ? P : 1); ++t) {
      const int r = lp.row(GLP_UP, 0.0, m.sites[s].power_cap_it_kw);
      for (std::size_t j = 0; j < J; ++j) {
        const fleet_pool& p = m.pools[j];
        if (p.site != s) continue;
        lp.coef(r, p.on_demand() ? G[j][t] : U[j], p.kw_per_gpu);
      }
    }
  }
  lp.load();

  fleet_solution sol;
  sol.rows = static_cast<std::size_t>(glp_get_num_rows(lp.get()));
  sol.columns = static_cast<std::size_t>(glp_get_num_cols(lp.get()));
  sol.integers = lp.integers();
  glp_term_hook(quiet_terminal, nullptr);
  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.presolve = GLP_ON;
  parm.mip_gap = 0.0;
  parm.msg_lev = GLP_MSG_OFF;
  parm.tm_lim = static_cast<int>(std::min(opt.time_limit_s, 3600.0) * 1000.0);
  parm.gmi_cuts = GLP_ON;
  parm.mir_cuts = GLP_ON;
  const int rc = glp_intopt(lp.get(), &parm);
  glp_term_hook(nullptr, nullptr);
  sol.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int status = glp_mip_status(lp.get());
  if (rc == GLP_ENOPFS || rc == GLP_ENODFS || status == GLP_NOFEAS) {
    sol.status = "infeasible: no allocation meets the demand within the GPUs and power caps";
    return sol;
  }
  if (rc != 0 && rc != GLP_ETMLIM && rc != GLP_EMIPGAP) {
    throw runtime_failure("GLPK failed on the fleet allocation (glp_intopt code " + std::to_string(rc) + ")");
  }
  if (status != GLP_OPT && status != GLP_FEAS) {
    sol.status = rc == GLP_ETMLIM ? "no integer solution within the time limit" : "no integer solution";
    return sol;
  }
  sol.solved = true;
  sol.proven_optimal = status == GLP_OPT && rc == 0;
  sol.objective = glp_mip_obj_val(lp.get());
  if (!sol.proven_optimal) {
    // Bound of the best open node, as GLPK keeps it; the gap the caller should report.
    sol.status = "time limit reached; best solution found, optimality not proven";
  } else {
    sol.status = "optimal (MIP gap 0)";
  }
  auto val = [&](int col) { return col ? glp_mip_col_val(lp.get(), col) : 0.0; };
  auto whole = [&](int col) { return std::round(val(col)); };
  sol.scale = max_scale ? val(lambda) : 1.0;
  for (int s = 0; s < 2; ++s) {
    sol.units[s].assign(O, 0.0);
    sol.od_units[s].assign(O, std::vector<double>(P, 0.0));
  }
  sol.flow.assign(O, std::vector<double>(P, 0.0));
  for (std::size_t o = 0; o < O; ++o) {
    for (int s = 0; s < static_cast<int>(X[o].size()); ++s) sol.units[s][o] = whole(X[o][s]);
    for (int s = 0; s < static_cast<int>(Y[o].size()); ++s) {
      for (std::size_t t = 0; t < P; ++t) sol.od_units[s][o][t] = whole(Y[o][s][t]);
    }
    for (std::size_t t = 0; t < P; ++t) sol.flow[o][t] = std::max(0.0, val(Q[o][t]));
  }
  sol.deferred.assign(C, std::vector<double>(P, 0.0));
  for (std::size_t c = 0; c < C; ++c) {
    for (std::size_t t = 0; t < D[c].size(); ++t) {
      sol.deferred[c][t] = std::max(0.0, val(D[c][t]));
      sol.objective -= glp_get_obj_coef(lp.get(), D[c][t]) * val(D[c][t]);  // report the cost alone
    }
  }
  sol.spare_nodes.assign(J, 0.0);
  sol.gpus_used.assign(J, 0.0);
  sol.paid_gpus.assign(J, 0.0);
  sol.od_gpus.assign(J, std::vector<double>(P, 0.0));
  for (std::size_t j = 0; j < J; ++j) {
    if (m.pools[j].on_demand()) {
      for (std::size_t t = 0; t < P; ++t) sol.od_gpus[j][t] = std::round(val(G[j][t]));
    } else {
      sol.spare_nodes[j] = whole(N[j]);
      sol.gpus_used[j] = std::round(val(U[j]));
      if (!max_scale) sol.objective -= use_epsilon * val(U[j]);
      sol.paid_gpus[j] = std::max(m.pools[j].paid_minimum, sol.gpus_used[j]);
    }
  }
  return sol;
}

}  // namespace tokenplan
