// The terminal's pure parts: the token-rate parser and the other overrides, the GPU
// restriction, CSV quoting and locale-free numbers, help text to roff, and the explanation of
// an empty plan checked against a brute-force pass over the whole grid.
#include <gtest/gtest.h>

#include <clocale>
#include <cmath>
#include <limits>
#include <locale>

#include "base/errors.hpp"
#include "cli/man_page.hpp"
#include "io/overrides.hpp"
#include "search/plan.hpp"
#include "report/plan_formats.hpp"
#include "temp_dir.hpp"

namespace tokenplan {
namespace {

using nlohmann::json;
using testing::shipped;
using testing::temp_dir;

/// Runs f, expects usage_error whose message holds every needle.
template <class F>
void expect_usage_error(F f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "expected usage_error";
  } catch (const usage_error& e) {
    for (const std::string& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what() << "\nwanted: " << n;
  }
}

TEST(TokenRate, AcceptsEveryDocumentedForm) {
  struct c { const char* text; double per_day; };
  const c cases[] = {
      {"30e12/day", 30e12},        {"30T/day", 30e12},         {"347M/s", 347e6 * 86400.0},
      {"1.2e9/h", 1.2e9 * 24.0},   {"5k/min", 5e3 * 1440.0},   {"2B/d", 2e9},
      {"1.5G/hour", 1.5e9 * 24.0}, {"100K/sec", 1e5 * 86400.0}, {"7T/second", 7e12 * 86400.0},
      {"3/minute", 3.0 * 1440.0},  {"2e3k/hr", 2e6 * 24.0},     {" 30T / Day ", 30e12},
      {"+4T/day", 4e12},           {"0.5T/DAY", 0.5e12},
  };
  for (const c& x : cases) {
    EXPECT_NEAR(parse_tokens_per_day(x.text), x.per_day, x.per_day * 1e-15) << x.text;
  }
}

TEST(TokenRate, RejectsWithTheOptionTheFormsAndWhatWasFound) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"30e12", "no period"},
      {"30T/week", "unknown period \"week\""},
      {"30T/dy", "did you mean 'day'"},
      {"abc/day", "\"abc\" is not a number"},
      {"30X/day", "\"30X\" is not a number"},
      {"-5/day", "must be positive"},
      {"0/s", "must be positive"},
      {"30m/s", "use M for million"},
      {"/day", "no number"},
      {"1e20/day", "above the 1e18 limit"},
      {"1e-300/day", "below the floor of 1 token a day"},
      {"0.5/day", "below the floor of 1 token a day"},
      {"30,5T/day", "is not a number"},
      {"", "no period"},
  };
  for (const auto& b : bad) {
    expect_usage_error([&] { parse_tokens_per_day(b.first); },
                       {"--target: expected a token rate such as 30T/day", "found \"" + b.first + "\"", b.second});
  }
}

TEST(Overrides, NumbersAreCheckedAndNamed) {
  EXPECT_EQ(parse_positive("20", "--tpot", 1e8, false), 20.0);
  EXPECT_EQ(parse_positive("12.5", "--tpot", 1e8, false), 12.5);
  EXPECT_EQ(parse_positive("2048", "--isl", 1e7, true), 2048.0);
  expect_usage_error([] { parse_positive("0", "--tpot", 1e8, false); }, {"--tpot: expected a number above 0", "found \"0\""});
  expect_usage_error([] { parse_positive("-3", "--ttft", 1e8, false); }, {"--ttft", "found \"-3\""});
  expect_usage_error([] { parse_positive("fast", "--ttft", 1e8, false); }, {"--ttft", "found \"fast\""});
  expect_usage_error([] { parse_positive("1.5", "--isl", 1e7, true); }, {"--isl: expected a whole number", "found \"1.5\""});
  expect_usage_error([] { parse_positive("2e7", "--osl", 1e7, true); }, {"--osl", "at most 10000000"});
}

TEST(Overrides, ApplyToTheLoadedWorkload) {
  workload_entry w = load_workload(shipped("workloads/chat-30tn.json"));
  const double peak = w.spec.peak_to_average;
  input_overrides o;
  o.tokens_per_day = 1e12;
  o.input_tokens = 1000;
  o.output_tokens = 200;
  o.ttft_ms = 1500;
  o.tpot_ms = 40;
  apply_workload_overrides(w, o);
  EXPECT_EQ(w.spec.tokens_per_day, 1e12);
  EXPECT_EQ(w.spec.input_tokens, 1000);
  EXPECT_EQ(w.spec.input_tail, 1000);
  EXPECT_EQ(w.spec.input_sq_mean, 1e6);
  EXPECT_EQ(w.input.form, "fixed");
  EXPECT_EQ(w.spec.output_tokens, 200);
  EXPECT_EQ(w.spec.output_tail, 200);
  EXPECT_DOUBLE_EQ(w.spec.ttft_slo_s, 1.5);
  EXPECT_DOUBLE_EQ(w.spec.tpot_slo_s, 0.04);
  EXPECT_EQ(w.spec.peak_to_average, peak) << "what is not overridden stays";
  const json j = json::parse(overrides_json(o).dump());
  EXPECT_EQ(j["input_tokens"], 1000);
  EXPECT_EQ(j["tpot_slo_ms"], 40);

  model_entry small = load_model(shipped("models/llama-2-70b.json"));  // 4,096-token context
  input_overrides longer;
  longer.input_tokens = 4000;
  longer.output_tokens = 200;
  workload_entry w2 = load_workload(shipped("workloads/chat-30tn.json"));
  apply_workload_overrides(w2, longer);
  expect_usage_error([&] { check_context(w2, small, longer); }, {"--isl/--osl", "4000 input + 200 output", "llama-2-70b", "4096"});
}

TEST(Overrides, GpuRestrictionKeepsOnlyThatTypeAndSuggestsNames) {
  const calibration cal = load_calibration(shipped("calibration.json"));
  const std::vector<std::string> gpu_dirs = {shipped("gpus")};
  const std::vector<std::string> shipped_gpus = catalog_names(gpu_dirs);
  cluster_entry c = load_cluster(shipped("clusters/bytedance-2026.json"), gpu_dirs, cal);
  ASSERT_GT(c.sites.size(), 1u);
  cluster_entry h20 = c;
  EXPECT_EQ(restrict_cluster_to_gpu(h20, "H20", shipped_gpus), "h20");
  ASSERT_EQ(h20.sites.size(), 1u);
  EXPECT_EQ(h20.sites[0].name, "datong-cn");
  ASSERT_EQ(h20.gpus.size(), 1u);
  EXPECT_EQ(h20.gpus[0].name, "h20");
  EXPECT_EQ(h20.sites[0].gpu_index, 0u);
  EXPECT_TRUE(h20.offers.empty()) << "offers of other types go too";
  cluster_entry h200 = c;
  EXPECT_EQ(restrict_cluster_to_gpu(h200, "h200", shipped_gpus), "h200-sxm") << "a prefix up to '-'";
  EXPECT_EQ(h200.sites.size(), 3u);
  for (const site_entry& s : h200.sites) EXPECT_EQ(h200.gpus[s.gpu_index].name, "h200-sxm");
  cluster_entry x = c;
  expect_usage_error([&] { restrict_cluster_to_gpu(x, "b200", shipped_gpus); },
                     {"--gpu: no site of cluster 'bytedance-2026' has b200 GPUs", "'h200-sxm', 'h20'"});
  expect_usage_error([&] { restrict_cluster_to_gpu(x, "h2000", shipped_gpus); },
                     {"--gpu: no GPU type named \"h2000\"", "did you mean"});
  expect_usage_error([&] { restrict_cluster_to_gpu(x, "mi30x", shipped_gpus); }, {"did you mean 'mi300x'"});
}

TEST(Csv, QuotesPerRfc4180AndWritesNumbersWithoutTheLocale) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("P:t1 c8192 | D:t8 b64"), "P:t1 c8192 | D:t8 b64");
  // A global C++ locale with ',' as the decimal point, and the C locale too where installed.
  struct comma : std::numpunct<char> {
    char do_decimal_point() const override { return ','; }
    char do_thousands_sep() const override { return '.'; }
    std::string do_grouping() const override { return "\3"; }
  };
  const std::locale before = std::locale::global(std::locale(std::locale::classic(), new comma));
  const bool c_comma = std::setlocale(LC_NUMERIC, "de_DE.UTF-8") != nullptr;
  EXPECT_EQ(csv_number(0.186), "0.186");
  EXPECT_EQ(csv_number(5576681.18812), "5576681.188");
  EXPECT_EQ(csv_number(111736), "111736");
  EXPECT_EQ(csv_number(std::numeric_limits<double>::infinity()), "");
  std::locale::global(before);
  if (c_comma) std::setlocale(LC_NUMERIC, "C");
}

TEST(ManPage, HelpLayoutMapsOntoManMacros) {
  const std::string help =
      "tokenplan demo - a demonstration\n"
      "\n"
      "Usage:\n"
      "  tokenplan demo --x N [options]\n"
      "\n"
      "Options:\n"
      "  --x N          the number of \"things\", with a long description that goes on\n"
      "                 to a second line\n"
      "                   {\"json\": 1}\n"
      "  --y            a flag\n"
      "\n"
      ".dot at the start and a back\\slash.\n";
  const std::string r = help_to_roff(help);
  EXPECT_NE(r.find(".B \"Usage:\"\n.RS 2\n.nf\ntokenplan demo \\-\\-x N [options]\n.fi\n.RE\n"), std::string::npos) << r;
  EXPECT_NE(r.find(".TP\n.B \"\\-\\-x N\"\nthe number of \"things\", with a long description that goes on\nto a second line\n"),
            std::string::npos) << r;
  EXPECT_NE(r.find(".nf\n  {\"json\": 1}\n.fi\n"), std::string::npos) << r;
  EXPECT_NE(r.find(".TP\n.B \"\\-\\-y\"\na flag\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\\&.dot at the start and a back\\eslash."), std::string::npos) << r;
  const std::string page = man_page("tokenplan 1 - top\n\nUsage:\n  tokenplan demo\n\nProse.\n", {{"demo", help}}, "9.9");
  EXPECT_EQ(page.find(".TH TOKENPLAN 1 \"\" \"tokenplan 9.9\""), page.find(".TH"));
  EXPECT_NE(page.find(".SH SYNOPSIS\ntokenplan demo\n"), std::string::npos) << page;
  EXPECT_NE(page.find(".SH \"DEMO\"\n.B \"tokenplan demo\"\n\\- a demonstration\n"), std::string::npos) << page;
}

// ---- the explanation of an empty plan, against brute force -----------------------------------

/// A one-site H20 cluster and a grid of both modes small enough to evaluate every point.
plan_request h20_request(const temp_dir& t, const std::string& model, const input_overrides& o, bool tp1_only) {
  json site = {{"name", "dc"}, {"gpu", "h20"}, {"gpus", 800}, {"gpus_per_node", 8},
               {"pricing", {{"type", "lease"}, {"usd_per_gpu_hour", 1.0}, {"includes_power", true}}}, {"pue", 1.2}};
  json tp = tp1_only ? json({1}) : json({1, 2, 4, 8});
  json grid = {{"modes", {"aggregated", "disaggregated"}},
               {"aggregated", {{"tp", tp}, {"pp", {1, 2}}, {"chunk_tokens", {512, 2048, 8192}},
                               {"batch", {{"min", 1}, {"max", 512}, {"per_octave", 2}}}}},
               {"prefill", {{"tp", tp}, {"pp", {1}}, {"chunk_tokens", {2048, 8192}}}},
               {"decode", {{"tp", tp}, {"pp", {1}}, {"batch", {{"min", 1}, {"max", 512}, {"per_octave", 2}}}}}};
  plan_request r;
  r.cluster_path = t.write_json("clusters/one.json", {{"name", "one"}, {"sites", {site}}});
  r.model_path = shipped("models/" + model + ".json");
  r.workload_path = shipped("workloads/chat-30tn.json");
  r.grid_path = t.write_json("grids/g.json", grid);
  r.gpu_dirs = {shipped("gpus")};
  r.calibration_path = shipped("calibration.json");
  r.backend = "cpu";
  r.threads = 2;
  r.top_n = 3;
  r.overrides = o;
  return r;
}

/// Every point of the grid in full: the furthest check reached and the least TPOT, TTFT or
/// memory shortfall at that check.
struct brute {
  std::uint8_t furthest = 0;
  double best = std::numeric_limits<double>::infinity();
};

brute brute_force(const problem& p) {
  brute b;
  const gpu_spec& g = p.sites[0].gpu;
  for (std::uint64_t i = 0; i < grid_size(p.grid); ++i) {
    const evaluation e = evaluate(p, i, eval_full);
    EXPECT_NE(e.reason, reason_feasible);
    double v = 0.0;
    if (e.reason == reason_tpot) v = e.m.tpot_s;
    if (e.reason == reason_ttft) v = e.m.ttft_s;
    if (e.reason == reason_memory) {
      auto need = [&](const pool_metrics& pm) {
        return g.memory_reserve_bytes + pm.weight_bytes + pm.activation_bytes + pm.kv_bytes_needed / g.memory_usable_fraction;
      };
      v = need(e.m.main) - g.hbm_bytes;
      if (e.cfg.mode == mode_disaggregated) v = std::max(v, need(e.m.prefill) - g.hbm_bytes);
    }
    if (e.reason > b.furthest) {
      b.furthest = e.reason;
      b.best = v;
    } else if (e.reason == b.furthest) {
      b.best = std::min(b.best, v);
    }
  }
  return b;
}

TEST(Infeasible, TpotBindingMatchesBruteForce) {
  temp_dir t;
  input_overrides o;
  o.tpot_ms = 8;
  plan_result r = run_plan(h20_request(t, "llama-3.1-70b", o, false));
  ASSERT_TRUE(r.top.empty());
  ASSERT_TRUE(r.no_feasible.computed);
  ASSERT_EQ(r.no_feasible.by_gpu.size(), 1u);
  const infeasible_gpu& g = r.no_feasible.by_gpu[0];
  const brute b = brute_force(*r.prob);
  EXPECT_EQ(g.reason, reason_tpot);
  EXPECT_EQ(b.furthest, reason_tpot);
  EXPECT_NEAR(g.closest, b.best * 1e3, 1e-9 * b.best * 1e3);
  EXPECT_GT(g.closest, 8.0);
  EXPECT_EQ(g.limit, 8.0);
  EXPECT_NE(g.detail.find("TPOT SLO 8 ms: no configuration of llama-3.1-70b on h20 reaches below"), std::string::npos) << g.detail;
  EXPECT_NEAR(g.closest_eval.m.tpot_s * 1e3, g.closest, 1e-9);
  EXPECT_LT(r.no_feasible.configurations_scanned, r.stats.grid_size / 4) << "one batch per pool, not the whole grid";
  EXPECT_EQ(r.stats.counts[r.no_feasible.most_ruled_out], r.no_feasible.most_ruled_out_count);
}

TEST(Infeasible, TtftBindingMatchesBruteForce) {
  temp_dir t;
  input_overrides o;
  o.ttft_ms = 5;
  o.tpot_ms = 1000;
  plan_result r = run_plan(h20_request(t, "llama-3.1-8b", o, false));
  ASSERT_TRUE(r.top.empty());
  ASSERT_EQ(r.no_feasible.by_gpu.size(), 1u);
  const infeasible_gpu& g = r.no_feasible.by_gpu[0];
  const brute b = brute_force(*r.prob);
  EXPECT_EQ(g.reason, reason_ttft);
  EXPECT_EQ(b.furthest, reason_ttft);
  EXPECT_NEAR(g.closest, b.best * 1e3, 1e-9 * b.best * 1e3);
  EXPECT_NE(g.detail.find("TTFT SLO 5 ms (p99)"), std::string::npos) << g.detail;
}

TEST(Infeasible, MemoryBindingMatchesBruteForce) {
  temp_dir t;
  plan_result r = run_plan(h20_request(t, "llama-3.1-405b", input_overrides{}, true));
  ASSERT_TRUE(r.top.empty());
  ASSERT_EQ(r.no_feasible.by_gpu.size(), 1u);
  const infeasible_gpu& g = r.no_feasible.by_gpu[0];
  const brute b = brute_force(*r.prob);
  EXPECT_EQ(g.reason, reason_memory);
  EXPECT_EQ(b.furthest, reason_memory);
  EXPECT_NEAR(g.closest, b.best / (1024.0 * 1024.0 * 1024.0), 1e-9 * g.closest);
  EXPECT_GT(g.closest, 50.0) << "405B on one or two 96 GiB GPUs is far from fitting";
  EXPECT_NE(g.detail.find("memory: no configuration of llama-3.1-405b on h20 fits in its 95.6 GiB"), std::string::npos)
      << g.detail;
}

// Issue 14: the least relaxed SLO and the longest prompt. With a stand-in feasibility check the
// answers can be checked by hand; with the real search, against a pass over the whole grid.
TEST(Infeasible, RelaxedTpotIsTheLeastTenthOfAMillisecondTheCheckAccepts) {
  temp_dir t;
  input_overrides o;
  o.tpot_ms = 8;
  plan_result r = run_plan(h20_request(t, "llama-3.1-70b", o, false));
  ASSERT_EQ(r.no_feasible.by_gpu.size(), 1u);
  infeasible_explanation x = r.no_feasible;
  x.by_gpu[0].relax = {};
  x.relax = {};
  ASSERT_LT(x.by_gpu[0].closest, 31.2);
  relax_slos(r.inputs, *r.prob, x, [](const problem& q) { return q.workload.tpot_slo_s >= 31.2e-3; });
  const infeasible_relax& g = x.by_gpu[0].relax;
  ASSERT_TRUE(g.found);
  EXPECT_EQ(g.what, "tpot_ms");
  EXPECT_EQ(g.from, 8.0);
  EXPECT_EQ(g.to, 31.2);  // 31.1 fails the stand-in, 31.2 passes: the step is 0.1 ms
  EXPECT_FALSE(g.also);
  EXPECT_LE(g.searches, 1 + 3 + 12) << "a start, at most 3 doublings, a bisection over at most 8x the start";
  EXPECT_EQ(x.relax.to, 31.2);
  EXPECT_EQ(relax_text(g), "relax the TPOT SLO from 8 ms to 31.2 ms (--tpot 31.2)");
  // A check nothing passes: the answer says how far it tried.
  x.by_gpu[0].relax = {};
  x.relax = {};
  relax_slos(r.inputs, *r.prob, x, [](const problem&) { return false; });
  EXPECT_TRUE(x.by_gpu[0].relax.computed);
  EXPECT_FALSE(x.by_gpu[0].relax.found);
  EXPECT_GT(x.by_gpu[0].relax.tried, 7.9 * x.by_gpu[0].closest);
}

TEST(Infeasible, RelaxedTpotMatchesBruteForce) {
  temp_dir t;
  input_overrides o;
  o.tpot_ms = 8;
  o.ttft_ms = 100000;  // TPOT alone binds
  plan_result r = run_plan(h20_request(t, "llama-3.1-70b", o, false));
  ASSERT_EQ(r.no_feasible.by_gpu.size(), 1u);
  const infeasible_relax& g = r.no_feasible.by_gpu[0].relax;
  ASSERT_TRUE(g.found) << relax_text(g);
  ASSERT_FALSE(g.also);
  // The least TPOT of any configuration feasible without a TPOT SLO, over the whole grid.
  problem q = *r.prob;
  q.workload.tpot_slo_s = 1e9;
  double least = std::numeric_limits<double>::infinity();
  for (std::uint64_t i = 0; i < grid_size(q.grid); ++i) {
    const evaluation e = evaluate(q, i, eval_full);
    if (e.reason == reason_feasible) least = std::min(least, e.m.tpot_s);
  }
  ASSERT_TRUE(std::isfinite(least));
  EXPECT_GE(g.to * 1e-3, least);
  EXPECT_LT((g.to - 0.1) * 1e-3, least) << "0.1 ms less would not do";
}

TEST(Infeasible, LongestPromptIsTheLongestTheCheckAccepts) {
  temp_dir t;
  plan_result r = run_plan(h20_request(t, "llama-3.1-405b", input_overrides{}, true));
  ASSERT_EQ(r.no_feasible.by_gpu.size(), 1u);
  ASSERT_EQ(r.no_feasible.by_gpu[0].reason, reason_memory);
  infeasible_explanation x = r.no_feasible;
  x.longest = {};
  longest_prompt(r.inputs, x, [](const problem& q) {
    EXPECT_EQ(q.workload.input_tokens, q.workload.input_tail) << "every prompt as long, as --isl sets it";
    return q.workload.input_tail <= 3000.0;
  });
  ASSERT_TRUE(x.longest.found);
  EXPECT_EQ(x.longest.to, 3000.0);
  EXPECT_EQ(x.longest.from, r.inputs.workload.spec.input_tail);
  EXPECT_LE(x.longest.searches, 1 + 13) << "1 token, then a bisection below the tail of " << x.longest.from;
  EXPECT_EQ(longest_prompt_text(x.longest).rfind("the longest prompt that fits is 3,000 tokens (--isl 3000)", 0), 0u);
  // Not even a 1-token prompt: said so.
  x.longest = {};
  longest_prompt(r.inputs, x, [](const problem&) { return false; });
  EXPECT_TRUE(x.longest.computed);
  EXPECT_FALSE(x.longest.found);
  // The real search: 405B never fits one 96 GiB GPU, whatever the prompt.
  EXPECT_TRUE(r.no_feasible.longest.computed);
  EXPECT_FALSE(r.no_feasible.longest.found);
}

}  // namespace
}  // namespace tokenplan
