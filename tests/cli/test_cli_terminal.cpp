// The terminal through the real binary: tokenplan list, the input overrides and their record in
// the JSON, csv parsed back, Markdown tables, the Pareto view, the explanation of an empty plan,
// the manual page against every command's --help, 100-column tables, and every new error path
// (exit 2, the option named with what was expected and what was found).
#include <gtest/gtest.h>

#include <fstream>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include "run_tool.hpp"
#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using tokenplan::testing::read_text;
using tokenplan::testing::run_tokenplan;
using tokenplan::testing::shipped;
using tokenplan::testing::temp_dir;
using tokenplan::testing::tool_result;

std::vector<std::string> plan_8b(std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"plan", "--cluster", "bytedance-h200-overseas", "--model", "llama-3.1-8b",
                                "--workload", "chat-30tn", "--backend", "cpu", "--quiet"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void expect_fits_columns(const std::string& text, std::size_t columns) {
  for (const std::string& l : lines_of(text)) EXPECT_LE(l.size(), columns) << l;
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

/// Parses RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.
std::vector<std::vector<std::string>> parse_csv(const std::string& text, bool* crlf) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, all_crlf = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' || c == '\n') {
      if (c == '\n') all_crlf = false;
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !rows.back().empty()) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  *crlf = all_crlf;
  return rows;
}

TEST(CliList, ListsEveryShippedConfigWithItsFacts) {
  tool_result r = run_tokenplan({"list"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* kind : {"models (", "gpus (", "clusters (", "workloads (", "demands (", "grids ("}) {
    EXPECT_TRUE(has(r.out, std::string("\n") + kind) || r.out.rfind(kind, 0) == 0) << kind;
  }
  for (const auto& f : std::filesystem::directory_iterator(shipped("models"))) {
    EXPECT_TRUE(has(r.out, "  " + f.path().stem().string() + " ")) << f.path();
  }
  EXPECT_TRUE(has(r.out, "dense 70.6B, 80 layers")) << r.out;
  EXPECT_TRUE(has(r.out, "h20       hopper, 95.6 GiB, 4.0 TB/s, 148/296/- TFLOPS BF16/FP8/FP4")) << r.out;
  EXPECT_TRUE(has(r.out, "30.00T tokens/day, ISL 1155")) << r.out;
  expect_fits_columns(r.out, 80);

  r = run_tokenplan({"list", "gpus", "models", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["command"], "list");
  EXPECT_FALSE(j.contains("clusters"));
  std::set<std::string> names;
  for (const json& m : j["models"]) names.insert(m["preset"].get<std::string>());
  std::set<std::string> files;
  for (const auto& f : std::filesystem::directory_iterator(shipped("models"))) files.insert(f.path().stem().string());
  EXPECT_EQ(names, files);
  for (const json& g : j["gpus"]) {
    EXPECT_GT(g["hbm_gib"].get<double>(), 0.0);
    EXPECT_GT(g["dense_tflops"]["bf16"].get<double>(), 0.0);
  }
}

TEST(CliList, ABrokenConfigSaysWhyAndExitsTwo) {
  temp_dir t;
  t.write("configs/models/broken.json", "{\"name\": \"broken\"}");
  tool_result r = run_tokenplan({"list", "models", "--configs", t.path("configs")});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.out, "broken")) << r.out;
  EXPECT_TRUE(has(r.out, "does not load")) << r.out;
  EXPECT_TRUE(has(r.err, "1 config does not load")) << r.err;
}

TEST(CliList, UsageErrors) {
  tool_result r = run_tokenplan({"list", "modls"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "unknown kind \"modls\" (did you mean 'models'?)")) << r.err;
  r = run_tokenplan({"list", "--format", "csv"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "--format: expected table or json, found \"csv\"")) << r.err;
  r = run_tokenplan({"list", "--configs", "/nonexistent-dir"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "--configs: \"/nonexistent-dir\" is not a directory")) << r.err;
}

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

TEST(CliFormats, CsvParsesBackWithUnitsInTheHeader) {
  tool_result r = run_tokenplan(plan_8b({"--format", "csv", "--top", "7"}));
  ASSERT_EQ(r.code, 0) << r.err;
  bool crlf = false;
  const auto rows = parse_csv(r.out, &crlf);
  EXPECT_TRUE(crlf) << "RFC 4180 records end with CRLF";
  ASSERT_EQ(rows.size(), 8u);
  const std::vector<std::string>& head = rows[0];
  for (const auto& row : rows) EXPECT_EQ(row.size(), head.size());
  for (const char* col : {"rank", "site", "gpu", "mode", "tp", "batch_per_rank", "chunk_tokens", "tpot_ms", "ttft_ms",
                          "tokens_per_s_per_user", "tokens_per_s_per_gpu", "gpus_billed", "cost_usd_per_day",
                          "usd_per_million_tokens", "it_power_mw", "facility_power_mw"}) {
    EXPECT_NE(std::find(head.begin(), head.end(), col), head.end()) << col;
  }
  // Numbers use '.' and agree with the JSON.
  tool_result jr = run_tokenplan(plan_8b({"--top", "7"}));
  ASSERT_EQ(jr.code, 0) << jr.err;
  const json j = json::parse(jr.out);
  auto col = [&](const std::string& name) { return std::find(head.begin(), head.end(), name) - head.begin(); };
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const json& res = j["results"][i - 1];
    EXPECT_EQ(rows[i][col("rank")], std::to_string(i));
    EXPECT_EQ(rows[i][col("site")], res["config"]["site"].get<std::string>());
    const double cost = std::stod(rows[i][col("cost_usd_per_day")]);
    EXPECT_NEAR(cost, res["fleet"]["cost_usd_per_day"].get<double>(), 1e-8 * cost);
    const double tpot = std::stod(rows[i][col("tpot_ms")]);
    EXPECT_NEAR(tpot, res["latency"]["tpot_ms"].get<double>(), 1e-8 * tpot);
    for (const std::string& f : rows[i]) EXPECT_EQ(f.find(','), std::string::npos);
  }
}

TEST(CliFormats, FleetCsvColumnsSumToTheFleetsTotals) {
  // One row per assignment (and one per pool's idle paid GPUs): the sums of the GPU, power and
  // cost columns are the fleet's totals in the JSON, nothing counted twice.
  const std::vector<std::string> args = {"plan", "--cluster", "bytedance-2026", "--demand",
                                         std::string(TOKENPLAN_SOURCE_DIR) + "/tests/schema/data/small-demand.json",
                                         "--backend", "cpu", "--quiet"};
  std::vector<std::string> csv_args = args;
  csv_args.insert(csv_args.end(), {"--format", "csv"});
  tool_result c = run_tokenplan(csv_args);
  ASSERT_EQ(c.code, 0) << c.err;
  tool_result jr = run_tokenplan(args);
  ASSERT_EQ(jr.code, 0) << jr.err;
  const json plan = json::parse(jr.out)["fleet"]["plan"];
  bool crlf = false;
  const auto rows = parse_csv(c.out, &crlf);
  ASSERT_GT(rows.size(), 1u);
  const std::vector<std::string>& head = rows[0];
  auto sum = [&](const std::string& name) {
    const auto at = std::find(head.begin(), head.end(), name) - head.begin();
    EXPECT_LT(static_cast<std::size_t>(at), head.size()) << name;
    double total = 0.0;
    for (std::size_t i = 1; i < rows.size(); ++i) total += std::stod(rows[i][at]);
    return total;
  };
  const double cost = plan["money"]["cost_usd_per_day"].get<double>();
  EXPECT_NEAR(sum("cost_usd_per_day"), cost, 1e-6 * cost);
  EXPECT_NEAR(sum("facility_power_mw"), plan["power"]["facility_mw"].get<double>(), 1e-6);
  EXPECT_NEAR(sum("it_power_mw"), plan["power"]["it_mw"].get<double>(), 1e-6);
  EXPECT_NEAR(sum("gpus") + sum("spare_gpus") + sum("idle_paid_gpus"), plan["gpus_paid"].get<double>(), 1e-6);
}

TEST(CliFormats, RowsDifferingOnlyInTheChunkAreOneRowInTheTable) {
  const std::vector<std::string> args = {"plan", "--cluster", "bytedance-h200-overseas", "--model", "llama-3.1-70b", "--workload",
                                         "chat-30tn", "--backend", "cpu", "--quiet", "--top", "20"};
  std::vector<std::string> table = args;
  table.insert(table.end(), {"--format", "table"});
  tool_result t = run_tokenplan(table);
  ASSERT_EQ(t.code, 0) << t.err;
  tool_result j = run_tokenplan(args);
  ASSERT_EQ(j.code, 0) << j.err;
  const json results = json::parse(j.out)["results"];
  ASSERT_EQ(results.size(), 20u);
  // Count the table's rows (lines starting with a rank) and the merged ones the note names.
  std::size_t shown = 0;
  for (const std::string& l : lines_of(t.out)) {
    if (l.size() > 5 && l[3] >= '0' && l[3] <= '9' && l[4] == ' ' && l.find("riyadh") != std::string::npos) ++shown;
  }
  const std::size_t at = t.out.find(" ranked configuration");
  ASSERT_NE(at, std::string::npos) << t.out;
  const std::size_t start = t.out.rfind('\n', at) + 1;
  const std::size_t merged = std::stoul(t.out.substr(start, at - start));
  EXPECT_GT(merged, 0u);
  EXPECT_EQ(shown + merged, results.size()) << t.out;
  // Ranks 1 and 2 are the same configuration at chunks 8192 and 16384 (same GPUs and cost).
  EXPECT_EQ(results[0]["fleet"]["gpus_billed"], results[1]["fleet"]["gpus_billed"]);
  EXPECT_TRUE(has(t.out, "8k,16k")) << t.out;
}

TEST(CliFormats, MarkdownTablesHaveAConstantShape) {
  tool_result r = run_tokenplan(plan_8b({"--format", "md", "--top", "4"}));
  ASSERT_EQ(r.code, 0) << r.err;
  // Cells split at pipes that are not escaped.
  auto cells = [](const std::string& l) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < l.size(); ++i) n += l[i] == '|' && (i == 0 || l[i - 1] != '\\');
    return n;
  };
  const std::vector<std::string> ls = lines_of(r.out);
  std::size_t tables = 0;
  for (std::size_t i = 0; i < ls.size(); ++i) {
    if (ls[i].rfind("| ", 0) != 0 || (i > 0 && ls[i - 1].rfind("|", 0) == 0)) continue;
    ++tables;
    ASSERT_LT(i + 1, ls.size());
    EXPECT_EQ(ls[i + 1].find("|---"), 0u) << "the alignment row follows the header: " << ls[i + 1];
    std::size_t rows = 0;
    for (std::size_t k = i; k < ls.size() && ls[k].rfind("|", 0) == 0; ++k, ++rows) {
      EXPECT_EQ(cells(ls[k]), cells(ls[i])) << ls[k];
    }
    if (ls[i].rfind("| rank |", 0) == 0) {
      EXPECT_EQ(rows, 2u + 4u) << "header, alignment, four ranks";
    }
  }
  EXPECT_EQ(tables, 2u) << "the ranking and the fleet: " << r.out;
  EXPECT_TRUE(has(r.out, "**Why rank 1 wins:**")) << r.out;
  EXPECT_TRUE(has(r.out, "- **Cost:**")) << r.out;
}

TEST(CliFormats, ParetoFrontierInTheTableAndTheJson) {
  tool_result r = run_tokenplan(plan_8b({"--pareto", "--top", "5"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_TRUE(j.contains("pareto"));
  const json& p = j["pareto"];
  ASSERT_GE(p.size(), 2u);
  double best_ranked = 0.0;
  for (const json& x : j["results"]) best_ranked = std::max(best_ranked, x["fleet"]["tokens_per_s_per_gpu"].get<double>());
  for (std::size_t i = 0; i < p.size(); ++i) {
    EXPECT_LE(p[i]["tpot_ms"].get<double>(), 50.0);
    EXPECT_LE(p[i]["tpot_ms"].get<double>(), p[i]["tpot_bound_ms"].get<double>() + 1e-9);
    if (i == 0) continue;
    EXPECT_GT(p[i]["tokens_per_s_per_user"].get<double>(), p[i - 1]["tokens_per_s_per_user"].get<double>());
    EXPECT_LT(p[i]["tokens_per_s_per_gpu"].get<double>(), p[i - 1]["tokens_per_s_per_gpu"].get<double>());
  }
  // The first point is the most tokens per GPU of any configuration within the SLOs.
  tool_result most = run_tokenplan(plan_8b({"--objective", "tokens-per-gpu", "--top", "1"}));
  ASSERT_EQ(most.code, 0) << most.err;
  const json m = json::parse(most.out)["results"][0];
  EXPECT_NEAR(p[0]["tokens_per_s_per_gpu"].get<double>(), m["fleet"]["tokens_per_s_per_gpu"].get<double>(),
              1e-9 * m["fleet"]["tokens_per_s_per_gpu"].get<double>());
  EXPECT_GE(p[0]["tokens_per_s_per_gpu"].get<double>(), best_ranked);
  tool_result table = run_tokenplan(plan_8b({"--pareto", "--top", "5", "--format", "table"}));
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_TRUE(has(table.out, "pareto: tokens/s per GPU vs tokens/s per user")) << table.out;
  EXPECT_TRUE(has(table.out, "tok/s/user")) << table.out;
  expect_fits_columns(table.out, 80);
}

TEST(CliFormats, TablesFit80ColumnsAndWideFits100) {
  for (const bool wide : {false, true}) {
    std::vector<std::string> args = {"plan", "--cluster", "bytedance-h200-overseas", "--model", "llama-3.1-70b",
                                     "--workload", "chat-30tn", "--backend", "cpu", "--format", "table", "--top", "8",
                                     "--gpu", "h200", "--target", "30T/day", "--pareto"};
    if (wide) args.push_back("--wide");
    tool_result r = run_tokenplan(args);
    ASSERT_EQ(r.code, 0) << r.err;
    expect_fits_columns(r.out, wide ? 100 : 80);
    for (const char* want : {"rank site", "why rank 1 wins", "runner-up", "gpus usd/day", "least-cost fleet", "pareto:"}) {
      EXPECT_TRUE(has(r.out, want)) << want;
    }
    EXPECT_EQ(has(r.out, "tok/sg"), wide) << "tokens/s per GPU is a --wide column";
  }
  // explain and validate too.
  tool_result e = run_tokenplan({"explain", "--model", "llama-3.1-70b", "--gpu", "h200-sxm", "--workload", "chat-30tn",
                                 "--config", R"({"tp":2,"batch":128,"chunk":8192,"weight_precision":"fp8","kv_precision":"fp8"})"});
  ASSERT_EQ(e.code, 0) << e.err;
  expect_fits_columns(e.out, 80);
  EXPECT_TRUE(has(e.out, "memory per GPU (GiB)")) << e.out;
  temp_dir t;
  std::string points;
  {
    std::ifstream in(std::string(TOKENPLAN_SOURCE_DIR) + "/configs/validation/public-points.jsonl");
    std::string l;
    for (int n = 0; n < 4 && std::getline(in, l); ++n) points += l + "\n";
  }
  tool_result v = run_tokenplan({"validate", t.write("points.jsonl", points), "--no-loo"});
  ASSERT_EQ(v.code, 0) << v.err;
  expect_fits_columns(v.out, 80);
  EXPECT_TRUE(has(v.out, "points predicted")) << v.out;
}

TEST(CliInfeasible, ExplainsTheBindingConstraintWithNumbers) {
  const std::vector<std::string> base = {"plan", "--cluster", "bytedance-2026", "--model", "llama-3.1-405b", "--workload",
                                         "chat-30tn", "--gpu", "h20", "--tpot", "20", "--backend", "cpu", "--quiet"};
  tool_result r = run_tokenplan(base);
  ASSERT_EQ(r.code, 0) << "an empty plan is an answer, not a failure: " << r.err;
  const json j = json::parse(r.out);
  EXPECT_TRUE(j["results"].empty());
  const json& w = j["why_no_configuration"];
  ASSERT_EQ(w["by_gpu"].size(), 1u);
  EXPECT_EQ(w["by_gpu"][0]["gpu"], "h20");
  EXPECT_EQ(w["by_gpu"][0]["binding_check"], "tpot_slo");
  EXPECT_EQ(w["by_gpu"][0]["slo_ms"], 20);
  EXPECT_GT(w["by_gpu"][0]["closest_ms"].get<double>(), 20.0);
  EXPECT_EQ(w["by_gpu"][0]["closest_config"]["gpu"], "h20");
  EXPECT_TRUE(w["most_ruled_out_by"].contains("check"));
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--format", "table"});
  tool_result t = run_tokenplan(args);
  ASSERT_EQ(t.code, 0) << t.err;
  // The sentence may wrap anywhere at 80 columns.
  EXPECT_TRUE(std::regex_search(t.out, std::regex("TPOT\\s+SLO\\s+20\\s+ms:\\s+no\\s+configuration\\s+of\\s+llama-3\\.1-405b"
                                                  "\\s+on\\s+h20\\s+reaches\\s+below\\s+[0-9]+\\.[0-9]\\s+ms")))
      << t.out;
  EXPECT_TRUE(has(t.out, "binding (no_configuration)")) << t.out;
  expect_fits_columns(t.out, 80);
  args = base;
  args.insert(args.end(), {"--format", "csv"});
  tool_result c = run_tokenplan(args);
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(std::count(c.out.begin(), c.out.end(), '\n'), 1) << "the header alone: " << c.out;
  EXPECT_TRUE(has(c.err, "TPOT SLO 20 ms")) << c.err;
  args = base;
  args.insert(args.end(), {"--format", "md"});
  tool_result m = run_tokenplan(args);
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_TRUE(has(m.out, "### No feasible configuration")) << m.out;
  // The capacity question says the same.
  args = base;
  args[0] = "capacity";
  tool_result cap = run_tokenplan(args);
  ASSERT_EQ(cap.code, 0) << cap.err;
  EXPECT_TRUE(has(cap.out, "TPOT SLO 20 ms: no configuration of llama-3.1-405b on h20 reaches below")) << cap.out;
}

/// Every --option a help text mentions.
std::set<std::string> options_in(const std::string& help) {
  std::set<std::string> out;
  const std::regex opt("--[a-z][a-z0-9-]*");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), opt); it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

// Issue 14: when nothing fits, the answer says what would. Each figure reported is passed back
// to the binary: it must make the plan feasible, and the next step (0.1 ms of TPOT, 1 ms of
// TTFT, one token of prompt) must not.
std::vector<std::string> plan_405b_h20(std::vector<std::string> extra) {
  std::vector<std::string> a = {"plan", "--cluster", "bytedance-2026", "--model", "llama-3.1-405b", "--workload",
                                "chat-30tn", "--gpu", "h20", "--backend", "cpu", "--quiet"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::size_t plan_results(const std::vector<std::string>& args) {
  tool_result r = run_tokenplan(args);
  EXPECT_EQ(r.code, 0) << r.err;
  return json::parse(r.out)["results"].size();
}

std::string decimals(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

TEST(CliInfeasible, TheRelaxedSlosItReportsMakeAConfigurationFeasible) {
  tool_result r = run_tokenplan(plan_405b_h20({"--tpot", "20"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  const json& x = j["why_no_configuration"]["relax"];
  ASSERT_EQ(x["slo"], "tpot_ms") << x.dump();
  EXPECT_EQ(x["from"], 20);
  ASSERT_TRUE(x["to"].is_number()) << x.dump();
  EXPECT_EQ(j["why_no_configuration"]["by_gpu"][0]["relax"], x);
  // On h20 TTFT binds once TPOT relaxes: both are given.
  ASSERT_TRUE(x.contains("also")) << x.dump();
  const std::string tpot = decimals(x["to"].get<double>(), 1);
  const double ttft = x["also"]["to"].get<double>();
  EXPECT_GT(ttft, 2000.0);
  EXPECT_GT(plan_results(plan_405b_h20({"--tpot", tpot, "--ttft", decimals(ttft, 0)})), 0u);
  EXPECT_EQ(plan_results(plan_405b_h20({"--tpot", tpot, "--ttft", decimals(ttft - 1.0, 0)})), 0u);
  EXPECT_EQ(plan_results(plan_405b_h20({"--tpot", decimals(x["to"].get<double>() - 0.1, 1), "--ttft", "100000"})), 0u)
      << "below the fastest TPOT nothing passes";
  tool_result t = run_tokenplan(plan_405b_h20({"--tpot", "20", "--format", "table"}));
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_TRUE(std::regex_search(t.out, std::regex("relax\\s+the\\s+TPOT\\s+SLO\\s+from\\s+20\\s+ms\\s+to\\s+" + tpot))) << t.out;
  expect_fits_columns(t.out, 80);
}

TEST(CliInfeasible, ARelaxedTpotAloneIsTheLeastThatFits) {
  // With a generous TTFT, TPOT alone binds: the value reported fits and 0.1 ms less does not.
  tool_result r = run_tokenplan(plan_405b_h20({"--tpot", "20", "--ttft", "10000"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const json x = json::parse(r.out)["why_no_configuration"]["relax"];
  ASSERT_EQ(x["slo"], "tpot_ms") << x.dump();
  ASSERT_TRUE(x["to"].is_number()) << x.dump();
  ASSERT_FALSE(x.contains("also")) << x.dump();
  const double to = x["to"].get<double>();
  EXPECT_GT(plan_results(plan_405b_h20({"--tpot", decimals(to, 1), "--ttft", "10000"})), 0u);
  EXPECT_EQ(plan_results(plan_405b_h20({"--tpot", decimals(to - 0.1, 1), "--ttft", "10000"})), 0u);
}

TEST(CliInfeasible, TheLongestPromptItReportsFitsAndOneTokenMoreDoesNot) {
  tool_result r = run_tokenplan(plan_405b_h20({"--isl", "60000", "--osl", "200"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const json l = json::parse(r.out)["why_no_configuration"]["longest_prompt"];
  ASSERT_TRUE(l["isl_tokens"].is_number_integer()) << l.dump();
  EXPECT_EQ(l["tail_isl_tokens"], 60000);
  const std::int64_t n = l["isl_tokens"].get<std::int64_t>();
  EXPECT_GT(n, 0);
  EXPECT_LT(n, 60000);
  EXPECT_GT(plan_results(plan_405b_h20({"--isl", std::to_string(n), "--osl", "200"})), 0u);
  EXPECT_EQ(plan_results(plan_405b_h20({"--isl", std::to_string(n + 1), "--osl", "200"})), 0u);
  // A 60,000-token prompt of 405B on eight H20 takes about a minute to prefill (969 prompt
  // tokens/s per instance): the closest TTFT is that prompt's, not the 2000 ms SLO (a negative
  // queue wait once made it read as exactly the SLO).
  const json g = json::parse(r.out)["why_no_configuration"]["by_gpu"][0];
  ASSERT_EQ(g["binding_check"], "ttft_slo") << g.dump();
  EXPECT_GT(g["closest_ms"].get<double>(), 10 * g["slo_ms"].get<double>()) << g.dump();
  tool_result t = run_tokenplan(plan_405b_h20({"--isl", "60000", "--osl", "200", "--format", "table"}));
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_TRUE(std::regex_search(t.out, std::regex("longest\\s+prompt\\s+that\\s+fits\\s+is\\s+[0-9,]+\\s+tokens\\s+\\(--isl\\s+" +
                                                  std::to_string(n) + "\\)")))
      << t.out;
  expect_fits_columns(t.out, 80);
}

TEST(CliShortfall, PowerCapsBindAndRaisingThemByTheMwReportedMakesItFit) {
  // 120T/day of llama-3.1-70b: even with every B200 on offer the sites' power caps bind.
  const std::vector<std::string> base = {"plan", "--model", "llama-3.1-70b", "--workload", "chat-30tn", "--target",
                                         "120T/day", "--backend", "cpu", "--quiet", "--cluster"};
  std::vector<std::string> args = base;
  args.push_back("bytedance-2026");
  tool_result r = run_tokenplan(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const json sf = json::parse(r.out)["fleet"]["shortfall"];
  EXPECT_FALSE(sf["target_fits"]);
  EXPECT_FALSE(sf["solved"]);
  const json& x = sf["relaxed"];
  ASSERT_TRUE(x["solved"]) << x.dump();
  ASSERT_FALSE(x["power_over_cap"].empty()) << x.dump();
  EXPECT_TRUE(x["gpus_over_limit"].empty()) << "the B200 offer is unlimited: " << x.dump();
  EXPECT_FALSE(x["add"].empty());
  // The shipped cluster with each cap raised by what was reported (in the field it is given in).
  json cluster = json::parse(read_text(std::string(TOKENPLAN_SOURCE_DIR) + "/configs/clusters/bytedance-2026.json"));
  for (const json& p : x["power_over_cap"]) {
    EXPECT_GT(p["it_mw_over"].get<double>(), 0.0);
    EXPECT_NEAR(p["facility_mw_over"].get<double>() / p["it_mw_over"].get<double>(),
                p["cap_facility_mw"].get<double>() / p["cap_it_mw"].get<double>(), 1e-9) << "both at the site's PUE";
    for (json& site : cluster["sites"]) {
      if (site["name"] != p["site"]) continue;
      json& cap = site["power_cap"];
      if (cap.contains("it_mw")) cap["it_mw"] = cap["it_mw"].get<double>() + p["it_mw_over"].get<double>();
      else cap["facility_mw"] = cap["facility_mw"].get<double>() + p["facility_mw_over"].get<double>();
    }
  }
  temp_dir t;
  args = base;
  args.push_back(t.write_json("raised.json", cluster));
  tool_result raised = run_tokenplan(args);
  ASSERT_EQ(raised.code, 0) << raised.err;
  const json sf2 = json::parse(raised.out)["fleet"]["shortfall"];
  EXPECT_TRUE(sf2["solved"]) << "the expansion fits once the caps are raised: " << sf2.dump();
  args = base;
  args.insert(args.end(), {"bytedance-2026", "--format", "table"});
  tool_result table = run_tokenplan(args);
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_TRUE(std::regex_search(table.out, std::regex("power:\\s+riyadh-sa\\s+needs\\s+[0-9.]+\\s+MW\\s+facility\\s+\\([0-9.]+"
                                                      "\\s+MW\\s+IT\\)\\s+over\\s+its\\s+cap\\s+of\\s+100\\s+MW\\s+facility")))
      << table.out;
  expect_fits_columns(table.out, 80);
}

TEST(CliShortfall, TooFewGpusOnOfferAreCountedAndRaisingTheLimitsMakesItFit) {
  // As above, but the sites may not grow and at most 2,000 B200 per site are on offer: GPUs
  // bind first (the fewest beyond the offers), then power at those GPUs.
  json cluster = json::parse(read_text(std::string(TOKENPLAN_SOURCE_DIR) + "/configs/clusters/bytedance-2026.json"));
  cluster["gpu_offers"][0]["max_gpus_per_site"] = 2000;
  for (json& site : cluster["sites"]) site["expansion_max_gpus"] = 0;
  temp_dir t;
  const std::vector<std::string> base = {"plan", "--model", "llama-3.1-70b", "--workload", "chat-30tn", "--target",
                                         "120T/day", "--backend", "cpu", "--quiet", "--cluster"};
  std::vector<std::string> args = base;
  args.push_back(t.write_json("few.json", cluster));
  tool_result r = run_tokenplan(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const json x = json::parse(r.out)["fleet"]["shortfall"]["relaxed"];
  ASSERT_TRUE(x["solved"]) << x.dump();
  ASSERT_FALSE(x["gpus_over_limit"].empty()) << x.dump();
  double most_over = 0.0;
  for (const json& g : x["gpus_over_limit"]) {
    EXPECT_EQ(g["gpu"], "b200");
    EXPECT_TRUE(g["offer"]);
    EXPECT_EQ(g["limit_gpus"], 2000);
    most_over = std::max(most_over, g["gpus_over"].get<double>());
  }
  // The offer (one limit for every site) raised by the most any site lacks, each cap by its MW.
  cluster["gpu_offers"][0]["max_gpus_per_site"] = 2000.0 + most_over;
  for (const json& p : x["power_over_cap"]) {
    for (json& site : cluster["sites"]) {
      if (site["name"] != p["site"]) continue;
      json& cap = site["power_cap"];
      if (cap.contains("it_mw")) cap["it_mw"] = cap["it_mw"].get<double>() + p["it_mw_over"].get<double>();
      else cap["facility_mw"] = cap["facility_mw"].get<double>() + p["facility_mw_over"].get<double>();
    }
  }
  args = base;
  args.push_back(t.write_json("raised.json", cluster));
  tool_result raised = run_tokenplan(args);
  ASSERT_EQ(raised.code, 0) << raised.err;
  EXPECT_TRUE(json::parse(raised.out)["fleet"]["shortfall"]["solved"]) << "the expansion fits once the limits are raised";
  args = base;
  args.insert(args.end(), {t.path("few.json"), "--format", "table"});
  tool_result table = run_tokenplan(args);
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_TRUE(std::regex_search(table.out, std::regex("GPUs:\\s+[0-9,]+\\s+b200\\s+at\\s+riyadh-sa\\s+beyond\\s+the\\s+2,000\\s+on\\s+offer")))
      << table.out;
  expect_fits_columns(table.out, 80);
  // The HTML report says the same under its sites section.
  args = base;
  args.insert(args.end(), {t.path("few.json"), "--html", t.path("r.html")});
  tool_result html = run_tokenplan(args);
  ASSERT_EQ(html.code, 0) << html.err;
  const std::string page = read_text(t.path("r.html"));
  EXPECT_TRUE(has(page, "Even with every GPU on offer the target does not fit")) << "html";
  EXPECT_TRUE(std::regex_search(page, std::regex("GPUs: [0-9,]+ b200 at riyadh-sa beyond the 2,000 on offer"))) << "html";
}

TEST(CliInfeasible, ADemandClassWithNoConfigurationSaysWhichSloToRelax) {
  // Class "fast" asks llama-3.1-405b for a 10 ms TPOT; on h200 nothing reaches it. The binding
  // names the least TPOT that fits; the same demand with that TPOT has a configuration.
  temp_dir t;
  json w = json::parse(read_text(std::string(TOKENPLAN_SOURCE_DIR) + "/tests/schema/data/impossible-tpot.json"));
  w["name"] = "fast";
  w["slo"]["tpot_ms"] = 10;
  t.write_json("fast.json", w);
  const json demand = {{"name", "two-classes"},
                       {"description", "a class the cluster serves and one it cannot"},
                       {"tokens_per_day", 1e12},
                       {"classes", json::array({{{"name", "chat"}, {"share", 0.5}, {"model", "llama-3.1-8b"}, {"workload", "chat-30tn"}},
                                                {{"name", "fast"}, {"share", 0.5}, {"model", "llama-3.1-405b"}, {"workload", "fast.json"}}})},
                       {"profile", {{"peak_to_average", 1.7}}}};
  const std::vector<std::string> args = {"plan", "--cluster", "bytedance-2026", "--gpu", "h200", "--backend", "cpu", "--quiet",
                                         "--demand", t.write_json("demand.json", demand)};
  tool_result r = run_tokenplan(args);
  ASSERT_EQ(r.code, 0) << r.err;
  std::string detail;
  const json plan = json::parse(r.out);  // named: a range-for over a temporary's member dangles
  for (const json& b : plan["fleet"]["capacity"]["binding"]) {
    if (b["kind"] == "no_configuration") detail = b["detail"].get<std::string>();
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_search(detail, m, std::regex("relax the TPOT SLO from 10 ms to ([0-9]+\\.[0-9]) ms"))) << detail;
  EXPECT_FALSE(has(detail, "--tpot")) << "a demand's SLOs are in its workload files: " << detail;
  w["slo"]["tpot_ms"] = std::stod(m[1].str());
  t.write_json("fast.json", w);
  tool_result relaxed = run_tokenplan(args);
  ASSERT_EQ(relaxed.code, 0) << relaxed.err;
  const json relaxed_plan = json::parse(relaxed.out);
  for (const json& b : relaxed_plan["fleet"]["capacity"]["binding"]) EXPECT_NE(b["kind"], "no_configuration") << b.dump();
}

std::string roff_escaped(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

TEST(CliHelp, EveryCommandHasHelpWithExamples) {
  for (const char* cmd : {"plan", "capacity", "explain", "validate", "calibrate", "sweep", "list"}) {
    tool_result a = run_tokenplan({cmd, "--help"});
    tool_result b = run_tokenplan({"help", cmd});
    EXPECT_EQ(a.code, 0) << cmd;
    EXPECT_EQ(a.out, b.out) << cmd;
    EXPECT_TRUE(has(a.out, "Example")) << cmd;
    EXPECT_TRUE(has(a.out, "Usage:")) << cmd;
  }
  tool_result plan = run_tokenplan({"plan", "--help"});
  for (const char* opt : {"--target", "--isl", "--osl", "--ttft", "--tpot", "--gpu", "--pareto", "--format", "csv", "md"}) {
    EXPECT_TRUE(has(plan.out, opt)) << opt;
  }
  tool_result bad = run_tokenplan({"help", "lsit"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(has(bad.err, "no help for 'lsit' (did you mean 'list'?)")) << bad.err;
}

TEST(CliHelp, ManPageCarriesEveryCommandsOptions) {
  tool_result man = run_tokenplan({"help", "--man"});
  ASSERT_EQ(man.code, 0) << man.err;
  EXPECT_EQ(man.out.find(".TH TOKENPLAN 1"), man.out.find(".TH"));
  EXPECT_NE(man.out.find(".TH TOKENPLAN 1"), std::string::npos);
  for (const char* cmd : {"plan", "capacity", "explain", "validate", "calibrate", "sweep", "list"}) {
    std::string upper = cmd;
    for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
    EXPECT_TRUE(has(man.out, ".SH \"" + upper + "\"")) << cmd;
    const std::string help = run_tokenplan({cmd, "--help"}).out;
    for (const std::string& opt : options_in(help)) {
      EXPECT_TRUE(has(man.out, roff_escaped(opt))) << cmd << " " << opt;
    }
  }
  for (const char* opt : {"--target", "--isl", "--osl", "--ttft", "--tpot", "--gpu", "--pareto", "--configs", "--objective",
                          "--top", "--backend", "--threads", "--chunk", "--grid", "--demand", "--config", "--no-loo"}) {
    EXPECT_TRUE(has(man.out, roff_escaped(opt))) << opt;
  }
  // The build writes the same page (the tokenplan_man target) for `cmake --install`.
  const std::string built = std::filesystem::path(TOKENPLAN_BIN).parent_path() / "tokenplan.1";
  ASSERT_TRUE(std::filesystem::exists(built)) << built;
  EXPECT_EQ(read_text(built), man.out);
  // And groff reads it without a warning, where groff is installed.
  if (std::system("command -v groff > /dev/null 2>&1") == 0) {
    temp_dir t;
    const std::string cmd = "groff -man -Tutf8 -ww -z " + tokenplan::testing::shell_quote(built) + " 2> " +
                            tokenplan::testing::shell_quote(t.path("warnings"));
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_EQ(read_text(t.path("warnings")), "");
  }
}

}  // namespace
