// Matrix files: load_matrix reads the axes (clusters, GPUs, prices, models, workloads, daily
// targets) and expand_matrix lists the scenarios they make, each with its stable key.
#include "sweep/sweep.hpp"

#include <cctype>
#include <charconv>
#include <filesystem>
#include <set>
#include <utility>

#include "base/errors.hpp"
#include "base/format.hpp"
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

/// A name or path of the matrix (at JSON path `where`): a path relative to the matrix file, or
/// a shipped name of `kind` ("models", "workloads", ...).
std::string resolve_ref(const std::string& file, const std::string& where, const std::string& arg,
                        const std::string& kind, const fs::path& base, const config_roots& roots) {
  if (arg.empty()) throw config_error(file, where, "expected a non-empty string");
  std::string why;
  std::string found = resolve_named_config(roots, kind, arg, base.string(), &why);
  if (found.empty()) throw config_error(file, where, why);
  return found;
}

/// An element of an axis and its JSON path.
using axis_element = std::pair<const json*, std::string>;

/// The elements of a non-empty array at `key`, each with its JSON path.
std::vector<axis_element> elements(field_reader& r, const std::string& key) {
  const json& v = r.raw(key);
  if (!v.is_array()) r.fail(key, "expected a non-empty array, found " + describe_json(v));
  if (v.empty()) r.fail(key, "expected at least one element, found an empty array");
  std::vector<axis_element> out;
  for (std::size_t i = 0; i < v.size(); ++i) out.emplace_back(&v[i], r.child_path(key) + "[" + std::to_string(i) + "]");
  return out;
}

/// A string element of an axis of names.
std::string string_element(const std::string& file, const axis_element& e) {
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

/// An axis the matrix may leave out: each element at `key` read by `read` into a value and its
/// label, the labels unique. Empty when the axis is absent.
template <class T, class Read>
std::vector<T> optional_axis(field_reader& r, const std::string& key, Read read) {
  std::vector<T> out;
  r.allow(key);
  if (!r.has(key)) return out;
  std::set<std::string> seen;
  for (const axis_element& e : elements(r, key)) {
    std::pair<T, std::string> v = read(e);
    check_unique(r.file(), e.second, v.second, seen);
    out.push_back(std::move(v.first));
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

  m.gpus = optional_axis<matrix_gpu>(r, "gpus", [&](const axis_element& e) {
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
    return std::make_pair(g, g.label);
  });
  m.prices = optional_axis<matrix_price>(r, "prices", [&](const axis_element& e) {
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
    return std::make_pair(p, p.label);
  });
  m.tokens_per_day = optional_axis<double>(r, "tokens_per_day", [&](const axis_element& e) {
    // The workload loader's range (min_tokens_per_day, max_tokens_per_day).
    const std::string want = "expected a number >= " + format_number(min_tokens_per_day) + " and <= " +
                             format_number(max_tokens_per_day) + ", found ";
    if (!e.first->is_number()) throw config_error(path, e.second, want + describe_json(*e.first));
    const double x = e.first->get<double>();
    if (!(x >= min_tokens_per_day && x <= max_tokens_per_day)) throw config_error(path, e.second, want + format_number(x));
    return std::make_pair(x, shortest(x));
  });
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

}  // namespace tokenplan
