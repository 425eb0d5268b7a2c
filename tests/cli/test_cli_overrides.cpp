// The input overrides and the solver options through the real binary: applied, recorded, refused.
#include <gtest/gtest.h>

#include <regex>

#include "cli_terminal_support.hpp"
#include "run_tool.hpp"
#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using tokenplan::testing::cli_terminal::has;
using tokenplan::testing::cli_terminal::parse_csv;
using tokenplan::testing::cli_terminal::plan_8b;
using tokenplan::testing::run_tokenplan;
using tokenplan::testing::temp_dir;
using tokenplan::testing::tool_result;

TEST(CliOverrides, AreAppliedAndRecordedInTheJson) {
  tool_result r = run_tokenplan(plan_8b({"--target", "1T/day", "--isl", "1000", "--osl", "200", "--ttft", "1500",
                                         "--tpot", "40", "--top", "5"}));
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  const json& d = j["demand"];
  EXPECT_EQ(d["tokens_per_day"], 1e12);
  EXPECT_EQ(d["input_tokens_mean"], 1000);
  EXPECT_EQ(d["input_tokens_tail"], 1000);
  EXPECT_EQ(d["output_tokens_mean"], 200);
  EXPECT_EQ(d["ttft_slo_ms"], 1500);
  EXPECT_EQ(d["tpot_slo_ms"], 40);
  const json& o = j["inputs"]["overrides"];
  EXPECT_EQ(o["target"]["given"], "1T/day");
  EXPECT_EQ(o["target"]["tokens_per_day"], 1e12);
  EXPECT_EQ(o["input_tokens"], 1000);
  EXPECT_EQ(o["output_tokens"], 200);
  EXPECT_EQ(o["ttft_slo_ms"], 1500);
  EXPECT_EQ(o["tpot_slo_ms"], 40);
  ASSERT_FALSE(j["results"].empty());
  for (const json& x : j["results"]) {
    EXPECT_LE(x["latency"]["tpot_ms"].get<double>(), 40.0);
    EXPECT_LE(x["latency"]["ttft_ms"].get<double>(), 1500.0);
  }
  EXPECT_EQ(j["fleet"]["demand"]["tokens_per_day"], 1e12) << "the fleet sees the same demand";
  // A rate per second is the same target per day.
  tool_result s = run_tokenplan(plan_8b({"--target", "11574074.074074074/s", "--top", "1"}));
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_NEAR(json::parse(s.out)["demand"]["tokens_per_day"].get<double>(), 1e12, 1e3);
  // Without overrides the JSON has no overrides section (the golden output is unchanged).
  tool_result plain = run_tokenplan(plan_8b({"--top", "1"}));
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_FALSE(json::parse(plain.out)["inputs"].contains("overrides"));
  // The table says what was used.
  tool_result table = run_tokenplan(plan_8b({"--tpot", "40", "--format", "table", "--top", "3"}));
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_TRUE(has(table.out, "overrides: --tpot 40 ms")) << table.out;
  EXPECT_TRUE(has(table.out, "TPOT 40 ms")) << table.out;
}

TEST(CliOverrides, GpuRestrictsTheSites) {
  tool_result r = run_tokenplan({"plan", "--cluster", "bytedance-2026", "--model", "llama-3.1-8b", "--workload", "chat-30tn",
                                 "--gpu", "h20", "--top", "4", "--backend", "cpu", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["inputs"]["overrides"]["gpu"]["type"], "h20");
  ASSERT_FALSE(j["results"].empty());
  for (const json& x : j["results"]) EXPECT_EQ(x["config"]["gpu"], "h20");
  for (const json& p : j["fleet"]["plan"]["pools"]) EXPECT_EQ(p["gpu"], "h20");
  ASSERT_EQ(j["capacity"]["gpus_by_type"].size(), 1u);
  EXPECT_EQ(j["capacity"]["gpus_by_type"][0]["gpu"], "h20");
  tool_result h200 = run_tokenplan({"plan", "--cluster", "bytedance-2026", "--model", "llama-3.1-8b", "--workload",
                                    "chat-30tn", "--gpu", "h200", "--top", "2", "--backend", "cpu", "--quiet"});
  ASSERT_EQ(h200.code, 0) << h200.err;
  EXPECT_EQ(json::parse(h200.out)["inputs"]["overrides"]["gpu"]["type"], "h200-sxm");
}

TEST(CliOverrides, WeightsAndKvPinThePrecisions) {
  // B200 wins with FP4 weights when it may; --weights fp8 asks for FP8 and gets only FP8.
  for (const char* w : {"fp8", "bf16"}) {
    tool_result r = run_tokenplan(plan_8b({"--weights", w, "--kv", "fp8", "--top", "6"}));
    ASSERT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["inputs"]["overrides"]["weights"], w);
    EXPECT_EQ(j["inputs"]["overrides"]["kv_cache"], "fp8");
    ASSERT_FALSE(j["results"].empty());
    for (const json& x : j["results"]) {
      EXPECT_EQ(x["config"]["weight_precision"], w) << x.dump();
      EXPECT_EQ(x["config"]["kv_precision"], "fp8") << x.dump();
    }
  }
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--weights", "fp6"}, "--weights: expected bf16, fp8 or fp4, found \"fp6\""},
      {{"--kv", "fp4"}, "--kv: fp4 is not a KV-cache format"},
      {{"--kv", "bf61"}, "(did you mean 'bf16'?)"},
  };
  for (const auto& c : bad) {
    tool_result r = run_tokenplan(plan_8b(c.first));
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_TRUE(has(r.err, c.second)) << "wanted: " << c.second << "\ngot: " << r.err;
  }
}

TEST(CliOverrides, TargetScalesADemandFile) {
  temp_dir t;
  json site = {{"name", "a"}, {"gpu", "h200-sxm"}, {"gpus", 400}, {"gpus_per_node", 8},
               {"pricing", {{"type", "lease"}, {"usd_per_gpu_hour", 2.0}, {"includes_power", true}}}, {"pue", 1.3}};
  const std::string c = t.write_json("clusters/small.json", {{"name", "small"}, {"sites", {site}}});
  t.write_json("demands/grid.json", {{"modes", {"aggregated"}}, {"weight_precisions", {"fp8"}}, {"kv_precisions", {"fp8"}},
                                     {"aggregated", {{"tp", {1}}, {"pp", {1}}, {"chunk_tokens", {8192}}, {"batch", {32, 64, 128}}}}});
  json dem = {{"name", "d"}, {"tokens_per_day", 2e11},
              {"classes", {{{"name", "chat"}, {"share", 1.0}, {"model", "llama-3.1-8b"}, {"workload", "chat-30tn"}, {"grid", "grid.json"}}}},
              {"profile", {{"peak_to_average", 1.5}}}};
  const std::string d = t.write_json("demands/d.json", dem);
  tool_result r = run_tokenplan({"plan", "--cluster", c, "--demand", d, "--target", "5e10/day", "--backend", "cpu"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["fleet"]["demand"]["tokens_per_day"], 5e10);
  EXPECT_EQ(j["inputs"]["overrides"]["target"]["given"], "5e10/day");
  // CSV of a demand plan: one row per site and configuration.
  tool_result csv = run_tokenplan({"plan", "--cluster", c, "--demand", d, "--backend", "cpu", "--format", "csv"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  bool crlf = false;
  auto rows = parse_csv(csv.out, &crlf);
  ASSERT_GE(rows.size(), 2u) << csv.out;
  for (const auto& row : rows) EXPECT_EQ(row.size(), rows[0].size());
  EXPECT_EQ(rows[0][0], "site");
  EXPECT_EQ(rows[1][0], "a");
  // Markdown and capacity as Markdown.
  tool_result md = run_tokenplan({"plan", "--cluster", c, "--demand", d, "--backend", "cpu", "--format", "md"});
  ASSERT_EQ(md.code, 0) << md.err;
  EXPECT_TRUE(has(md.out, "| class | share | model |")) << md.out;
  tool_result cap = run_tokenplan({"capacity", "--cluster", c, "--demand", d, "--backend", "cpu", "--format", "md"});
  ASSERT_EQ(cap.code, 0) << cap.err;
  EXPECT_TRUE(has(cap.out, "**The cluster as it is carries")) << cap.out;
  // The shape overrides need one workload.
  tool_result bad = run_tokenplan({"plan", "--cluster", c, "--demand", d, "--tpot", "30"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(has(bad.err, "--isl, --osl, --ttft and --tpot change one workload")) << bad.err;
  bad = run_tokenplan({"plan", "--cluster", c, "--demand", d, "--pareto"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(has(bad.err, "--pareto traces one model's frontier")) << bad.err;
}

TEST(CliOverrides, EveryErrorNamesTheOptionAndWhatWasFound) {
  struct bad {
    std::vector<std::string> args;
    std::string want;
  };
  const std::vector<bad> cases = {
      {{"--target", "30e12"}, "--target: expected a token rate such as 30T/day"},
      {{"--target", "30e12"}, "found \"30e12\": no period"},
      {{"--target", "30T/week"}, "unknown period \"week\""},
      {{"--target", "lots/day"}, "\"lots\" is not a number"},
      {{"--isl", "0"}, "--isl: expected a whole number above 0 and at most 10000000, found \"0\""},
      {{"--osl", "12.5"}, "--osl: expected a whole number"},
      {{"--ttft", "soon"}, "--ttft: expected a number above 0 and at most 100000000, found \"soon\""},
      {{"--tpot", "-1"}, "--tpot: expected a number above 0"},
      {{"--isl", "200000"}, "--isl: the tail request, 200000 input + 601 output tokens, exceeds the context of model"},
      {{"--gpu", "b200"}, "--gpu: no site of cluster 'bytedance-h200-overseas' has b200 GPUs; its sites have 'h200-sxm'"},
      {{"--gpu", "h2OO"}, "--gpu: no GPU type named \"h2OO\" (did you mean"},
      {{"--format", "xml"}, "--format: expected json, table, csv or md, found \"xml\""},
      {{"--format", "csv", "--pareto"}, "--pareto: csv holds the ranked configurations only"},
      {{"--taget", "1T/day"}, "unknown option '--taget' (did you mean 'target'?)"},
  };
  for (const bad& c : cases) {
    tool_result r = run_tokenplan(plan_8b(c.args));
    EXPECT_EQ(r.code, 2) << c.want << ": " << r.err;
    EXPECT_TRUE(has(r.err, c.want)) << "wanted: " << c.want << "\ngot: " << r.err;
    EXPECT_TRUE(r.out.empty()) << c.want;
  }
  tool_result cap = run_tokenplan({"capacity", "--cluster", "bytedance-h200-overseas", "--model", "llama-3.1-8b",
                                   "--workload", "chat-30tn", "--format", "csv"});
  EXPECT_EQ(cap.code, 2);
  EXPECT_TRUE(has(cap.err, "--format: expected json, table or md, found \"csv\"")) << cap.err;
}

TEST(CliSolver, BadSolverTimeLimitAndGapAreUsageErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--solver", "gurobi"}, "--solver: expected cbc or glpk, found \"gurobi\""},
      {{"--solver", "cbs"}, "(did you mean 'cbc'?)"},
      {{"--time-limit", "0"}, "--time-limit: expected a number above 0 and at most 604800, found \"0\""},
      {{"--time-limit", "-5"}, "--time-limit: expected a number above 0"},
      {{"--time-limit", "soon"}, "--time-limit: expected a number above 0 and at most 604800, found \"soon\""},
      {{"--time-limit", "1e9"}, "--time-limit: expected a number above 0 and at most 604800, found \"1e9\""},
      {{"--mip-gap", "1"}, "--mip-gap: expected a fraction from 0 to below 1 (0.001 = 0.1%), found \"1\""},
      {{"--mip-gap", "-0.01"}, "--mip-gap: expected a fraction from 0 to below 1"},
      {{"--mip-gap", "0.1%"}, "--mip-gap: expected a fraction from 0 to below 1 (0.001 = 0.1%), found \"0.1%\""},
      {{"--mip-gap", "nan"}, "--mip-gap: expected a fraction from 0 to below 1"},
  };
  for (const auto& c : cases) {
    for (const char* command : {"plan", "capacity"}) {
      std::vector<std::string> args = plan_8b(c.first);
      args[0] = command;
      tool_result r = run_tokenplan(args);
      EXPECT_EQ(r.code, 2) << command << " " << c.second << ": " << r.err;
      EXPECT_TRUE(has(r.err, c.second)) << "wanted: " << c.second << "\ngot: " << r.err;
      EXPECT_TRUE(r.out.empty()) << c.second;
    }
  }
}

TEST(CliSolver, TheSolverItsGapAndLimitReachTheReport) {
  tool_result r = run_tokenplan(plan_8b({"--solver", "glpk", "--mip-gap", "0.01", "--time-limit", "30"}));
  ASSERT_EQ(r.code, 0) << r.err;
  json s = json::parse(r.out)["fleet"]["plan"]["solver"];
  EXPECT_EQ(s["name"], "glpk");
  EXPECT_EQ(s["library"].get<std::string>().rfind("GLPK ", 0), 0u) << s;
  EXPECT_EQ(s["outcome"], "optimal");
  EXPECT_EQ(s["mip_gap"].get<double>(), 0.01);
  EXPECT_EQ(s["time_limit_s"].get<double>(), 30.0);
  EXPECT_LE(s["gap"].get<double>(), 0.01);
  EXPECT_LE(s["bound"].get<double>(), s["objective"].get<double>() * (1 + 1e-9));

  // The default: CBC, 0.1%, no time limit; the table names the solver and its gap.
  r = run_tokenplan(plan_8b({"--format", "table"}));
  ASSERT_EQ(r.code, 0) << r.err;
  // The line wraps at 100 columns: join its continuation lines first.
  const std::string joined = std::regex_replace(r.out, std::regex("\n +"), " ");
  EXPECT_TRUE(has(joined, "solver CBC ")) << r.out;
  EXPECT_TRUE(has(joined, "(asked: gap 0.1%, time limit none)")) << r.out;
  std::vector<std::string> cap = plan_8b({"--time-limit", "none"});
  cap[0] = "capacity";
  r = run_tokenplan(cap);
  ASSERT_EQ(r.code, 0) << r.err;
  s = json::parse(r.out)["capacity"]["solver"];
  EXPECT_EQ(s["name"], "cbc");
  EXPECT_EQ(s["mip_gap"].get<double>(), 0.001);
  EXPECT_TRUE(s["time_limit_s"].is_null());
  EXPECT_GE(s["bound"].get<double>(), s["objective"].get<double>() * (1 - 1e-9));  // maximising
}

}  // namespace
