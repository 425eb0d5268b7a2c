// tokenplan list: the configs that ship (or sit in a configs folder given with --configs), one
// line each with the facts that tell them apart, read through the same loaders plan uses.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "io/atomic_file.hpp"
#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "base/errors.hpp"
#include "fleet/fleet.hpp"
#include "io/json_reader.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"
#include "base/text.hpp"

#ifndef TOKENPLAN_VERSION
#define TOKENPLAN_VERSION "0.0.0-dev"
#endif

namespace tokenplan {

namespace {

const char* const list_help = R"(tokenplan list - the models, GPUs, clusters, workloads, demands and grids that ship

Usage:
  tokenplan list [models|gpus|clusters|workloads|demands|grids]... [options]

Every name listed works wherever a file is asked for (--model llama-3.1-70b, --cluster
bytedance-2026, --gpu h20, a demand's classes). Names are looked up, in order, in the configs
folder given with --configs, the configs installed beside the executable
(../share/tokenplan/configs) and the source tree's configs/. Each line is read through the
same loader the plan uses, so a config that would not load says why here.

Per kind:
  models     architecture, parameters (active per token for MoE), layers, hidden size,
             attention (GQA heads, MLA), context
  gpus       family, memory, HBM bandwidth, dense BF16/FP8/FP4 TFLOPS, scale-up domain, power
  clusters   sites with their GPUs and pricing, GPUs on offer
  workloads  tokens per day, mean ISL/OSL (and tails), TTFT/TPOT SLOs, peak-to-average
  demands    tokens per day, classes (share and model), profile, growth
  grids      the serving modes it searches, the axes it sets (the rest are the model's
             built-in grid), and its description

Options:
  --configs DIR      list this configs folder first (it holds models/, gpus/, ...)
  --format NAME      table (default, 80 columns; --wide: 100) | json
  --out FILE         write to FILE atomically instead of stdout

Examples:
  tokenplan list                    # everything that ships
  tokenplan list models gpus        # what to plan with
  tokenplan list clusters --format json | jq '.clusters[].name'

Exit status: 0 ok; 2 bad usage, or a listed config does not load (the line says why).
)";

const std::vector<std::string> kinds = {"models", "gpus", "clusters", "workloads", "demands", "grids"};

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

/// 70.6B, 671B, 8.03B
std::string params_text(double p) {
  if (p >= 1e11) return fmt("%.0fB", p / 1e9);
  if (p >= 1e9) return fmt("%.1fB", p / 1e9);
  return fmt("%.0fM", p / 1e6);
}

/// 131k, 164k
std::string context_text(double t) { return t >= 1024 ? fmt("%.0fk", t / 1000.0) : fmt("%.0f", t); }

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

/// One listed config: a line of facts for people, an object for scripts.
struct listed {
  std::string name, path, facts, error;
  ojson json;
};

listed list_model(const std::string& path) {
  listed l;
  model_entry m = load_model(path);
  const model_spec& s = m.spec;
  const bool moe = s.experts > 0;
  std::string f = m.architecture + " " + params_text(m.params);
  if (moe) f += " (" + params_text(m.active_params) + " active)";
  f += ", " + std::to_string(s.layers) + " layers, hidden " + std::to_string(s.hidden);
  if (s.attention == attention_mla) {
    f += ", MLA " + std::to_string(s.heads) + " heads";
  } else {
    f += ", " + std::string(s.kv_heads == s.heads ? "MHA " : "GQA ") + std::to_string(s.heads) + "/" +
         std::to_string(s.kv_heads) + " heads";
  }
  if (moe) f += ", " + std::to_string(s.experts) + " experts top-" + std::to_string(s.experts_per_token);
  f += ", ctx " + context_text(s.max_context);
  l.name = m.name;
  l.facts = f;
  l.json = {{"name", m.name},
            {"architecture", m.architecture},
            {"hf_repo", m.hf_repo},
            {"params", m.params},
            {"active_params", m.active_params},
            {"layers", s.layers},
            {"hidden", s.hidden},
            {"attention", s.attention == attention_mla ? "mla" : "gqa"},
            {"heads", s.heads},
            {"kv_heads", s.kv_heads},
            {"experts", s.experts},
            {"experts_per_token", s.experts_per_token},
            {"max_context_tokens", s.max_context}};
  return l;
}

listed list_gpu(const std::string& path, const calibration& cal) {
  listed l;
  gpu_entry g = load_gpu(path, cal);
  const gpu_spec& s = g.spec;
  auto tf = [&](std::uint8_t p) { return s.dense_flops[p] > 0.0 ? fmt("%.0f", s.dense_flops[p] / 1e12) : std::string("-"); };
  l.name = g.name;
  l.facts = g.family + ", " + fmt("%.1f", s.hbm_bytes / gib) + " GiB, " + fmt("%.1f", s.hbm_bytes_per_s / 1e12) +
            " TB/s, " + tf(prec_bf16) + "/" + tf(prec_fp8) + "/" + tf(prec_fp4) + " TFLOPS BF16/FP8/FP4, " +
            std::to_string(s.scale_up_domain_gpus) + "-GPU domain, " + fmt("%.3g", s.power_w / 1000.0) + " kW";
  l.json = {{"name", g.name},
            {"family", g.family},
            {"description", g.description},
            {"hbm_gib", s.hbm_bytes / gib},
            {"hbm_tb_per_s", s.hbm_bytes_per_s / 1e12},
            {"dense_tflops", {{"bf16", s.dense_flops[prec_bf16] / 1e12}, {"fp8", s.dense_flops[prec_fp8] / 1e12},
                              {"fp4", s.dense_flops[prec_fp4] / 1e12}}},
            {"scale_up_domain_gpus", s.scale_up_domain_gpus},
            {"kw_per_gpu", s.power_w / 1000.0}};
  return l;
}

listed list_cluster(const std::string& path, const calibration& cal) {
  listed l;
  cluster_entry c = load_cluster(path, default_roots(path).dirs("gpus"), cal);
  std::uint64_t total = 0;
  std::string sites;
  ojson sj = ojson::array();
  for (const site_entry& s : c.sites) {
    total += s.gpus;
    sites += (sites.empty() ? "" : ", ") + s.name + " " + group_digits(s.gpus) + " " + s.gpu + " " +
             pricing_kind_name(s.pricing.kind);
    sj.push_back({{"name", s.name}, {"gpu", s.gpu}, {"gpus", s.gpus}, {"gpus_per_node", s.gpus_per_node},
                  {"pricing", pricing_kind_name(s.pricing.kind)}, {"usd_per_gpu_hour", s.usd_per_gpu_hour},
                  {"power_cap_it_mw", s.power_cap_it_mw}});
  }
  std::string offers;
  ojson oj = ojson::array();
  for (const gpu_offer& o : c.offers) {
    offers += (offers.empty() ? "" : ", ") + o.gpu;
    oj.push_back({{"gpu", o.gpu}, {"pricing", pricing_kind_name(o.pricing.kind)}, {"usd_per_gpu_hour", o.pricing.usd_per_gpu_hour}});
  }
  l.name = c.name;
  l.facts = std::to_string(c.sites.size()) + (c.sites.size() == 1 ? " site, " : " sites, ") + group_digits(total) +
            " GPUs: " + sites + (offers.empty() ? "" : "; on offer: " + offers);
  l.json = {{"name", c.name}, {"description", c.description}, {"gpus", total}, {"sites", sj}, {"offers", oj}};
  return l;
}

listed list_workload(const std::string& path) {
  listed l;
  workload_entry w = load_workload(path);
  const workload_spec& s = w.spec;
  const std::string pct = fmt("p%g", w.tail_percentile * 100.0);
  l.name = w.name;
  l.facts = short_number(s.tokens_per_day) + " tokens/day, ISL " + fmt("%.0f", s.input_tokens) + " (" + pct + " " +
            fmt("%.0f", s.input_tail) + "), OSL " + fmt("%.0f", s.output_tokens) + " (" + pct + " " +
            fmt("%.0f", s.output_tail) + "), TTFT " + fmt("%g", s.ttft_slo_s * 1e3) + " ms p" +
            fmt("%g", 100.0 * (1.0 - s.slo_tail)) + ", TPOT " + fmt("%g", s.tpot_slo_s * 1e3) + " ms, peak " +
            fmt("%.2f", s.peak_to_average) + "x";
  l.json = {{"name", w.name},
            {"description", w.description},
            {"tokens_per_day", s.tokens_per_day},
            {"input_tokens_mean", s.input_tokens},
            {"input_tokens_tail", s.input_tail},
            {"output_tokens_mean", s.output_tokens},
            {"output_tokens_tail", s.output_tail},
            {"ttft_slo_ms", s.ttft_slo_s * 1e3},
            {"ttft_slo_percentile", 100.0 * (1.0 - s.slo_tail)},
            {"tpot_slo_ms", s.tpot_slo_s * 1e3},
            {"peak_to_average", s.peak_to_average}};
  return l;
}

listed list_demand(const std::string& path, const config_roots& roots, const calibration& cal) {
  listed l;
  // Names in a demand file resolve beside it first, as in plan.
  demand_entry d = load_demand(path, default_roots(path, roots.roots.empty() ? "" : roots.roots.front()), cal);
  std::string classes;
  ojson cj = ojson::array();
  for (const demand_class& c : d.classes) {
    classes += (classes.empty() ? "" : ", ") + c.name + " " + fmt("%.0f", c.share * 100.0) + "% " + c.model.name;
    cj.push_back({{"name", c.name}, {"share", c.share}, {"model", c.model.name}, {"workload", c.workload.name}});
  }
  l.name = d.name;
  l.facts = short_number(d.tokens_per_day) + " tokens/day; " + classes + "; " +
            (d.hourly.empty() ? "peak " + fmt("%.2f", d.peak_to_average) + "x" : std::string("hourly profile")) +
            (d.monthly_growth > 0.0 ? ", growth " + fmt("%g", d.monthly_growth * 100.0) + "%/month" : "");
  l.json = {{"name", d.name},
            {"description", d.description},
            {"tokens_per_day", d.tokens_per_day},
            {"classes", cj},
            {"hourly_profile", !d.hourly.empty()},
            {"monthly_growth", d.monthly_growth}};
  return l;
}

listed list_grid(const std::string& path) {
  listed l;
  // A grid fills the axes it leaves out from the model's built-in grid, so what it fixes is
  // what its file sets; the loader checks it (against a neutral dense model).
  grid_request g = load_grid(path, model_spec{});
  const input_file file = read_input_file(path);
  const ojson raw = ojson::parse(file.text);  // load_grid checked it; ordered: the file's key order
  std::string sets;
  ojson keys = ojson::array();
  for (const auto& kv : raw.items()) {
    if (kv.key() == "description" || kv.key() == "source" || kv.key() == "sources") continue;
    sets += (sets.empty() ? "" : ", ") + kv.key();
    keys.push_back(kv.key());
  }
  std::string modes = std::string(g.aggregated ? "aggregated" : "") + (g.aggregated && g.disaggregated ? "+" : "") +
                      (g.disaggregated ? "disaggregated" : "");
  const std::string description = raw.contains("description") && raw["description"].is_string()
                                      ? raw["description"].get<std::string>()
                                      : std::string();
  l.name = std::filesystem::path(path).stem().string();
  l.facts = modes + "; sets " + sets + (description.empty() ? "" : ". " + description);
  l.json = {{"name", l.name}, {"description", description}, {"sets", keys}, {"aggregated", g.aggregated},
            {"disaggregated", g.disaggregated}};
  return l;
}

}  // namespace

int cmd_list(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  cxxopts::Options opts("tokenplan list", "");
  opts.add_options()("configs", "", cxxopts::value<std::string>())(
      "format", "", cxxopts::value<std::string>()->default_value("table"))("out", "", cxxopts::value<std::string>())(
      "wide", "")("h,help", "")("kinds", "", cxxopts::value<std::vector<std::string>>());
  opts.parse_positional({"kinds"});
  cxxopts::ParseResult a;
  if (!parse_command(opts, argc, argv, {"configs", "format", "out", "wide", "help"}, list_help, out, a)) return 0;
  set_table_width(a.count("wide") ? 100 : 80);
  const std::string format = a["format"].as<std::string>();
  if (format != "table" && format != "json") {
    throw usage_error("--format: expected table or json, found \"" + format + "\"" + did_you_mean(format, {"table", "json"}));
  }
  std::vector<std::string> wanted;
  if (a.count("kinds")) {
    for (const std::string& k : a["kinds"].as<std::vector<std::string>>()) {
      if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) {
        throw usage_error("list: unknown kind \"" + k + "\"" + did_you_mean(k, kinds) + "; kinds: " + quoted_list(kinds));
      }
      if (std::find(wanted.begin(), wanted.end(), k) == wanted.end()) wanted.push_back(k);
    }
  } else {
    wanted = kinds;
  }
  std::string extra;
  if (a.count("configs")) {
    extra = a["configs"].as<std::string>();
    std::error_code ec;
    if (!std::filesystem::is_directory(extra, ec)) throw usage_error("--configs: \"" + extra + "\" is not a directory");
  }
  const config_roots roots = default_roots("", extra);
  // GPUs carry their family's fitted factors; without a calibration file they cannot load.
  calibration cal;
  std::string cal_error;
  const std::string cal_file = roots.calibration_file();
  try {
    if (cal_file.empty()) throw usage_error("no calibration.json in the config folders");
    cal = load_calibration(cal_file);
  } catch (const std::exception& e) {
    cal_error = e.what();
  }

  std::ostringstream o;
  ojson j = json_document("list");
  j["roots"] = roots.roots;
  std::size_t failures = 0;
  for (std::size_t k = 0; k < wanted.size(); ++k) {
    const std::string& kind = wanted[k];
    const std::vector<std::string> names = catalog_names(roots.dirs(kind));
    std::vector<listed> rows;
    for (const std::string& n : names) {
      const std::string path = roots.find(kind, n);
      listed l;
      try {
        if ((kind == "gpus" || kind == "clusters" || kind == "demands") && !cal_error.empty()) throw usage_error(cal_error);
        if (kind == "models") l = list_model(path);
        else if (kind == "gpus") l = list_gpu(path, cal);
        else if (kind == "clusters") l = list_cluster(path, cal);
        else if (kind == "workloads") l = list_workload(path);
        else if (kind == "demands") l = list_demand(path, roots, cal);
        else l = list_grid(path);
      } catch (const std::exception& e) {
        l = listed{};
        l.error = e.what();
        ++failures;
      }
      // The name to type is the file's stem, whatever "name" the file gives itself.
      ojson entry = {{"preset", n}, {"path", path}};
      if (l.json.is_object()) {
        for (const auto& kv : l.json.items()) entry[kv.key()] = kv.value();
      }
      if (!l.error.empty()) entry["error"] = l.error;
      l.json = std::move(entry);
      l.name = n;
      rows.push_back(std::move(l));
    }
    ojson arr = ojson::array();
    for (const listed& l : rows) arr.push_back(l.json);
    j[kind] = arr;
    if (k) o << "\n";
    o << kind << " (" << rows.size() << "):\n";
    std::size_t width = 0;
    for (const listed& l : rows) width = std::max(width, printable(l.name).size());
    width = std::min<std::size_t>(width, 30);
    for (const listed& l : rows) {
      // Name in its column, facts wrapped beside it.
      const std::string facts = wrap(l.error.empty() ? l.facts : "does not load: " + l.error, table_width() - width - 4, 0);
      std::string name = printable(l.name);  // a file name may hold anything
      if (name.size() < width) name += std::string(width - name.size(), ' ');
      std::size_t start = 0;
      while (start < facts.size()) {
        const std::size_t end = facts.find('\n', start);
        o << "  " << (start == 0 ? name : std::string(width, ' ')) << "  " << facts.substr(start, end - start) << "\n";
        start = end + 1;
      }
    }
  }
  const std::string text = format == "json" ? j.dump(2) + "\n" : o.str();
  if (a.count("out")) {
    write_file_atomic(a["out"].as<std::string>(), text);
  } else {
    write_stdout(out, text);
  }
  if (failures > 0) {
    err << "error: " << failures << (failures == 1 ? " config does not" : " configs do not") << " load; see the listing\n";
    return 2;
  }
  return 0;
}

}  // namespace tokenplan
