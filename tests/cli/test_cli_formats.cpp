// Output formats through the real binary: csv parsed back, Markdown tables, the Pareto view, table widths.
#include <gtest/gtest.h>

#include <fstream>

#include "cli_terminal_support.hpp"
#include "run_tool.hpp"
#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using tokenplan::testing::cli_terminal::expect_fits_columns;
using tokenplan::testing::cli_terminal::has;
using tokenplan::testing::cli_terminal::lines_of;
using tokenplan::testing::cli_terminal::parse_csv;
using tokenplan::testing::cli_terminal::plan_8b;
using tokenplan::testing::run_tokenplan;
using tokenplan::testing::temp_dir;
using tokenplan::testing::tool_result;

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
  // Two neighbouring ranks (16 and 17 on today's calibration) are the same configuration at chunks
  // 8192 and 16384: the same GPUs billed, one row "8k,16k".
  bool pair = false;
  for (std::size_t i = 0; i + 1 < results.size(); ++i) {
    pair = pair || results[i]["fleet"]["gpus_billed"] == results[i + 1]["fleet"]["gpus_billed"];
  }
  EXPECT_TRUE(pair);
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
                                     "--gpu", "h200", "--target", "25T/day", "--pareto"};
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

}  // namespace
