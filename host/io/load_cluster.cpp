// Loader for cluster files: sites, their price terms and power caps, GPU offers, and the GPU
// types they name (resolved through load_gpu).
#include "io/loaders.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "base/errors.hpp"
#include "base/text.hpp"
#include "io/loaders_detail.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

const char* pricing_kind_name(pricing_kind k) {
  switch (k) {
    case pricing_kind::on_demand: return "on_demand";
    case pricing_kind::owned: return "owned";
    default: return "lease";
  }
}

double site_pricing::capex_usd_per_node_year() const {
  if (kind != pricing_kind::owned) return 0.0;
  const double r = cost_of_capital, n = depreciation_years;
  if (r <= 0.0) return capex_usd_per_node / n;
  return capex_usd_per_node * r / (1.0 - std::pow(1.0 + r, -n));
}

double site_pricing::usd_per_gpu_hour_held(std::uint32_t gpus_per_node) const {
  const double gpn = gpus_per_node;
  const double node_per_hour = node_usd_per_month * 12.0 / 8760.0;
  const double capital = capex_usd_per_node_year() / 8760.0;
  const double base = kind == pricing_kind::owned ? 0.0 : usd_per_gpu_hour;
  return base + (capital + node_per_hour) / gpn;
}

/// "YYYY-MM" with a month from 01 to 12.
bool valid_month(const std::string& m) {
  if (m.size() != 7 || m[4] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6}) {
    if (m[i] < '0' || m[i] > '9') return false;
  }
  const int month = (m[5] - '0') * 10 + (m[6] - '0');
  return month >= 1 && month <= 12;
}

namespace {

/// Reads price terms: the "pricing" object, or the flat lease keys of a site
/// ("usd_per_gpu_hour", "price_includes_power"). Node costs come from "node_costs_usd_per_month".
site_pricing read_pricing(field_reader& s, bool allow_flat) {
  site_pricing p;
  const bool flat = allow_flat && (s.has("usd_per_gpu_hour") || s.has("price_includes_power"));
  if (flat && s.has("pricing")) {
    s.fail("pricing", "give either \"pricing\" or the flat \"usd_per_gpu_hour\"/\"price_includes_power\" keys, not both");
  }
  if (flat || (allow_flat && !s.has("pricing"))) {
    p.kind = pricing_kind::lease;
    p.usd_per_gpu_hour = s.number("usd_per_gpu_hour", at_least(0.0, 10000.0));
    p.includes_power = s.boolean("price_includes_power");
    s.allow("pricing");
  } else {
    field_reader pr = s.object("pricing");
    const std::string kind = pr.string("type");
    if (kind == "lease") {
      p.kind = pricing_kind::lease;
    } else if (kind == "on_demand") {
      p.kind = pricing_kind::on_demand;
    } else if (kind == "owned") {
      p.kind = pricing_kind::owned;
    } else {
      pr.fail("type", "expected \"lease\", \"on_demand\" or \"owned\", found \"" + kind + "\"" +
                          did_you_mean(kind, {"lease", "on_demand", "owned"}));
    }
    if (p.kind == pricing_kind::owned) {
      p.capex_usd_per_node = pr.number("capex_usd_per_node", positive(1e9));
      p.depreciation_years = pr.number("depreciation_years", {0.0, 30.0, true});
      p.cost_of_capital = pr.number("cost_of_capital", at_least(0.0, 1.0));
      p.includes_power = false;
    } else {
      p.usd_per_gpu_hour = pr.number("usd_per_gpu_hour", at_least(0.0, 10000.0));
      p.includes_power = pr.boolean("includes_power");
      if (p.kind == pricing_kind::lease) {
        p.term_months = pr.number_or("term_months", 0.0, at_least(0.0, 600.0));
        p.committed_gpus = pr.integer_or("committed_gpus", 0, 0, 100000000);
      }
    }
    pr.finish();
  }
  s.allow("node_costs_usd_per_month");
  if (s.has("node_costs_usd_per_month")) {
    field_reader nc = s.object("node_costs_usd_per_month");
    for (const char* k : {"network", "storage", "host"}) {
      p.node_usd_per_month += nc.number_or(k, 0.0, at_least(0.0, 1e8));
    }
    nc.finish();
  }
  return p;
}

/// Resolves a GPU reference: a path relative to the cluster file, or a name in the GPU folders.
std::uint32_t resolve_gpu(field_reader& s, const std::string& key, const std::string& gpu, const fs::path& base,
                          const std::vector<std::string>& gpu_dirs, const calibration& cal, cluster_entry& c,
                          std::map<std::string, std::uint32_t>& by_name) {
  std::string gpu_path;
  const bool is_path = looks_like_path(gpu);
  if (is_path) {
    gpu_path = (base / gpu).string();
    if (!fs::exists(gpu_path)) s.fail(key, "GPU file \"" + gpu_path + "\" does not exist");
  } else {
    for (const std::string& d : gpu_dirs) {
      fs::path candidate = fs::path(d) / (gpu + ".json");
      std::error_code ec;
      if (fs::is_regular_file(candidate, ec)) {
        gpu_path = candidate.string();
        break;
      }
    }
    if (gpu_path.empty()) {
      std::vector<std::string> known = catalog_names(gpu_dirs);
      std::string where;
      for (const std::string& d : gpu_dirs) where += (where.empty() ? "" : ", ") + d;
      s.fail(key, "unknown GPU \"" + gpu + "\"" + did_you_mean(gpu, known) +
                      (known.empty() ? "; no GPU files found in " + (where.empty() ? std::string("(none)") : where)
                                     : "; known GPUs: " + quoted_list(known)));
    }
  }
  gpu_entry g = load_gpu(gpu_path, cal);
  if (!is_path && g.name != gpu) {
    throw config_error(gpu_path, "$.name", "name \"" + g.name + "\" does not match the file name \"" + gpu + "\"");
  }
  auto it = by_name.find(g.name);
  if (it == by_name.end()) {
    it = by_name.emplace(g.name, static_cast<std::uint32_t>(c.gpus.size())).first;
    c.gpus.push_back(std::move(g));
  }
  return it->second;
}

}  // namespace

cluster_entry load_cluster(const std::string& path, const std::vector<std::string>& gpu_dirs, const calibration& cal) {
  cluster_entry c;
  json j = detail::load_json(path, &c.file);
  field_reader r(j, path, "$");
  c.name = detail::read_name(r);
  c.description = r.string_or("description", "");
  r.allow("headroom");
  if (r.has("headroom")) {
    field_reader h = r.object("headroom");
    c.spare_fraction = h.number("spare_fraction", at_least(0.0, 1.0));
    h.finish();
  }
  std::vector<field_reader> sites = r.objects("sites");
  if (sites.size() > static_cast<std::size_t>(max_sites)) {
    r.fail("sites", "at most " + std::to_string(max_sites) + " sites are supported, found " + std::to_string(sites.size()));
  }
  std::map<std::string, std::uint32_t> gpu_by_name;
  std::set<std::string> site_names;
  const fs::path base = fs::path(path).parent_path();
  for (field_reader& s : sites) {
    site_entry e;
    e.name = detail::read_name(s);
    if (!site_names.insert(e.name).second) s.fail("name", "duplicate site name \"" + e.name + "\"");
    std::string gpu = s.string("gpu");
    e.gpus = s.integer("gpus", 0, 100000000);
    e.gpus_per_node = s.integer("gpus_per_node", 1, 4096);
    e.pricing = read_pricing(s, true);
    e.price_includes_power = !e.pricing.pays_energy();
    if (e.price_includes_power) {
      e.usd_per_kwh = s.number_or("usd_per_kwh", 0.0, at_least(0.0, 100.0));
    } else {
      e.usd_per_kwh = s.number("usd_per_kwh", at_least(0.0, 100.0));
    }
    e.pue = s.number("pue", at_least(1.0, 10.0));
    if (e.pricing.committed_gpus > e.gpus) {
      s.fail("pricing", "committed_gpus (" + std::to_string(e.pricing.committed_gpus) + ") exceeds the site's gpus (" +
                            std::to_string(e.gpus) + ")");
    }
    s.allow("power_cap");
    if (s.has("power_cap")) {
      field_reader pc = s.object("power_cap");
      const bool it = pc.has("it_mw"), fac = pc.has("facility_mw");
      if (it == fac) pc.fail_here("give exactly one of \"it_mw\" (IT load) or \"facility_mw\" (IT x PUE)");
      e.power_cap_field = it ? "it_mw" : "facility_mw";
      e.power_cap_given_mw = pc.number(e.power_cap_field, positive(1e6));
      e.power_cap_it_mw = it ? e.power_cap_given_mw : e.power_cap_given_mw / e.pue;
      pc.finish();
    }
    e.spare_fraction = s.number_or("spare_fraction", -1.0, at_least(0.0, 1.0));
    s.allow("blocked_gpus");
    if (s.has("blocked_gpus")) e.blocked_gpus = s.strings("blocked_gpus");
    s.allow("deliveries");
    if (s.has("deliveries")) {
      for (field_reader& d : s.objects("deliveries")) {
        delivery dv;
        dv.month = d.string("month");
        if (!valid_month(dv.month)) d.fail("month", "expected \"YYYY-MM\", found \"" + dv.month + "\"");
        dv.gpus = d.integer("gpus", 1, 100000000);
        d.finish();
        e.deliveries.push_back(dv);
      }
    }
    e.expansion_max_gpus = s.number_or("expansion_max_gpus", -1.0, at_least(0.0, 1e9));
    s.allow("interconnect");
    if (s.has("interconnect")) {
      field_reader net = s.object("interconnect");
      e.interconnect = net.string_or("description", "");
      e.scale_out_gb_per_s = net.number_or("scale_out_gb_per_s", 0.0, positive(100000.0));
      e.scale_out_latency_us = net.number_or("scale_out_latency_us", -1.0, at_least(0.0, 100000.0));
      net.finish();
    }
    s.finish();
    e.gpu_index = resolve_gpu(s, "gpu", gpu, base, gpu_dirs, cal, c, gpu_by_name);
    e.gpu = c.gpus[e.gpu_index].name;
    for (const std::string& b : e.blocked_gpus) {
      if (b == e.gpu) s.fail("blocked_gpus", "the site blocks \"" + b + "\", the GPU type it has");
    }
    e.usd_per_gpu_hour = e.pricing.usd_per_gpu_hour_held(e.gpus_per_node);
    c.sites.push_back(std::move(e));
  }
  r.allow("gpu_offers");
  if (r.has("gpu_offers")) {
    std::vector<std::string> names(site_names.begin(), site_names.end());
    for (field_reader& o : r.objects("gpu_offers")) {
      gpu_offer of;
      const std::string gpu = o.string("gpu");
      of.description = o.string_or("description", "");
      of.gpus_per_node = o.integer_or("gpus_per_node", 8, 1, 4096);
      of.pricing = read_pricing(o, false);
      of.max_gpus = o.number_or("max_gpus_per_site", -1.0, at_least(0.0, 1e9));
      o.allow("sites");
      if (o.has("sites")) of.sites = o.strings("sites");
      o.finish();
      of.gpu_index = resolve_gpu(o, "gpu", gpu, base, gpu_dirs, cal, c, gpu_by_name);
      of.gpu = c.gpus[of.gpu_index].name;
      for (std::size_t k = 0; k < of.sites.size(); ++k) {
        auto it = std::find_if(c.sites.begin(), c.sites.end(), [&](const site_entry& x) { return x.name == of.sites[k]; });
        if (it == c.sites.end()) {
          o.fail("sites", "site \"" + of.sites[k] + "\" is not in the cluster" + did_you_mean(of.sites[k], names) +
                              "; sites: " + quoted_list(names));
        }
        if (std::find(it->blocked_gpus.begin(), it->blocked_gpus.end(), of.gpu) != it->blocked_gpus.end()) {
          o.fail("sites", "site \"" + it->name + "\" blocks \"" + of.gpu + "\" (its blocked_gpus)");
        }
      }
      if (of.pricing.pays_energy()) {
        for (const site_entry& site : c.sites) {
          const bool listed = of.sites.empty() || std::find(of.sites.begin(), of.sites.end(), site.name) != of.sites.end();
          const bool blocked = std::find(site.blocked_gpus.begin(), site.blocked_gpus.end(), of.gpu) != site.blocked_gpus.end();
          if (listed && !blocked && site.usd_per_kwh <= 0.0) {
            o.fail("pricing", "the offer's price excludes power but site \"" + site.name + "\" has no usd_per_kwh");
          }
        }
      }
      c.offers.push_back(std::move(of));
    }
  }
  r.finish();
  return c;
}

}  // namespace tokenplan
