// tokenplan sweep: matrix files, the scenarios they expand to, one planner run per scenario, and
// the row files (JSON Lines or CSV) that a sweep appends to and resumes from.
#include "sweep/sweep.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/errors.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"
#include "base/sha256.hpp"
#include "base/text.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

namespace {

/// The shortest text that reads back as x, without the locale: 1e+12, 0.8, 30.
std::string shortest(double x) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

bool looks_like_path(const std::string& arg) {
  return arg.find('/') != std::string::npos || (arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".json") == 0);
}

/// A name or path of the matrix (at JSON path `where`): a path relative to the matrix file, or
/// a shipped name of `kind` ("models", "workloads", ...).
std::string resolve_ref(const std::string& file, const std::string& where, const std::string& arg,
                        const std::string& kind, const fs::path& base, const config_roots& roots) {
  if (arg.empty()) throw config_error(file, where, "expected a non-empty string");
  if (looks_like_path(arg)) {
    fs::path p = fs::path(arg).is_absolute() ? fs::path(arg) : base / arg;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) throw config_error(file, where, "file \"" + p.string() + "\" does not exist");
    return p.string();
  }
  std::string found = roots.find(kind, arg);
  if (found.empty()) {
    std::vector<std::string> known = catalog_names(roots.dirs(kind));
    throw config_error(file, where, "unknown " + kind.substr(0, kind.size() - 1) + " \"" + arg + "\"" +
                                        did_you_mean(arg, known) + (known.empty() ? "" : "; shipped: " + quoted_list(known)));
  }
  return found;
}

/// The elements of a non-empty array at `key`, each with its JSON path.
std::vector<std::pair<const json*, std::string>> elements(field_reader& r, const std::string& key) {
  const json& v = r.raw(key);
  if (!v.is_array()) r.fail(key, "expected a non-empty array, found " + describe_json(v));
  if (v.empty()) r.fail(key, "expected at least one element, found an empty array");
  std::vector<std::pair<const json*, std::string>> out;
  for (std::size_t i = 0; i < v.size(); ++i) out.emplace_back(&v[i], r.child_path(key) + "[" + std::to_string(i) + "]");
  return out;
}

/// A string element of an axis of names.
std::string string_element(const std::string& file, const std::pair<const json*, std::string>& e) {
  if (!e.first->is_string()) throw config_error(file, e.second, "expected a name or a path, found " + describe_json(*e.first));
  return e.first->get<std::string>();
}

/// Rejects an axis value whose label repeats an earlier one: two rows would share a key.
void check_unique(const std::string& file, const std::string& where, const std::string& label,
                  std::set<std::string>& seen) {
  if (!seen.insert(label).second) {
    throw config_error(file, where, "duplicate value \"" + label + "\": every scenario needs its own key");
  }
}

std::vector<matrix_ref> read_refs(field_reader& r, const std::string& key, const std::string& kind, const fs::path& base,
                                  const config_roots& roots) {
  std::vector<matrix_ref> out;
  std::set<std::string> seen;
  for (const auto& e : elements(r, key)) {
    matrix_ref ref;
    ref.label = string_element(r.file(), e);
    check_unique(r.file(), e.second, ref.label, seen);
    ref.path = resolve_ref(r.file(), e.second, ref.label, kind, base, roots);
    out.push_back(ref);
  }
  return out;
}

constexpr number_range price_range = {0.0, 10000.0, false};  // as a site's usd_per_gpu_hour
constexpr number_range scale_range = {0.0, 100.0, true};

}  // namespace

sweep_matrix load_matrix(const std::string& path, const config_roots& roots) {
  sweep_matrix m;
  m.file = read_input_file(path);
  json j = parse_json(m.file);
  field_reader r(j, path, "$");
  m.name = r.string("name");
  for (char c : m.name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      r.fail("name", "names may hold letters, digits, '-', '_' and '.', found \"" + m.name + "\"");
    }
  }
  m.description = r.string_or("description", "");
  const std::string goal = r.string_or("objective", "cost");
  if (!parse_objective(goal, &m.goal)) {
    r.fail("objective", "expected \"cost\", \"gpus\" or \"tokens-per-gpu\", found \"" + goal + "\"" +
                            did_you_mean(goal, {"cost", "gpus", "tokens-per-gpu"}));
  }
  m.engine = r.string_or("engine", "");
  const fs::path base = fs::path(path).parent_path();
  r.allow("grid");
  if (r.has("grid")) m.grid_path = resolve_ref(path, r.child_path("grid"), r.string("grid"), "grids", base, roots);
  m.clusters = read_refs(r, "clusters", "clusters", base, roots);
  m.models = read_refs(r, "models", "models", base, roots);
  m.workloads = read_refs(r, "workloads", "workloads", base, roots);

  r.allow("gpus");
  if (r.has("gpus")) {
    std::set<std::string> seen;
    for (const auto& e : elements(r, "gpus")) {
      matrix_gpu g;
      std::string arg;
      if (e.first->is_string()) {
        arg = g.label = e.first->get<std::string>();
        g.path = resolve_ref(path, e.second, arg, "gpus", base, roots);
      } else if (e.first->is_object()) {
        field_reader o(*e.first, path, e.second);
        arg = o.string("gpu");
        g.path = resolve_ref(path, o.child_path("gpu"), arg, "gpus", base, roots);
        g.has_price = o.has("usd_per_gpu_hour");
        g.usd_per_gpu_hour = o.number_or("usd_per_gpu_hour", 0.0, price_range);
        g.label = o.string_or("label", g.has_price ? arg + "@" + shortest(g.usd_per_gpu_hour) : arg);
        o.finish();
      } else {
        throw config_error(path, e.second,
                           "expected a GPU name, a path or {\"gpu\", \"usd_per_gpu_hour\", \"label\"}, found " +
                               describe_json(*e.first));
      }
      check_unique(path, e.second, g.label, seen);
      m.gpus.push_back(g);
    }
  }

  r.allow("prices");
  if (r.has("prices")) {
    std::set<std::string> seen;
    for (const auto& e : elements(r, "prices")) {
      matrix_price p;
      if (e.first->is_number()) {
        const double x = e.first->get<double>();
        if (!(x > scale_range.lo && x <= scale_range.hi)) {
          throw config_error(path, e.second, "expected a price scale > 0 and <= 100, found " + format_number(x));
        }
        p.scale = x;
        p.label = "x" + shortest(x);
      } else if (e.first->is_object()) {
        field_reader o(*e.first, path, e.second);
        p.label = o.string("label");
        p.scale = o.number_or("scale", 1.0, scale_range);
        o.allow("usd_per_gpu_hour");
        if (o.has("usd_per_gpu_hour")) {
          const json& v = o.raw("usd_per_gpu_hour");
          if (v.is_number()) {
            p.has_all = true;
            p.all_usd_per_gpu_hour = o.number("usd_per_gpu_hour", price_range);
          } else if (v.is_object()) {
            field_reader sites = o.object("usd_per_gpu_hour");
            if (v.empty()) sites.fail_here("expected at least one site");
            for (auto it = v.begin(); it != v.end(); ++it) {
              if (it.key() == "source" || it.key() == "sources") continue;
              p.per_site_usd_per_gpu_hour[it.key()] = sites.number(it.key(), price_range);
            }
          } else {
            o.fail("usd_per_gpu_hour", "expected a price for every site or {\"site\": price, ...}, found " + describe_json(v));
          }
        }
        if (!o.has("scale") && !o.has("usd_per_gpu_hour")) {
          o.fail_here("give \"scale\", \"usd_per_gpu_hour\" or both");
        }
        o.finish();
      } else {
        throw config_error(path, e.second,
                           "expected a scale (number) or {\"label\", \"scale\", \"usd_per_gpu_hour\"}, found " +
                               describe_json(*e.first));
      }
      check_unique(path, e.second, p.label, seen);
      m.prices.push_back(p);
    }
  }

  r.allow("tokens_per_day");
  if (r.has("tokens_per_day")) {
    std::set<std::string> seen;
    for (const auto& e : elements(r, "tokens_per_day")) {
      // The workload loader's range (min_tokens_per_day, max_tokens_per_day).
      const std::string want = "expected a number >= " + format_number(min_tokens_per_day) + " and <= " +
                               format_number(max_tokens_per_day) + ", found ";
      if (!e.first->is_number()) throw config_error(path, e.second, want + describe_json(*e.first));
      const double x = e.first->get<double>();
      if (!(x >= min_tokens_per_day && x <= max_tokens_per_day)) throw config_error(path, e.second, want + format_number(x));
      check_unique(path, e.second, shortest(x), seen);
      m.tokens_per_day.push_back(x);
    }
  }
  r.finish();
  return m;
}

std::vector<sweep_scenario> expand_matrix(const sweep_matrix& m) {
  std::vector<sweep_scenario> out;
  const std::size_t none = sweep_scenario::none;
  auto axis = [&](std::size_t n) { return n == 0 ? std::vector<std::size_t>{none} : [n] {
    std::vector<std::size_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = i;
    return v;
  }(); };
  for (std::size_t c : axis(m.clusters.size())) {
    for (std::size_t g : axis(m.gpus.size())) {
      for (std::size_t p : axis(m.prices.size())) {
        for (std::size_t mo : axis(m.models.size())) {
          for (std::size_t w : axis(m.workloads.size())) {
            for (std::size_t t : axis(m.tokens_per_day.size())) {
              sweep_scenario s;
              s.index = out.size();
              s.cluster = c;
              s.gpu = g;
              s.price = p;
              s.model = mo;
              s.workload = w;
              s.target = t;
              s.key = "cluster=" + m.clusters[c].label + "|gpu=" + (g == none ? "-" : m.gpus[g].label) +
                      "|price=" + (p == none ? "-" : m.prices[p].label) + "|model=" + m.models[mo].label +
                      "|workload=" + m.workloads[w].label +
                      "|tokens_per_day=" + (t == none ? "-" : shortest(m.tokens_per_day[t]));
              out.push_back(std::move(s));
            }
          }
        }
      }
    }
  }
  return out;
}

// ---- running scenarios ------------------------------------------------------------------------

struct sweep_runner::loaded {
  calibration cal;
  std::vector<cluster_entry> clusters;
  std::vector<gpu_entry> gpus;
  std::vector<model_entry> models;
  std::vector<grid_request> grids;  ///< per model
  std::vector<workload_entry> workloads;
  std::vector<std::string> engines;  ///< per workload
};

sweep_runner::sweep_runner(const sweep_matrix& m, const sweep_settings& s) : m_(m), s_(s), in_(std::make_unique<loaded>()) {
  loaded& in = *in_;
  in.cal = load_calibration(s.calibration_path);
  for (const matrix_ref& c : m.clusters) {
    std::vector<std::string> dirs = s.gpu_dirs.empty() ? default_roots(c.path).dirs("gpus") : s.gpu_dirs;
    in.clusters.push_back(load_cluster(c.path, dirs, in.cal));
  }
  for (const matrix_gpu& g : m.gpus) in.gpus.push_back(load_gpu(g.path, in.cal));
  for (const matrix_ref& x : m.models) {
    in.models.push_back(load_model(x.path));
    in.grids.push_back(m.grid_path.empty() ? default_grid(in.models.back().spec) : load_grid(m.grid_path, in.models.back().spec));
  }
  if (!m.engine.empty() && !in.cal.engines.count(m.engine)) {
    std::vector<std::string> names;
    for (const auto& kv : in.cal.engines) names.push_back(kv.first);
    throw config_error(m.file.path, "$.engine", "unknown engine \"" + m.engine + "\"" + did_you_mean(m.engine, names) +
                                                    "; " + in.cal.file.path + " knows " + quoted_list(names));
  }
  for (const matrix_ref& x : m.workloads) {
    in.workloads.push_back(load_workload(x.path));
    in.engines.push_back(resolve_engine(in.cal, in.workloads.back(), m.engine));
    for (const grid_request& g : in.grids) check_draft_axis(g, in.workloads.back());
  }
  // A per-site price must name a site of some cluster of the matrix (a typo would silently price nothing).
  std::vector<std::string> site_names;
  for (const cluster_entry& c : in.clusters) {
    for (const site_entry& site : c.sites) site_names.push_back(site.name);
  }
  for (std::size_t i = 0; i < m.prices.size(); ++i) {
    for (const auto& kv : m.prices[i].per_site_usd_per_gpu_hour) {
      if (std::find(site_names.begin(), site_names.end(), kv.first) == site_names.end()) {
        bool plain = !kv.first.empty();
        for (char ch : kv.first) plain = plain && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
        const std::string key = plain ? "." + kv.first : "[\"" + kv.first + "\"]";
        throw config_error(m.file.path, "$.prices[" + std::to_string(i) + "].usd_per_gpu_hour" + key,
                           "site \"" + kv.first + "\" is in none of the matrix's clusters" +
                               did_you_mean(kv.first, site_names) + "; sites: " + quoted_list(site_names));
      }
    }
  }
}

sweep_runner::~sweep_runner() = default;

const std::vector<std::string>& sweep_columns() {
  static const std::vector<std::string> cols = {
      "schema_version", "scenario", "index", "cluster", "gpu_override", "price", "model", "workload", "tokens_per_day",
      "status", "why_not", "site", "gpu", "mode", "layout", "tp", "pp", "ep", "dp", "prefill_tp", "prefill_pp",
      "prefill_ep", "prefill_dp", "weight_precision", "kv_precision", "draft_tokens",
      "chunk_tokens_per_rank", "batch_per_rank", "tpot_ms", "ttft_ms", "tokens_per_s_per_gpu", "gpus", "gpus_billed",
      "nodes", "cost_usd_per_day", "usd_per_million_tokens", "it_power_mw", "facility_power_mw",
      "gpus_of_type_in_cluster", "shortfall_gpus", "enough", "binding_constraint", "grid_size",
      "feasible_configurations", "matrix_sha256", "inputs_sha256", "elapsed_s"};
  return cols;
}

namespace {

/// The configuration's layouts: "t1p2", or "t1e16d16|t1e8d16" for prefill|decode pools, "+sN"
/// with N speculative draft tokens.
std::string layout_text(const serving_config& c) {
  std::string s = c.mode == mode_disaggregated ? layout_code(c.prefill.lay) + "|" + layout_code(c.main.lay)
                                               : layout_code(c.main.lay);
  if (c.draft > 0) s += "+s" + std::to_string(c.draft);
  return s;
}

std::uint8_t dominant_reason(const search_stats& s) {
  std::uint8_t best = reason_parallelism;
  for (std::uint8_t k = reason_parallelism; k < reason_count; ++k) {
    if (s.counts[k] > s.counts[best]) best = k;
  }
  return best;
}

}  // namespace

ojson sweep_runner::run(const sweep_scenario& sc) {
  const auto start = std::chrono::steady_clock::now();
  const loaded& L = *in_;
  ojson row;
  for (const std::string& c : sweep_columns()) row[c] = nullptr;
  row["schema_version"] = sweep_schema_version;
  row["scenario"] = sc.key;
  row["index"] = sc.index;
  row["cluster"] = m_.clusters[sc.cluster].label;
  if (sc.gpu != sweep_scenario::none) row["gpu_override"] = m_.gpus[sc.gpu].label;
  if (sc.price != sweep_scenario::none) row["price"] = m_.prices[sc.price].label;
  row["model"] = m_.models[sc.model].label;
  row["workload"] = m_.workloads[sc.workload].label;
  row["matrix_sha256"] = m_.file.sha256;

  plan_inputs in;
  in.cal = L.cal;
  in.cluster = L.clusters[sc.cluster];
  if (sc.gpu != sweep_scenario::none) {
    // Every site gets the GPU type (same counts, node size and network); offers only matter to
    // the fleet allocation, which a sweep row does not run.
    const matrix_gpu& g = m_.gpus[sc.gpu];
    in.cluster.gpus = {L.gpus[sc.gpu]};
    in.cluster.offers.clear();
    for (site_entry& site : in.cluster.sites) {
      site.gpu_index = 0;
      site.gpu = in.cluster.gpus[0].name;
      if (g.has_price) site.usd_per_gpu_hour = g.usd_per_gpu_hour;
    }
  }
  if (sc.price != sweep_scenario::none) {
    const matrix_price& p = m_.prices[sc.price];
    for (site_entry& site : in.cluster.sites) {
      if (p.has_all) site.usd_per_gpu_hour = p.all_usd_per_gpu_hour;
      auto it = p.per_site_usd_per_gpu_hour.find(site.name);
      if (it != p.per_site_usd_per_gpu_hour.end()) site.usd_per_gpu_hour = it->second;
      site.usd_per_gpu_hour *= p.scale;
    }
  }
  in.model = L.models[sc.model];
  in.grid = L.grids[sc.model];
  in.workload = L.workloads[sc.workload];
  if (sc.target != sweep_scenario::none) in.workload.spec.tokens_per_day = m_.tokens_per_day[sc.target];
  in.engine = L.engines[sc.workload];
  in.goal = m_.goal;
  row["tokens_per_day"] = in.workload.spec.tokens_per_day;

  // What the row was computed from: every input file's digest, in a fixed order.
  std::string digests = in.cal.file.sha256 + in.cluster.file.sha256;
  for (const site_entry& site : in.cluster.sites) digests += in.cluster.gpus[site.gpu_index].file.sha256;
  digests += in.model.file.sha256 + in.workload.file.sha256 + in.grid.sha256;
  row["inputs_sha256"] = sha256_hex(digests);

  plan_request req;
  req.top_n = 1;
  req.backend = s_.backend;
  req.threads = s_.threads;
  req.chunk_configs = s_.chunk_configs;
  req.cancel = s_.cancel;
  plan_result r;
  try {
    r = run_plan(std::move(in), req);
  } catch (const config_error& e) {
    // The files load on their own but do not fit together in this scenario.
    row["status"] = "error";
    row["why_not"] = e.what();
    row["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return row;
  }
  row["grid_size"] = r.stats.grid_size;
  row["feasible_configurations"] = r.stats.counts[reason_feasible];
  if (r.top.empty()) {
    const std::uint8_t why = dominant_reason(r.stats);
    row["status"] = "infeasible";
    row["why_not"] = "no configuration meets every constraint; most are ruled out by " + std::string(reason_name(why)) +
                     " (" + group_digits(r.stats.counts[why]) + " of " + group_digits(r.stats.grid_size) + ")";
  } else {
    const evaluation& e = r.top.front();
    const metrics& mt = e.m;
    const site_entry& site = r.inputs.cluster.sites[e.cfg.site];
    const site_spec& ss = r.prob->sites[e.cfg.site];
    row["status"] = "feasible";
    row["site"] = site.name;
    row["gpu"] = site.gpu;
    row["mode"] = e.cfg.mode == mode_disaggregated ? "disaggregated" : "aggregated";
    row["layout"] = layout_text(e.cfg);
    // The parallelism as numbers too: of the decode pool when disaggregated (the prefill pool's
    // in prefill_*), of the one pool otherwise (prefill_* null).
    row["tp"] = e.cfg.main.lay.tp;
    row["pp"] = e.cfg.main.lay.pp;
    row["ep"] = e.cfg.main.lay.ep;
    row["dp"] = e.cfg.main.lay.dp;
    if (e.cfg.mode == mode_disaggregated) {
      row["prefill_tp"] = e.cfg.prefill.lay.tp;
      row["prefill_pp"] = e.cfg.prefill.lay.pp;
      row["prefill_ep"] = e.cfg.prefill.lay.ep;
      row["prefill_dp"] = e.cfg.prefill.lay.dp;
    }
    row["weight_precision"] = precision_name(e.cfg.wprec);
    row["kv_precision"] = precision_name(e.cfg.kvprec);
    row["draft_tokens"] = e.cfg.draft;
    row["chunk_tokens_per_rank"] = e.cfg.mode == mode_disaggregated ? e.cfg.prefill.chunk : e.cfg.main.chunk;
    row["batch_per_rank"] = e.cfg.main.batch;
    row["tpot_ms"] = mt.tpot_s * 1e3;
    row["ttft_ms"] = mt.ttft_s * 1e3;
    row["tokens_per_s_per_gpu"] = mt.tokens_per_s_per_gpu;
    row["gpus"] = as_count(mt.gpus);
    row["gpus_billed"] = as_count(mt.gpus_billed);
    row["nodes"] = as_count(mt.nodes);
    row["cost_usd_per_day"] = mt.cost_usd_per_day;
    row["usd_per_million_tokens"] = mt.usd_per_million_tokens;
    row["it_power_mw"] = mt.it_power_kw / 1e3;
    row["facility_power_mw"] = mt.facility_power_kw / 1e3;
    row["gpus_of_type_in_cluster"] = as_count(ss.type_gpus_available);
    row["shortfall_gpus"] = as_count(mt.shortfall_gpus);
    row["enough"] = mt.shortfall_gpus <= 0.0;
    row["binding_constraint"] = r.why.binding;
  }
  row["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return row;
}

// ---- row files ----------------------------------------------------------------------------

bool parse_sweep_format(const std::string& s, sweep_format* out) {
  if (s == "jsonl") *out = sweep_format::jsonl;
  else if (s == "csv") *out = sweep_format::csv;
  else return false;
  return true;
}

namespace {

/// Text of a field: newlines become spaces so that one row is one line in either format.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

std::string csv_field(const ojson& v) {
  if (v.is_null()) return "";
  if (!v.is_string()) return v.dump();  // numbers and booleans as JSON writes them: no locale
  const std::string s = one_line(v.get<std::string>());
  if (s.find_first_of(",\"") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' '))) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

/// Splits one CSV line (RFC 4180 quoting, no embedded newlines). False when the quoting is broken.
bool split_csv(const std::string& line, std::vector<std::string>* out) {
  out->clear();
  std::string cur;
  bool quoted = false, in_quotes = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        cur += c;
      }
    } else if (c == '"' && cur.empty() && !quoted) {
      in_quotes = quoted = true;
    } else if (c == ',') {
      out->push_back(cur);
      cur.clear();
      quoted = false;
    } else if (quoted) {
      return false;  // text after a closing quote
    } else {
      cur += c;
    }
  }
  if (in_quotes) return false;
  out->push_back(cur);
  return true;
}

std::string short_sha(const std::string& s) { return s.size() > 12 ? s.substr(0, 12) + "..." : s; }

}  // namespace

std::string sweep_row_text(const ojson& row, sweep_format f) {
  if (f == sweep_format::jsonl) {
    ojson clean = row;
    for (auto& kv : clean.items()) {
      if (kv.value().is_string()) kv.value() = one_line(kv.value().get<std::string>());
    }
    return clean.dump() + "\n";
  }
  std::string line;
  const std::vector<std::string>& cols = sweep_columns();
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (i) line += ',';
    auto it = row.find(cols[i]);
    line += it == row.end() ? std::string() : csv_field(*it);
  }
  return line + "\n";
}

std::string sweep_csv_header() {
  std::string line;
  for (const std::string& c : sweep_columns()) line += (line.empty() ? "" : ",") + c;
  return line + "\n";
}

sweep_existing scan_sweep_output(const std::string& path, sweep_format f, const std::string& matrix_sha256) {
  sweep_existing ex;
  std::error_code ec;
  if (!fs::exists(path, ec)) return ex;
  if (!fs::is_regular_file(path, ec)) throw config_error(path, "", "is not a regular file; --out needs a file to append rows to");
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw runtime_failure("cannot read " + path + ": " + std::strerror(errno));
    std::ostringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  // A last line without its newline is a row cut short (Ctrl-C twice, a crash, a full disk) only
  // when it starts like one of ours (the CSV header, a row after it, or a JSON object opening with the first column); anything
  // else is the user's file, which is refused, never cut.
  std::size_t keep = text.size();
  std::string partial;
  if (!text.empty() && text.back() != '\n') {
    keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
    partial = text.substr(keep);
    const std::string first = f == sweep_format::csv ? sweep_csv_header() : "{\"" + sweep_columns()[0] + "\":";
    const bool starts_like_ours = partial.size() >= first.size() ? partial.compare(0, first.size(), first) == 0
                                                                  : first.compare(0, partial.size(), partial) == 0;
    const bool ours = (f == sweep_format::csv && keep > 0) || starts_like_ours;
    if (!ours) {
      throw config_error(path, "line " + std::to_string(std::count(text.begin(), text.end(), '\n') + 1),
                         "not a row of tokenplan sweep (and not one cut short: no complete row or header before "
                         "it); write to a new --out file");
    }
    text.resize(keep);
  }
  const std::vector<std::string>& cols = sweep_columns();
  const std::string header = sweep_csv_header();
  std::size_t line_no = 0, pos = 0;
  std::vector<std::string> fields;
  std::size_t scenario_col = 0, sha_col = 0;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (cols[i] == "scenario") scenario_col = i;
    if (cols[i] == "matrix_sha256") sha_col = i;
  }
  auto other_matrix = [&](const std::string& where, const std::string& sha) {
    throw config_error(path, where, "the rows were written for another matrix (sha256 " + short_sha(sha) + ", this one " +
                                        short_sha(matrix_sha256) + "); write to a new --out file or delete this one");
  };
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::string where = "line " + std::to_string(line_no);
    if (f == sweep_format::csv) {
      if (line_no == 1) {
        if (line + "\n" != header) {
          throw config_error(path, where, "not the header of tokenplan sweep's CSV rows (schema " +
                                              std::string(sweep_schema_version) + "); write to a new --out file");
        }
        ex.needs_header = false;
        continue;
      }
      if (!split_csv(line, &fields) || fields.size() != cols.size()) {
        throw config_error(path, where, "not a row of " + std::to_string(cols.size()) + " CSV fields");
      }
      if (fields[sha_col] != matrix_sha256) other_matrix(where, fields[sha_col]);
      ex.done.insert(fields[scenario_col]);
      ++ex.rows;
      continue;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ojson row;
    try {
      row = ojson::parse(line);
    } catch (const ojson::exception&) {  // parse_error, or out_of_range for 1e400
      throw config_error(path, where, "not a JSON row of tokenplan sweep; write to a new --out file");
    }
    std::vector<std::string> keys;
    if (row.is_object()) {
      for (const auto& kv : row.items()) keys.push_back(kv.key());
    }
    if (keys != cols || !row["scenario"].is_string() || !row["matrix_sha256"].is_string()) {
      throw config_error(path, where, "not a row of tokenplan sweep (schema " + std::string(sweep_schema_version) +
                                          "): its keys differ; write to a new --out file");
    }
    if (row["matrix_sha256"] != matrix_sha256) other_matrix(where, row["matrix_sha256"].get<std::string>());
    ex.done.insert(row["scenario"].get<std::string>());
    ++ex.rows;
  }
  ex.needs_header = f == sweep_format::csv && ex.needs_header;
  if (!partial.empty()) {
    // Every complete line is ours (checked above): now the cut is safe.
    if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
      throw runtime_failure("cannot cut the partial last row of " + path + ": " + std::strerror(errno));
    }
    ex.dropped_partial_row = true;
  }
  return ex;
}

row_appender::row_appender(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw runtime_failure("cannot open " + path + " for appending: " + std::strerror(errno));
  // Two sweeps appending to one file would interleave their rows and both redo the same scenarios.
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    if (e == EWOULDBLOCK) throw usage_error(path + " is being written by another tokenplan sweep; wait for it or use another --out");
    throw runtime_failure("cannot lock " + path + ": " + std::strerror(e));
  }
}

row_appender::~row_appender() {
  if (fd_ >= 0) ::close(fd_);
}

void row_appender::append(const std::string& line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw runtime_failure("cannot write " + path_ + ": " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd_) != 0) throw runtime_failure("cannot sync " + path_ + ": " + std::strerror(errno));
}

}  // namespace tokenplan
