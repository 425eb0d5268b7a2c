// Fitting the calibration factors (per GPU family, per serving engine) by robust
// Levenberg-Marquardt on log errors, from fixed priors, and leave-one-source-out refits.
#include "validate/validation.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <set>
#include <thread>

namespace tokenplan {

namespace {

/// One fitted factor: where it lives, its bounds, and the prior it is pulled towards.
struct parameter {
  std::string name;
  std::string owner;  ///< family or engine name
  int field;          ///< index into efficiency_factors (0..9), or -1 for an engine factor
  double lo, hi, prior, sigma;
};

double get(const calibration& c, const parameter& p) {
  if (p.field < 0) return c.engines.at(p.owner);
  const efficiency_factors& f = c.families.at(p.owner);
  const double v[] = {f.gemm, f.hbm, f.layer_overhead_s, f.step_overhead_s, f.alltoall_latency_s, f.moe_overlap,
                      f.expert_imbalance, f.sequence_overhead_s, f.allreduce_latency_s, f.allreduce_efficiency};
  return v[p.field];
}

void set(calibration& c, const parameter& p, double x) {
  if (p.field < 0) {
    c.engines[p.owner] = x;
    return;
  }
  efficiency_factors& f = c.families[p.owner];
  double* v[] = {&f.gemm, &f.hbm, &f.layer_overhead_s, &f.step_overhead_s, &f.alltoall_latency_s, &f.moe_overlap,
                 &f.expert_imbalance, &f.sequence_overhead_s, &f.allreduce_latency_s, &f.allreduce_efficiency};
  *v[p.field] = x;
}

/// Solves A x = b for a small dense symmetric system by Gaussian elimination with pivoting.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const std::size_t n = b.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < n; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    }
    std::swap(a[c], a[piv]);
    std::swap(b[c], b[piv]);
    if (std::fabs(a[c][c]) < 1e-300) a[c][c] = 1e-300;
    for (std::size_t r = c + 1; r < n; ++r) {
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (std::size_t c = n; c-- > 0;) {
    double s = b[c];
    for (std::size_t k = c + 1; k < n; ++k) s -= a[c][k] * x[k];
    x[c] = s / a[c][c];
  }
  return x;
}

}  // namespace

bool factor_value(const calibration& cal, const std::string& name, double* value) {
  static const char* const fields[] = {"gemm", "hbm", "layer_overhead_us", "step_overhead_us", "alltoall_latency_us",
                                       "moe_overlap", "expert_imbalance", "sequence_overhead_us", "allreduce_latency_us",
                                       "allreduce_efficiency"};
  const std::size_t dot = name.find('.');
  if (dot == std::string::npos) return false;
  const std::string owner = name.substr(0, dot), field = name.substr(dot + 1);
  if (owner == "engine") {
    auto it = cal.engines.find(field);
    if (it == cal.engines.end()) return false;
    *value = it->second;
    return true;
  }
  if (!cal.families.count(owner)) return false;
  for (int k = 0; k < 10; ++k) {
    if (field != fields[k]) continue;
    *value = get(cal, parameter{name, owner, k, 0, 0, 0, 0});
    return true;
  }
  return false;
}

calibration prior_calibration(const calibration& cal) {
  calibration c = cal;
  if (!cal.has_priors) return c;
  for (auto& kv : c.families) kv.second = cal.family_prior;
  for (auto& kv : c.engines) kv.second = kv.first == cal.reference_engine ? 1.0 : cal.engine_prior;
  return c;
}

fit_result fit_calibration(predictor& pred, const calibration& start_file, const fit_options& opt) {
  fit_result out;
  const calibration start = prior_calibration(start_file);
  // Which families and engines the fitted points touch, from how many source groups and GPU types.
  std::map<std::string, int> fam_points, eng_points, fam_moe;
  std::map<std::string, std::set<std::string>> fam_groups, fam_moe_groups, eng_gpus;
  std::vector<std::size_t> rows;
  pred.set_calibration(start);
  for (std::size_t i = 0; i < pred.size(); ++i) {
    point_result r = pred.predict(i);
    if (!r.point->fit || pred.family(i).empty()) continue;
    if (!opt.exclude_group.empty() && r.point->source_group == opt.exclude_group) continue;
    if (!start.families.count(pred.family(i))) continue;
    rows.push_back(i);
    fam_points[pred.family(i)]++;
    fam_groups[pred.family(i)].insert(r.point->source_group);
    eng_points[pred.engine(i)]++;
    eng_gpus[pred.engine(i)].insert(r.point->gpu);
    if (r.predicted && r.best.cfg.main.lay.ep > 1) {
      fam_moe[pred.family(i)]++;
      fam_moe_groups[pred.family(i)].insert(r.point->source_group);
    }
  }
  // Identification: at least two fitted points per factor, from more than one source, or the
  // factor stays at its prior.
  constexpr int family_min_points = 14, moe_min_points = 6, engine_min_points = 4;
  // Bounds and priors: physical ranges, centred on the documented initial estimates.
  std::vector<parameter> ps;
  for (const auto& kv : start.families) {
    const std::string& f = kv.first;
    const int n = fam_points.count(f) ? fam_points[f] : 0;
    if (n < family_min_points || fam_groups[f].size() < 2) {
      out.held.push_back(f + ": " + std::to_string(n) + " fitted point(s) from " + std::to_string(fam_groups[f].size()) +
                         " source(s); its factors need " + std::to_string(family_min_points) + " from two or more");
      out.held_families.push_back(f);
      continue;
    }
    const efficiency_factors& e = start.families.at(f);
    ps.push_back({f + ".gemm", f, 0, 0.25, 0.9, e.gemm, 0.15});
    ps.push_back({f + ".hbm", f, 1, 0.5, 0.95, e.hbm, 0.1});
    ps.push_back({f + ".layer_overhead_us", f, 2, 0.0, 300e-6, e.layer_overhead_s, 30e-6});
    ps.push_back({f + ".step_overhead_us", f, 3, 0.0, 6e-3, e.step_overhead_s, 1e-3});
    ps.push_back({f + ".sequence_overhead_us", f, 7, 0.0, 20e-6, e.sequence_overhead_s, 2e-6});
    ps.push_back({f + ".allreduce_latency_us", f, 8, 2e-6, 60e-6, e.allreduce_latency_s, 10e-6});
    ps.push_back({f + ".allreduce_efficiency", f, 9, 0.3, 1.0, e.allreduce_efficiency, 0.2});
    if (fam_moe[f] < moe_min_points || fam_moe_groups[f].size() < 2) {
      out.held.push_back(f + " expert-parallel factors: " + std::to_string(fam_moe[f]) + " expert-parallel point(s) from " +
                         std::to_string(fam_moe_groups[f].size()) + " source(s); they need " +
                         std::to_string(moe_min_points) + " from two or more");
    } else {
      ps.push_back({f + ".alltoall_latency_us", f, 4, 0.0, 300e-6, e.alltoall_latency_s, 30e-6});
      ps.push_back({f + ".moe_overlap", f, 5, 0.0, 1.0, e.moe_overlap, 0.25});
      ps.push_back({f + ".expert_imbalance", f, 6, 1.0, 2.5, e.expert_imbalance, 0.25});
    }
  }
  for (const auto& kv : start.engines) {
    if (kv.first == start.reference_engine) continue;
    const int n = eng_points.count(kv.first) ? eng_points[kv.first] : 0;
    if (n < engine_min_points || eng_gpus[kv.first].size() < 2) {
      out.held.push_back("engine." + kv.first + ": " + std::to_string(n) + " fitted point(s) on " +
                         std::to_string(eng_gpus[kv.first].size()) + " GPU type(s); it needs " +
                         std::to_string(engine_min_points) + " on two or more");
      continue;
    }
    ps.push_back({"engine." + kv.first, kv.first, -1, 0.4, 3.0, kv.second, 0.3});
  }
  for (const parameter& p : ps) {
    out.parameters.push_back(p.name);
    const std::size_t n = p.field < 0 ? eng_points[p.owner] : fam_points[p.owner];
    out.factors.push_back({p.name, 0.0, p.prior, n});
  }

  // A family too thinly measured to fit borrows the factors of the family fitted on the most
  // points: a measured GPU's achieved fractions and host overheads are a closer guess for an
  // unmeasured one than the hand-set priors (leave-one-source-out: 28 points predicted from the
  // priors were off by a median 68%, against 14% for fitted families). Expert-parallel factors
  // likewise, where the donor fits its own. Borrowed throughout the fit, so the factors fitted
  // beside them (an engine's, say) see the held family as it will be shipped.
  std::string donor;
  int donor_points = 0;
  for (const auto& kv : start.families) {
    const std::string& f = kv.first;
    const bool held = std::find(out.held_families.begin(), out.held_families.end(), f) != out.held_families.end();
    const int n = fam_points.count(f) ? fam_points[f] : 0;
    if (!held && n > donor_points) {
      donor = f;
      donor_points = n;
    }
  }
  const bool donor_ep = !donor.empty() && fam_moe[donor] >= moe_min_points && fam_moe_groups[donor].size() >= 2;
  // A family that borrows base factors, with how its GPUs compare to the donor's on the same
  // published microbenchmarks (GEMM and HBM ratios; 1 where either family has none).
  struct base_borrow {
    std::string family;
    double gemm_ratio = 1.0, hbm_ratio = 1.0;
  };
  std::vector<base_borrow> borrow_base;
  std::vector<std::string> borrow_ep;
  for (const auto& kv : start.families) {
    const std::string& f = kv.first;
    if (donor.empty() || f == donor) continue;
    const bool held = std::find(out.held_families.begin(), out.held_families.end(), f) != out.held_families.end();
    const bool ep_held = fam_moe[f] < moe_min_points || fam_moe_groups[f].size() < 2;
    if (held) {
      base_borrow b;
      b.family = f;
      std::string how = f + ": base factors from " + donor + " (fitted on " + std::to_string(donor_points) + " points)";
      const auto mf = start.microbenchmarks.find(f), md = start.microbenchmarks.find(donor);
      if (mf != start.microbenchmarks.end() && md != start.microbenchmarks.end()) {
        b.gemm_ratio = mf->second.gemm / md->second.gemm;
        b.hbm_ratio = mf->second.hbm / md->second.hbm;
        char ratios[96];
        std::snprintf(ratios, sizeof ratios, ", GEMM x %.3f and HBM x %.3f (the families' microbenchmarks)",
                      b.gemm_ratio, b.hbm_ratio);
        how += ratios;
      }
      borrow_base.push_back(b);
      out.borrowed.push_back(how);
    }
    if ((held || ep_held) && donor_ep) {
      borrow_ep.push_back(f);
      out.borrowed.push_back(f + ": expert-parallel factors from " + donor);
    }
  }
  auto borrow = [&](calibration& c) {
    if (donor.empty()) return;
    const efficiency_factors d = c.families.at(donor);
    for (const base_borrow& b : borrow_base) {
      efficiency_factors& e = c.families.at(b.family);
      // A measured family's achieved fractions, scaled by how the two families' GPUs compare on
      // the same published microbenchmarks (where both have them): CDNA 3 reaches a smaller share
      // of its datasheet than Hopper in the same FP8 GEMM and stream copy.
      e.gemm = std::min(1.0, d.gemm * b.gemm_ratio);
      e.hbm = std::min(1.0, d.hbm * b.hbm_ratio);
      e.layer_overhead_s = d.layer_overhead_s;
      e.step_overhead_s = d.step_overhead_s;
      e.sequence_overhead_s = d.sequence_overhead_s;
      e.allreduce_latency_s = d.allreduce_latency_s;
      e.allreduce_efficiency = d.allreduce_efficiency;
    }
    for (const std::string& f : borrow_ep) {
      efficiency_factors& e = c.families.at(f);
      e.alltoall_latency_s = d.alltoall_latency_s;
      e.moe_overlap = d.moe_overlap;
      e.expert_imbalance = d.expert_imbalance;
    }
  };
  // What borrows is not held at its prior: the held list keeps only what stays there.
  std::vector<std::string> still_held;
  for (const std::string& h : out.held) {
    bool lent = false;
    for (const base_borrow& b : borrow_base) lent = lent || h.rfind(b.family + ": ", 0) == 0;
    for (const std::string& f : borrow_ep) lent = lent || h.rfind(f + " expert-parallel factors: ", 0) == 0;
    if (!lent) still_held.push_back(h);
  }
  for (const base_borrow& b : borrow_base) {
    if (std::find(borrow_ep.begin(), borrow_ep.end(), b.family) == borrow_ep.end()) {
      still_held.push_back(b.family + " expert-parallel factors: at their priors (" + donor + ", whose base factors " +
                           b.family + " borrows, fitted none of its own)");
    }
  }
  out.held = still_held;

  calibration cur = start;
  std::vector<double> theta(ps.size());
  for (std::size_t j = 0; j < ps.size(); ++j) theta[j] = get(cur, ps[j]);

  std::vector<double> weights(rows.size(), 1.0);
  auto residuals = [&](const std::vector<double>& th, bool update_weights) {
    calibration c = start;
    for (std::size_t j = 0; j < ps.size(); ++j) set(c, ps[j], th[j]);
    borrow(c);
    pred.set_calibration(c);
    std::vector<double> r;
    r.reserve(rows.size() + ps.size());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      point_result pr = pred.predict(rows[k], true);
      const double e = pr.predicted ? pr.log_ratio : 3.0;  // no feasible configuration: a large miss
      if (update_weights) weights[k] = std::fabs(e) <= opt.huber_delta ? 1.0 : std::sqrt(opt.huber_delta / std::fabs(e));
      r.push_back(weights[k] * e);
    }
    for (std::size_t j = 0; j < ps.size(); ++j) r.push_back(opt.prior_weight * (th[j] - ps[j].prior) / ps[j].sigma);
    return r;
  };
  auto cost = [](const std::vector<double>& r) {
    double s = 0;
    for (double x : r) s += x * x;
    return 0.5 * s;
  };

  {
    calibration c = start;
    borrow(c);
    pred.set_calibration(c);
  }
  pred.refresh_shortlists();
  std::vector<double> r = residuals(theta, true);
  double c0 = cost(r);
  double lambda = 1e-2;
  int it = 0;
  bool converged = false;
  for (; it < opt.max_iterations && !ps.empty() && !converged; ++it) {
    // Jacobian by forward differences, steps of 2% of each range: predictions move in steps
    // (the best batch size is discrete), so tiny steps would see flat ground.
    std::vector<std::vector<double>> jac(r.size(), std::vector<double>(ps.size()));
    for (std::size_t j = 0; j < ps.size(); ++j) {
      std::vector<double> th = theta;
      double h = 0.02 * (ps[j].hi - ps[j].lo);
      if (th[j] + h > ps[j].hi) h = -h;
      th[j] += h;
      std::vector<double> rj = residuals(th, false);
      for (std::size_t k = 0; k < r.size(); ++k) jac[k][j] = (rj[k] - r[k]) / h;
    }
    std::vector<std::vector<double>> jtj(ps.size(), std::vector<double>(ps.size(), 0.0));
    std::vector<double> jtr(ps.size(), 0.0);
    for (std::size_t k = 0; k < r.size(); ++k) {
      for (std::size_t a = 0; a < ps.size(); ++a) {
        jtr[a] += jac[k][a] * r[k];
        for (std::size_t b = 0; b < ps.size(); ++b) jtj[a][b] += jac[k][a] * jac[k][b];
      }
    }
    bool improved = false;
    for (int tries = 0; tries < 8 && !improved; ++tries) {
      std::vector<std::vector<double>> a = jtj;
      std::vector<double> b(ps.size());
      for (std::size_t j = 0; j < ps.size(); ++j) {
        a[j][j] += lambda * (jtj[j][j] + 1e-9);
        b[j] = -jtr[j];
      }
      std::vector<double> step = solve(a, b);
      std::vector<double> th = theta;
      for (std::size_t j = 0; j < ps.size(); ++j) th[j] = std::min(ps[j].hi, std::max(ps[j].lo, th[j] + step[j]));
      std::vector<double> rn = residuals(th, false);
      const double cn = cost(rn);
      if (cn < c0) {
        const double gain = (c0 - cn) / std::max(c0, 1e-12);
        theta = th;
        residuals(theta, false);
        pred.refresh_shortlists();   // full search at the accepted factors
        r = residuals(theta, true);  // re-weight (robust) at the new point
        c0 = cost(r);
        lambda = std::max(1e-6, lambda / 3.0);
        improved = true;
        if (gain < 1e-5) converged = true;
      } else {
        lambda *= 4.0;
      }
    }
    if (!improved) break;
  }
  for (std::size_t j = 0; j < ps.size(); ++j) {
    set(cur, ps[j], theta[j]);
    out.factors[j].value = theta[j];
  }
  borrow(cur);
  pred.set_calibration(cur);
  out.cal = cur;
  out.objective = c0;
  out.iterations = it;
  return out;
}

std::vector<point_result> leave_one_source_out(const std::vector<validation_point>& points, const config_roots& roots,
                                               const calibration& cal, const fit_options& opt, int threads,
                                               std::vector<fold_result>* folds) {
  std::vector<point_result> out(points.size());
  std::vector<std::string> groups;
  {
    predictor pred(points, roots, cal);
    std::vector<point_result> base = pred.predict_all();
    std::set<std::string> seen;
    for (std::size_t i = 0; i < points.size(); ++i) {
      out[i] = base[i];
      if (base[i].predicted && seen.insert(points[i].source_group).second) groups.push_back(points[i].source_group);
    }
  }
  std::sort(groups.begin(), groups.end());
  std::vector<fold_result> fold(groups.size());
  std::atomic<std::size_t> next{0};
  auto work = [&]() {
    predictor pred(points, roots, cal);  // each thread its own problems and shortlists
    for (std::size_t k = next++; k < groups.size(); k = next++) {
      fit_options o = opt;
      o.exclude_group = groups[k];
      fold[k].group = groups[k];
      fold[k].fit = fit_calibration(pred, cal, o);
      pred.set_calibration(fold[k].fit.cal);
      for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].source_group != groups[k] || !out[i].predicted) continue;
        point_result r = pred.predict(i);
        r.point = &points[i];
        const std::vector<std::string>& held = fold[k].fit.held_families;
        r.family_unfitted = std::find(held.begin(), held.end(), pred.family(i)) != held.end();
        out[i] = r;
        ++fold[k].points;
      }
    }
  };
  const int n = std::max(1, threads);
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (folds) *folds = std::move(fold);
  return out;
}

}  // namespace tokenplan
