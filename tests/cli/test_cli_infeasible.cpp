// An empty plan explained through the real binary: the binding constraint, relaxed SLOs, shortfalls.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <set>

#include "cli_terminal_support.hpp"
#include "run_tool.hpp"
#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using tokenplan::testing::cli_terminal::expect_fits_columns;
using tokenplan::testing::cli_terminal::has;
using tokenplan::testing::read_text;
using tokenplan::testing::run_tokenplan;
using tokenplan::testing::shipped;
using tokenplan::testing::temp_dir;
using tokenplan::testing::tool_result;

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
  tool_result r = run_tokenplan(plan_405b_h20({"--tpot", "20", "--ttft", "1500"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  const json& x = j["why_no_configuration"]["relax"];
  ASSERT_EQ(x["slo"], "tpot_ms") << x.dump();
  EXPECT_EQ(x["from"], 20);
  ASSERT_TRUE(x["to"].is_number()) << x.dump();
  EXPECT_EQ(j["why_no_configuration"]["by_gpu"][0]["relax"], x);
  // On h20 a 1.5 s TTFT binds once TPOT relaxes (405B's prompts on 148-TFLOPS GPUs): both are given.
  ASSERT_TRUE(x.contains("also")) << x.dump();
  const std::string tpot = decimals(x["to"].get<double>(), 1);
  const double ttft = x["also"]["to"].get<double>();
  EXPECT_GT(ttft, 1500.0);
  EXPECT_GT(plan_results(plan_405b_h20({"--tpot", tpot, "--ttft", decimals(ttft, 0)})), 0u);
  EXPECT_EQ(plan_results(plan_405b_h20({"--tpot", tpot, "--ttft", decimals(ttft - 1.0, 0)})), 0u);
  EXPECT_EQ(plan_results(plan_405b_h20({"--tpot", decimals(x["to"].get<double>() - 0.1, 1), "--ttft", "100000"})), 0u)
      << "below the fastest TPOT nothing passes";
  tool_result t = run_tokenplan(plan_405b_h20({"--tpot", "20", "--ttft", "1500", "--format", "table"}));
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

}  // namespace
