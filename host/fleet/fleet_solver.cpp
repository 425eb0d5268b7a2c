// The fleet MIP, built once as a solver-neutral mip_problem and solved by GLPK or CBC (mip.hpp)
// to the relative gap and within the time limit asked for.
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
// Soft limits (the shortfall): per capped site a column of kW over the cap in its power rows,
// per limited pool a column of GPUs beyond its limit; goals min_power_over / min_gpus_over
// price only those, and solve_fleet_shortfall chains the stages.
//
// Objective (min cost per day): held cost x W + energy x 24 x U over committed pools, and
// hours x (price + energy) x G over on-demand pools. Max scale: lambda.
#include "fleet/fleet_solver.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "base/errors.hpp"
#include "fleet/mip.hpp"

namespace tokenplan {

namespace {

/// The shortest text that reads back as x; std::to_chars ignores the locale (std::to_string
/// does not: it is printf's %f).
std::string shortest(double x) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

/// A relative gap for the status sentence: "0.042%"; "an unknown margin" without a bound.
std::string gap_text(double gap) {
  return std::isfinite(gap) ? gap_percent_text(gap) : "an unknown margin";
}

}  // namespace

std::string gap_percent_text(double gap) {
  if (!std::isfinite(gap)) return "unknown";
  if (gap > 0.0 && gap < 1e-6) return "<0.0001%";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%%", gap * 100.0);
  return buf;
}

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
  // Only the cost goal prices GPUs and energy; the others count scale, kW or GPUs alone.
  const bool min_cost = opt.goal == fleet_goal::min_cost;
  mip_problem lp;
  lp.maximize = max_scale;
  constexpr double none = mip_problem::inf;
  constexpr double unlimited = 1e12;
  constexpr double use_epsilon = 1e-6;

  auto limit_of = [&](std::size_t j) {
    const fleet_pool& p = m.pools[j];
    double base = opt.gpus_override.empty() ? p.gpus_now : opt.gpus_override[j];
    if (!opt.allow_expansion) return base;
    return p.expansion_max < 0.0 ? unlimited : base + p.expansion_max;
  };
  // With soft limits a pool's columns are unbounded and a row holds them to the limit plus the
  // GPUs beyond it.
  auto bound_of = [&](std::size_t j) { return opt.soft_gpu_limits ? unlimited : limit_of(j); };

  // Integer columns get the upper bound their pool's GPUs imply (none in a pool without a limit):
  // implied by the rows already, but as bounds they let presolve and branching start tight.
  auto units_within = [&](std::size_t j, double gpus_per_unit) {
    const double limit = bound_of(j);
    return limit >= unlimited ? none : std::floor(limit / gpus_per_unit + 1e-9);
  };

  // ---- columns ------------------------------------------------------------------------------
  const int lambda = max_scale ? lp.column(0.0, none, 1.0, false) : -1;
  std::vector<int> U(J, -1), W(J, -1), N(J, -1);
  std::vector<std::vector<int>> G(J);
  std::vector<int> over_gpus(J, -1), over_kw(m.sites.size(), -1);
  for (std::size_t j = 0; j < J; ++j) {
    const fleet_pool& p = m.pools[j];
    const double limit = bound_of(j);
    if (opt.soft_gpu_limits && limit_of(j) < unlimited) {
      over_gpus[j] = lp.column(0.0, none, opt.goal == fleet_goal::min_gpus_over ? 1.0 : 0.0, false);
    }
    if (p.on_demand()) {
      G[j].resize(P);
      for (std::size_t t = 0; t < P; ++t) {
        const double per_hour = p.held_usd_per_gpu_day() / 24.0 + p.energy_usd_per_gpu_hour();
        G[j][t] = lp.column(0.0, limit, min_cost ? m.period_hours[t] * per_hour : 0.0, false);
      }
    } else {
      // A GPU in use costs its energy, plus 1e-6 USD/day so that GPUs paid anyway (power
      // included, a committed lease) are not put to work beyond what the demand needs.
      U[j] = lp.column(0.0, limit, min_cost ? 24.0 * p.energy_usd_per_gpu_hour() + use_epsilon : 0.0, false);
      // Paid GPUs: at least the paid minimum (a committed lease, owned GPUs), whatever is used.
      W[j] = lp.column(p.paid_minimum, none, min_cost ? p.held_usd_per_gpu_day() : 0.0, false);
      N[j] = lp.column(0.0, units_within(j, p.gpus_per_node), 0.0, true);
    }
  }
  std::vector<std::vector<int>> X(O), Q(O);
  std::vector<std::vector<std::vector<int>>> Y(O);
  for (std::size_t o = 0; o < O; ++o) {
    const fleet_option& op = m.options[o];
    const int sides = op.disaggregated ? 2 : 1;
    if (m.pools[op.pool].on_demand()) {
      Y[o].assign(sides, std::vector<int>(P, -1));
      for (int s = 0; s < sides; ++s) {
        for (std::size_t t = 0; t < P; ++t) Y[o][s][t] = lp.column(0.0, units_within(op.pool, op.unit_gpus[s]), 0.0, true);
      }
    } else {
      X[o].resize(sides);
      for (int s = 0; s < sides; ++s) X[o][s] = lp.column(0.0, units_within(op.pool, op.unit_gpus[s]), 0.0, true);
    }
    Q[o].resize(P);
    for (std::size_t t = 0; t < P; ++t) Q[o][t] = lp.column(0.0, none, 0.0, false);
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
      const double nudge = max_scale ? -1e-9 : min_cost ? 1e-9 : 0.0;
      D[c][t] = lp.column(0.0, none, nudge * m.period_hours[t] * (load[t] / top), false);
    }
  }

  // ---- rows ---------------------------------------------------------------------------------
  // Capacity of each option, each side, each period.
  for (std::size_t o = 0; o < O; ++o) {
    const fleet_option& op = m.options[o];
    const int sides = op.disaggregated ? 2 : 1;
    for (std::size_t t = 0; t < P; ++t) {
      for (int s = 0; s < sides; ++s) {
        const int r = lp.row(-none, 0.0);
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
      const int r = max_scale ? lp.row(0.0, 0.0) : lp.row(need, need);
      for (std::size_t o = 0; o < O; ++o) {
        if (m.options[o].cls == c) lp.coef(r, Q[o][t], 1.0);
      }
      if (!D[c].empty()) lp.coef(r, D[c][t], -1.0);
      if (max_scale) lp.coef(r, lambda, -need);
    }
    if (!D[c].empty()) {
      const double total = 24.0 * fc.deferrable_rps;
      const int r = max_scale ? lp.row(0.0, 0.0) : lp.row(total, total);
      for (std::size_t t = 0; t < P; ++t) lp.coef(r, D[c][t], m.period_hours[t]);
      if (max_scale) lp.coef(r, lambda, -total);
    }
  }
  // Pool GPUs, spares and what is paid.
  for (std::size_t j = 0; j < J; ++j) {
    const fleet_pool& p = m.pools[j];
    if (p.on_demand()) {
      for (std::size_t t = 0; t < P; ++t) {
        const int r = lp.row(0.0, 0.0);
        lp.coef(r, G[j][t], 1.0);
        for (std::size_t o = 0; o < O; ++o) {
          const fleet_option& op = m.options[o];
          if (op.pool != j) continue;
          for (int s = 0; s < (op.disaggregated ? 2 : 1); ++s) lp.coef(r, Y[o][s][t], -op.unit_gpus[s]);
        }
      }
      continue;
    }
    const int used = lp.row(0.0, 0.0);
    lp.coef(used, U[j], 1.0);
    lp.coef(used, N[j], -p.gpus_per_node);
    const int spare = lp.row(0.0, none);
    lp.coef(spare, N[j], 1.0);
    for (std::size_t o = 0; o < O; ++o) {
      const fleet_option& op = m.options[o];
      if (op.pool != j) continue;
      for (int s = 0; s < (op.disaggregated ? 2 : 1); ++s) {
        lp.coef(used, X[o][s], -op.unit_gpus[s]);
        lp.coef(spare, X[o][s], -p.spare_fraction * op.unit_nodes[s]);
      }
    }
    const int paid = lp.row(0.0, none);
    lp.coef(paid, W[j], 1.0);
    lp.coef(paid, U[j], -1.0);
  }
  // Soft pool limits: GPUs in use (each period, on demand) within the limit plus the GPUs beyond.
  for (std::size_t j = 0; j < J; ++j) {
    if (over_gpus[j] < 0) continue;
    const std::vector<int> in_use = m.pools[j].on_demand() ? G[j] : std::vector<int>{U[j]};
    for (int col : in_use) {
      const int r = lp.row(-none, limit_of(j));
      lp.coef(r, col, 1.0);
      lp.coef(r, over_gpus[j], -1.0);
    }
  }
  if (opt.soft_gpu_limits && std::isfinite(opt.gpus_over_max)) {
    const int r = lp.row(-none, opt.gpus_over_max);
    for (int col : over_gpus) {
      if (col >= 0) lp.coef(r, col, 1.0);
    }
  }
  // Site power caps, per period (soft: less the kW over the cap, one column per site).
  for (std::size_t s = 0; s < m.sites.size(); ++s) {
    if (m.sites[s].power_cap_it_kw <= 0.0) continue;
    if (opt.soft_power_caps) {
      const double most = s < opt.power_over_site_max_kw.size() ? opt.power_over_site_max_kw[s] : none;
      const double price = opt.goal == fleet_goal::min_power_over         ? 1.0
                           : opt.goal == fleet_goal::min_power_over_share ? 1.0 / m.sites[s].power_cap_it_kw
                                                                          : 0.0;
      over_kw[s] = lp.column(0.0, most, price, false);
    }
    bool any_od = false;
    for (std::size_t j = 0; j < J; ++j) any_od = any_od || (m.pools[j].site == s && m.pools[j].on_demand());
    for (std::size_t t = 0; t < (any_od ? P : 1); ++t) {
      const int r = lp.row(-none, m.sites[s].power_cap_it_kw);
      for (std::size_t j = 0; j < J; ++j) {
        const fleet_pool& p = m.pools[j];
        if (p.site != s) continue;
        lp.coef(r, p.on_demand() ? G[j][t] : U[j], p.kw_per_gpu);
      }
      if (over_kw[s] >= 0) lp.coef(r, over_kw[s], -1.0);
    }
  }
  if (opt.soft_power_caps && std::isfinite(opt.power_over_max_kw)) {
    const int r = lp.row(-none, opt.power_over_max_kw);
    for (int col : over_kw) {
      if (col >= 0) lp.coef(r, col, 1.0);
    }
  }
  fleet_solution sol;
  sol.rows = lp.rows();
  sol.columns = lp.columns();
  sol.integers = lp.integers();
  sol.solver = mip_solver_name(opt.solver);
  sol.time_limit_s = opt.time_limit_s;
  sol.mip_gap = opt.mip_gap;
  mip_options mo;
  mo.time_limit_s = opt.time_limit_s;
  mo.relative_gap = opt.mip_gap;
  mo.cancel = opt.cancel;
  const mip_result res = solve_mip(lp, opt.solver, mo);
  sol.library = res.library;
  sol.outcome = res.outcome;
  sol.bound = res.bound;
  sol.gap = mip_relative_gap(res.objective, res.bound);
  sol.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string limit_text = std::isfinite(opt.time_limit_s) ? shortest(opt.time_limit_s) + " s" : "";
  switch (res.outcome) {
    case mip_outcome::infeasible:
      sol.status = "infeasible: no allocation meets the demand within the GPUs and power caps";
      return sol;
    case mip_outcome::unbounded:
      sol.status = "unbounded: the demand is zero, so any multiple of it fits";
      return sol;
    case mip_outcome::no_solution:
      sol.status = "no allocation found within the time limit of " + limit_text + " (none proven impossible either)";
      return sol;
    case mip_outcome::optimal:
    case mip_outcome::feasible:
      break;
  }
  sol.solved = true;
  sol.proven_optimal = res.outcome == mip_outcome::optimal;
  sol.objective = res.objective;
  auto val = [&](int col) { return col >= 0 ? res.x[static_cast<std::size_t>(col)] : 0.0; };
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
  // The objective carries the deferrable nudge and the epsilon per GPU in use; report the cost
  // (or the scale) alone, and take the same amount off the bound so the gap stays the solver's.
  double correction = 0.0;
  sol.deferred.assign(C, std::vector<double>(P, 0.0));
  for (std::size_t c = 0; c < C; ++c) {
    for (std::size_t t = 0; t < D[c].size(); ++t) {
      sol.deferred[c][t] = std::max(0.0, val(D[c][t]));
      correction += lp.cost[static_cast<std::size_t>(D[c][t])] * val(D[c][t]);
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
      if (min_cost) correction += use_epsilon * val(U[j]);
      sol.paid_gpus[j] = std::max(m.pools[j].paid_minimum, sol.gpus_used[j]);
    }
  }
  // What the allocation needs beyond the limits, from the GPUs it uses rather than the slack
  // columns: a later stage may leave a column above the need, up to the total it is capped at.
  sol.gpus_over.assign(J, 0.0);
  sol.power_over_kw.assign(m.sites.size(), 0.0);
  for (std::size_t j = 0; j < J; ++j) {
    if (over_gpus[j] < 0) continue;
    double peak = sol.gpus_used[j];
    for (double g : sol.od_gpus[j]) peak = std::max(peak, g);
    sol.gpus_over[j] = std::max(0.0, peak - limit_of(j));
  }
  for (std::size_t s = 0; s < m.sites.size(); ++s) {
    if (over_kw[s] < 0) continue;
    for (std::size_t t = 0; t < P; ++t) {
      double kw = 0.0;
      for (std::size_t j = 0; j < J; ++j) {
        if (m.pools[j].site == s) kw += (m.pools[j].on_demand() ? sol.od_gpus[j][t] : sol.gpus_used[j]) * m.pools[j].kw_per_gpu;
      }
      sol.power_over_kw[s] = std::max(sol.power_over_kw[s], kw - m.sites[s].power_cap_it_kw);
    }
  }
  sol.objective -= correction;
  sol.bound -= correction;
  sol.gap = mip_relative_gap(sol.objective, sol.bound);
  if (sol.proven_optimal) {
    sol.status = sol.gap <= 0.0 ? "optimal" : "optimal within a gap of " + gap_text(sol.gap);
  } else {
    sol.status = "time limit of " + limit_text + " reached; best allocation found is within " + gap_text(sol.gap) + " of optimal";
  }
  return sol;
}

fleet_solution solve_fleet_shortfall(const fleet_model& m, const fleet_solve_options& o) {
  // Lexicographic, in stages, rather than one solve with a penalty price per kW or GPU over:
  // a penalty dominates the cost only if it exceeds any cost difference an allocation could
  // make, which depends on the prices, and a huge coefficient beside USD-sized ones strains the
  // solvers' tolerances. Each stage caps the total the stage before found (a little slack for
  // the solvers' feasibility tolerance), so its solution stays feasible for the next.
  const auto start = std::chrono::steady_clock::now();
  auto slack = [](double v) { return v + 1e-6 * std::max(1.0, v); };
  fleet_solve_options s = o;
  s.soft_power_caps = true;
  s.soft_gpu_limits = false;
  s.goal = fleet_goal::min_power_over;
  fleet_solution first = solve_fleet(m, s);
  if (!first.solved && first.outcome == mip_outcome::infeasible) {
    s.soft_gpu_limits = true;
    s.goal = fleet_goal::min_gpus_over;
    first = solve_fleet(m, s);
    if (!first.solved) {
      if (first.outcome == mip_outcome::infeasible) {
        first.status = "infeasible even with the power caps and GPU limits lifted: a class has no configuration";
      }
      return first;
    }
    s.gpus_over_max = slack(first.objective);
    s.goal = fleet_goal::min_power_over;
    fleet_solution second = solve_fleet(m, s);
    if (second.solved) first = std::move(second);
  }
  if (!first.solved) return first;
  // Of the splits between sites with the least total, the one that stretches each cap least
  // (sum of kW over / cap): the least-total stage alone picks an arbitrary one (all 57 MW of the
  // 120T/day llama-3.1-70b example on singapore's 20 MW cap rather than riyadh-sa's 100). The
  // cost stage then holds each site to that split. Capping only the total, so that the cost
  // stage could move the kW between sites, was tried: the coupled problem is hard for the
  // solvers (CBC 4.8 s on that example, and over 6 minutes in an -O1 sanitizer build whose
  // slightly different numbers gave it another tree), so its time had no bound. Held per site,
  // each solve is as quick as a plain one (0.7 s in all on that example).
  double over_kw = 0.0;
  for (double k : first.power_over_kw) over_kw += k;
  if (over_kw > 0.0) {
    s.power_over_max_kw = slack(over_kw);
    s.goal = fleet_goal::min_power_over_share;
    fleet_solution spread = solve_fleet(m, s);
    if (spread.solved) first = std::move(spread);
  }
  s.power_over_site_max_kw.assign(m.sites.size(), 0.0);
  for (std::size_t k = 0; k < m.sites.size(); ++k) s.power_over_site_max_kw[k] = slack(first.power_over_kw[k]);
  s.goal = fleet_goal::min_cost;
  fleet_solution last = solve_fleet(m, s);
  fleet_solution& out = last.solved ? last : first;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::move(out);
}

}  // namespace tokenplan
