// Command-line overrides of the workload and the cluster: parsing with the locale left out, and
// applying them after the files are loaded so the loaders' checks still hold.
#include "io/overrides.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "base/errors.hpp"
#include "tokenplan/precision.hpp"
#include "base/text.hpp"

namespace tokenplan {

namespace {

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  return s;
}

std::string trim(const std::string& s) {
  const std::size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

/// A decimal number (optionally with an exponent) filling all of `text`, or NaN. from_chars
/// ignores the locale, so "1.5" means the same under any LC_NUMERIC.
double parse_plain_number(const std::string& text) {
  double v = 0.0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+') ++first;
  auto res = std::from_chars(first, last, v, std::chars_format::general);
  if (res.ec != std::errc() || res.ptr != last || !std::isfinite(v)) return std::nan("");
  return v;
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

constexpr const char* target_forms = "a token rate such as 30T/day, 30e12/day, 347M/s or 1.2e9/h "
                                     "(suffixes k, M, G, B, T; periods s, min, h, day)";

}  // namespace

bool input_overrides::any() const {
  return tokens_per_day > 0.0 || changes_workload_shape() || !gpu.empty() || weights >= 0 || kv >= 0;
}

bool input_overrides::changes_workload_shape() const {
  return input_tokens > 0.0 || output_tokens > 0.0 || ttft_ms > 0.0 || tpot_ms > 0.0;
}

input_overrides parse_input_overrides(const cxxopts::ParseResult& a, bool demand) {
  input_overrides o;
  if (a.count("target")) {
    o.target_text = a["target"].as<std::string>();
    o.tokens_per_day = parse_tokens_per_day(o.target_text, "--target");
  }
  // The loader's ranges: lengths up to 10M tokens (the context check comes with the model),
  // SLOs up to 1e8 ms.
  if (a.count("isl")) o.input_tokens = parse_positive(a["isl"].as<std::string>(), "--isl", 1e7, true);
  if (a.count("osl")) o.output_tokens = parse_positive(a["osl"].as<std::string>(), "--osl", 1e7, true);
  if (a.count("ttft")) o.ttft_ms = parse_positive(a["ttft"].as<std::string>(), "--ttft", 1e8, false);
  if (a.count("tpot")) o.tpot_ms = parse_positive(a["tpot"].as<std::string>(), "--tpot", 1e8, false);
  if (a.count("gpu")) {
    o.gpu = a["gpu"].as<std::string>();
    if (o.gpu.empty()) throw usage_error("--gpu: expected a GPU type name, found \"\"");
  }
  for (const char* name : {"weights", "kv"}) {
    if (!a.count(name)) continue;
    const std::string given = a[name].as<std::string>();
    std::uint8_t p = 0;
    if (!parse_precision(lower(given), &p)) {
      throw usage_error(std::string("--") + name + ": expected bf16, fp8 or fp4, found \"" + given + "\"" +
                        did_you_mean(given, {"bf16", "fp8", "fp4"}));
    }
    if (std::string(name) == "kv" && p == prec_fp4) {
      throw usage_error("--kv: fp4 is not a KV-cache format the model knows; expected bf16 or fp8");
    }
    (std::string(name) == "weights" ? o.weights : o.kv) = p;
  }
  if (demand && o.changes_workload_shape()) {
    throw usage_error("--isl, --osl, --ttft and --tpot change one workload; a demand file has a workload per class "
                      "(edit those, or plan one class with --model/--workload)");
  }
  return o;
}

double parse_tokens_per_day(const std::string& text, const std::string& option) {
  const std::string s = trim(text);
  auto fail = [&](const std::string& why) -> double {
    throw usage_error(option + ": expected " + target_forms + ", found \"" + text + "\"" + (why.empty() ? "" : ": " + why));
  };
  const std::size_t slash = s.find('/');
  if (slash == std::string::npos) return fail("no period (add /day, /h or /s)");
  std::string amount = trim(s.substr(0, slash));
  const std::string period = lower(trim(s.substr(slash + 1)));
  if (amount.empty()) return fail("no number before '/'");
  double scale = 1.0;
  const char last = amount.back();
  switch (last) {
    case 'k': case 'K': scale = 1e3; break;
    case 'M': scale = 1e6; break;
    case 'G': case 'B': scale = 1e9; break;
    case 'T': scale = 1e12; break;
    case 'm': return fail("'m' is ambiguous: use M for million");
    default: break;
  }
  if (scale != 1.0) amount = trim(amount.substr(0, amount.size() - 1));
  const double v = parse_plain_number(amount);
  if (std::isnan(v)) return fail("\"" + amount + "\" is not a number");
  if (!(v > 0.0)) return fail("the rate must be positive");
  double per_day = 0.0;
  if (period == "s" || period == "sec" || period == "second") per_day = 86400.0;
  else if (period == "min" || period == "minute") per_day = 1440.0;
  else if (period == "h" || period == "hr" || period == "hour") per_day = 24.0;
  else if (period == "d" || period == "day") per_day = 1.0;
  else return fail("unknown period \"" + period + "\"" + did_you_mean(period, {"s", "min", "h", "day", "second", "minute", "hour"}));
  const double tokens_per_day = v * scale * per_day;
  // The loader's bounds (min_tokens_per_day, max_tokens_per_day in loaders.hpp).
  if (!(tokens_per_day <= max_tokens_per_day)) return fail(fmt("%.3g tokens/day is above the 1e18 limit", tokens_per_day));
  if (!(tokens_per_day >= min_tokens_per_day)) {
    return fail(fmt("%.3g tokens/day is below the floor of 1 token a day", tokens_per_day));
  }
  return tokens_per_day;
}

double parse_positive(const std::string& text, const std::string& option, double hi, bool integer) {
  const double v = parse_plain_number(trim(text));
  const std::string what = integer ? "a whole number" : "a number";
  if (std::isnan(v) || !(v > 0.0) || v > hi || (integer && v != std::floor(v))) {
    throw usage_error(option + ": expected " + what + " above 0 and at most " + format_number(hi) + ", found \"" + text + "\"");
  }
  return v;
}

void apply_workload_overrides(workload_entry& w, const input_overrides& o) {
  workload_spec& s = w.spec;
  if (o.tokens_per_day > 0.0) s.tokens_per_day = o.tokens_per_day;
  auto fixed = [](length_stats& l, double n) {
    l.mean = l.tail = n;
    l.sq_mean = n * n;
    l.form = "fixed";
  };
  if (o.input_tokens > 0.0) {
    fixed(w.input, o.input_tokens);
    s.input_tokens = s.input_tail = o.input_tokens;
    s.input_sq_mean = o.input_tokens * o.input_tokens;
  }
  if (o.output_tokens > 0.0) {
    fixed(w.output, o.output_tokens);
    s.output_tokens = s.output_tail = o.output_tokens;
    s.output_sq_mean = o.output_tokens * o.output_tokens;
  }
  if (o.ttft_ms > 0.0) s.ttft_slo_s = o.ttft_ms * 1e-3;
  if (o.tpot_ms > 0.0) s.tpot_slo_s = o.tpot_ms * 1e-3;
}

void pin_precisions(workload_entry& w, const grid_request& g, const input_overrides& o) {
  auto pin = [&](int want, std::vector<std::uint8_t>& allowed, const std::vector<std::uint8_t>& axis, const char* option,
                 const char* key) {
    if (want < 0) return;
    auto names = [](const std::vector<std::uint8_t>& v) {
      std::vector<std::string> n;
      for (std::uint8_t p : v) n.push_back(precision_name(p));
      return quoted_list(n);
    };
    const auto p = static_cast<std::uint8_t>(want);
    if (std::find(allowed.begin(), allowed.end(), p) == allowed.end()) {
      throw usage_error(std::string(option) + " " + precision_name(p) + ": workload '" + w.name + "' accepts only " +
                        names(allowed) + " (" + w.file.path + ", $.precisions." + key + ")");
    }
    if (std::find(axis.begin(), axis.end(), p) == axis.end()) {
      throw usage_error(std::string(option) + " " + precision_name(p) + ": the grid (" + g.origin + ") searches only " +
                        names(axis));
    }
    allowed = {p};
  };
  pin(o.weights, w.weight_precisions, g.weight_precisions, "--weights", "weights");
  pin(o.kv, w.kv_precisions, g.kv_precisions, "--kv", "kv_cache");
}

void check_context(const workload_entry& w, const model_entry& m, const input_overrides& o) {
  if (o.input_tokens <= 0.0 && o.output_tokens <= 0.0) return;
  const double need = w.spec.input_tail + w.spec.output_tail;
  if (need > m.spec.max_context) {
    throw usage_error(std::string(o.input_tokens > 0.0 ? "--isl" : "") +
                      (o.input_tokens > 0.0 && o.output_tokens > 0.0 ? "/" : "") + (o.output_tokens > 0.0 ? "--osl" : "") +
                      ": the tail request, " + format_number(w.spec.input_tail) + " input + " +
                      format_number(w.spec.output_tail) + " output tokens, exceeds the context of model '" + m.name +
                      "' (" + std::to_string(m.spec.max_context) + " tokens)");
  }
}

std::string restrict_cluster_to_gpu(cluster_entry& c, const std::string& name, const std::vector<std::string>& shipped_gpus) {
  std::vector<std::string> types;  // GPU types the sites have, in first-use order
  for (const site_entry& s : c.sites) {
    if (std::find(types.begin(), types.end(), s.gpu) == types.end()) types.push_back(s.gpu);
  }
  const std::string want = lower(name);
  std::string chosen;
  for (const std::string& t : types) {
    if (lower(t) == want) chosen = t;
  }
  if (chosen.empty()) {
    std::vector<std::string> prefixed;
    for (const std::string& t : types) {
      const std::string lt = lower(t);
      if (lt.size() > want.size() && lt.compare(0, want.size(), want) == 0 && lt[want.size()] == '-') prefixed.push_back(t);
    }
    if (prefixed.size() > 1) {
      throw usage_error("--gpu: \"" + name + "\" could be " + quoted_list(prefixed) + "; give the full name");
    }
    if (prefixed.size() == 1) chosen = prefixed.front();
  }
  if (chosen.empty()) {
    std::vector<std::string> known = types;
    for (const std::string& g : shipped_gpus) {
      if (std::find(known.begin(), known.end(), g) == known.end()) known.push_back(g);
    }
    bool is_gpu = false;
    for (const std::string& g : known) {
      const std::string lg = lower(g);
      is_gpu = is_gpu || lg == want || (lg.compare(0, want.size(), want) == 0 && lg.size() > want.size() && lg[want.size()] == '-');
    }
    std::vector<std::string> offered;
    for (const gpu_offer& o : c.offers) {
      if (std::find(offered.begin(), offered.end(), o.gpu) == offered.end()) offered.push_back(o.gpu);
    }
    throw usage_error("--gpu: " + (is_gpu ? "no site of cluster '" + c.name + "' has " + name + " GPUs"
                                          : "no GPU type named \"" + name + "\"" + did_you_mean(name, known)) +
                      "; its sites have " + quoted_list(types) +
                      (offered.empty() ? std::string()
                                       : " (GPUs on offer, " + quoted_list(offered) +
                                             ", are placed by the fleet allocation, not searched alone)") +
                      " (" + c.file.path + ")");
  }
  // Keep the sites and offers of that type, and only that type in the GPU list.
  std::vector<site_entry> sites;
  for (const site_entry& s : c.sites) {
    if (s.gpu == chosen) sites.push_back(s);
  }
  std::vector<gpu_offer> offers;
  for (const gpu_offer& o : c.offers) {
    if (o.gpu == chosen) offers.push_back(o);
  }
  const std::uint32_t index = sites.front().gpu_index;
  c.gpus = {c.gpus[index]};
  for (site_entry& s : sites) s.gpu_index = 0;
  for (gpu_offer& o : offers) o.gpu_index = 0;
  c.sites = std::move(sites);
  c.offers = std::move(offers);
  return chosen;
}

void restrict_grid_sites(grid_request& g, const cluster_entry& c, const input_overrides& o) {
  if (o.gpu.empty() || g.sites.empty()) return;
  std::vector<std::string> kept;
  for (const std::string& s : g.sites) {
    for (const site_entry& site : c.sites) {
      if (site.name == s) kept.push_back(s);
    }
  }
  if (kept.empty()) {
    throw usage_error("--gpu " + o.gpu + ": none of the sites the grid " + g.origin + " searches (" + quoted_list(g.sites) +
                      ") has " + o.gpu_type + " GPUs");
  }
  g.sites = kept;
}

nlohmann::ordered_json overrides_json(const input_overrides& o) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (o.tokens_per_day > 0.0) j["target"] = {{"given", o.target_text}, {"tokens_per_day", o.tokens_per_day}};
  if (o.input_tokens > 0.0) j["input_tokens"] = o.input_tokens;
  if (o.output_tokens > 0.0) j["output_tokens"] = o.output_tokens;
  if (o.ttft_ms > 0.0) j["ttft_slo_ms"] = o.ttft_ms;
  if (o.tpot_ms > 0.0) j["tpot_slo_ms"] = o.tpot_ms;
  if (!o.gpu.empty()) j["gpu"] = {{"given", o.gpu}, {"type", o.gpu_type}};
  if (o.weights >= 0) j["weights"] = precision_name(static_cast<std::uint8_t>(o.weights));
  if (o.kv >= 0) j["kv_cache"] = precision_name(static_cast<std::uint8_t>(o.kv));
  return j;
}

std::string overrides_text(const input_overrides& o) {
  std::string s;
  auto add = [&](const std::string& x) { s += (s.empty() ? "" : ", ") + x; };
  if (o.tokens_per_day > 0.0) add("--target " + o.target_text + " (" + fmt("%.4g", o.tokens_per_day) + " tokens/day)");
  if (o.input_tokens > 0.0) add("--isl " + fmt("%.0f", o.input_tokens));
  if (o.output_tokens > 0.0) add("--osl " + fmt("%.0f", o.output_tokens));
  if (o.ttft_ms > 0.0) add("--ttft " + fmt("%g", o.ttft_ms) + " ms");
  if (o.tpot_ms > 0.0) add("--tpot " + fmt("%g", o.tpot_ms) + " ms");
  if (!o.gpu.empty()) add("--gpu " + o.gpu + (o.gpu_type.empty() || o.gpu_type == o.gpu ? "" : " (" + o.gpu_type + ")"));
  if (o.weights >= 0) add(std::string("--weights ") + precision_name(static_cast<std::uint8_t>(o.weights)));
  if (o.kv >= 0) add(std::string("--kv ") + precision_name(static_cast<std::uint8_t>(o.kv)));
  return s;
}

}  // namespace tokenplan
