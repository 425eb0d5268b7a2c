// End-to-end tests of the real binary: the shipped 30tn/day example, golden output, and every
// bad-input path (exit code 2, a message naming file and field, nothing written).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using tokenplan::testing::read_text;
using tokenplan::testing::shipped;
using tokenplan::testing::temp_dir;

struct run_result {
  int code;
  std::string out;
  std::string err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

run_result run_tool(const std::vector<std::string>& args) {
  temp_dir t;
  std::string cmd = quote(TOKENPLAN_BIN);
  for (const std::string& a : args) cmd += " " + quote(a);
  cmd += " > " + quote(t.path("out")) + " 2> " + quote(t.path("err")) + " < /dev/null";
  int status = std::system(cmd.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(t.path("out"));
  r.err = read_text(t.path("err"));
  return r;
}

std::vector<std::string> example_args() {
  return {"plan", "--cluster", shipped("clusters/bytedance-h200-overseas.json"), "--model",
          shipped("models/llama-3.1-70b.json"), "--workload", shipped("workloads/chat-30tn.json"),
          "--backend", "cpu"};
}

// The engine's overlap under the expert all-to-all changes nothing for a dense model (no
// all-to-all): the same fleet; the plan says the workload set it (demand.moe_overlap, only where
// it is not two_batch, and a line in the table).
TEST(Cli, MoeOverlapIsEchoedAndLeavesADenseModelAlone) {
  temp_dir t;
  json w = json::parse(read_text(shipped("workloads/chat-30tn.json")));
  w["moe_overlap"] = "none";
  const std::string wf = t.path("none.json");
  std::ofstream(wf) << w.dump();
  std::vector<std::string> args = example_args();
  args[6] = wf;
  const run_result a = run_tool(example_args()), b = run_tool(args);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  const json ja = json::parse(a.out), jb = json::parse(b.out);
  EXPECT_FALSE(ja["demand"].contains("moe_overlap"));
  EXPECT_EQ(jb["demand"]["moe_overlap"], "none");
  EXPECT_EQ(ja["results"][0]["fleet"]["gpus_billed"], jb["results"][0]["fleet"]["gpus_billed"]);
  EXPECT_EQ(ja["results"][0]["config"], jb["results"][0]["config"]);
  args.push_back("--format");
  args.push_back("table");
  const run_result c = run_tool(args);
  EXPECT_NE(c.out.find("engine overlap under the expert all-to-all: none"), std::string::npos) << c.out;
}

// An engine that admits prompts every 9 steps holds each one up to 8 more cycles: the hold eats
// into the TTFT budget, so the plan needs at least as many GPUs, still meets the SLO, and says
// so (demand.admission_steps, only where the workload sets it, and a line in the table).
TEST(Cli, AnAdmissionHoldNeverShrinksThePlan) {
  temp_dir t;
  json w = json::parse(read_text(shipped("workloads/chat-30tn.json")));
  w["admission_steps"] = 9;
  const std::string wf = t.path("w9.json");
  std::ofstream(wf) << w.dump();
  std::vector<std::string> held = example_args();
  held[6] = wf;
  const run_result a = run_tool(example_args()), b = run_tool(held);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  const json ja = json::parse(a.out), jb = json::parse(b.out);
  EXPECT_FALSE(ja["demand"].contains("admission_steps"));
  EXPECT_TRUE(jb["demand"]["admission_steps"].is_number_integer());
  EXPECT_EQ(jb["demand"]["admission_steps"].get<int>(), 9);
  const double gpus_a = ja["results"][0]["fleet"]["gpus_billed"], gpus_b = jb["results"][0]["fleet"]["gpus_billed"];
  EXPECT_GE(gpus_b, gpus_a);
  EXPECT_LE(jb["results"][0]["latency"]["ttft_ms"].get<double>(), 2000.0);
  held.push_back("--format");
  held.push_back("table");
  const run_result c = run_tool(held);
  EXPECT_NE(c.out.find("engine admits new prompts once every 9 steps"), std::string::npos) << c.out;
}

// An overlap scheduler makes each prompt wait out one more step: the lag eats into the TTFT
// budget, so the plan needs at least as many GPUs, still meets the SLO, and says so
// (demand.overlap_scheduler, only where the workload sets it, and a line in the table).
TEST(Cli, AnOverlapSchedulerNeverShrinksThePlan) {
  temp_dir t;
  json w = json::parse(read_text(shipped("workloads/chat-30tn.json")));
  w["overlap_scheduler"] = true;
  const std::string wf = t.path("lag.json");
  std::ofstream(wf) << w.dump();
  std::vector<std::string> lag = example_args();
  lag[6] = wf;
  const run_result a = run_tool(example_args()), b = run_tool(lag);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  const json ja = json::parse(a.out), jb = json::parse(b.out);
  EXPECT_FALSE(ja["demand"].contains("overlap_scheduler"));
  EXPECT_EQ(jb["demand"]["overlap_scheduler"], true);
  const double gpus_a = ja["results"][0]["fleet"]["gpus_billed"], gpus_b = jb["results"][0]["fleet"]["gpus_billed"];
  EXPECT_GE(gpus_b, gpus_a);
  EXPECT_LE(jb["results"][0]["latency"]["ttft_ms"].get<double>(), 2000.0);
  lag.push_back("--format");
  lag.push_back("table");
  const run_result c = run_tool(lag);
  EXPECT_NE(c.out.find("engine runs an overlap scheduler"), std::string::npos) << c.out;
  // explain states the lag, and it is one cycle of the configuration: the table's "cycle X ms".
  const std::string cfg = R"({"tp":1,"pp":4,"batch":173,"chunk":8192,"weight_precision":"fp8","kv_precision":"fp8"})";
  const run_result e = run_tool({"explain", "--model", "llama-3.1-70b", "--gpu", "h200-sxm", "--workload", wf, "--config", cfg});
  ASSERT_EQ(e.code, 0) << e.err;
  const std::size_t at = e.out.find("waits out the step already launched ("), cyc = e.out.find("  cycle ");
  ASSERT_NE(at, std::string::npos) << e.out;
  ASSERT_NE(cyc, std::string::npos) << e.out;
  EXPECT_NEAR(std::stod(e.out.substr(at + 37)), std::stod(e.out.substr(cyc + 8)), 0.06) << e.out;
  const run_result none = run_tool({"explain", "--model", "llama-3.1-70b", "--gpu", "h200-sxm", "--workload", "chat-30tn", "--config", cfg});
  EXPECT_EQ(none.out.find("waits out the step already launched"), std::string::npos) << none.out;
}

TEST(Cli, ShippedExampleRanksAndStatesTheShortfall) {
  run_result r = run_tool(example_args());
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["schema_version"], "1.4.0");
  EXPECT_EQ(j["command"], "plan");
  EXPECT_EQ(j["backend"]["name"], "cpu");
  const json& s = j["search"];
  EXPECT_GE(s["grid_size"].get<std::uint64_t>(), 300000u);
  std::uint64_t total = s["feasible"].get<std::uint64_t>();
  for (const auto& kv : s["infeasible"].items()) total += kv.value().get<std::uint64_t>();
  EXPECT_EQ(total, s["grid_size"].get<std::uint64_t>());
  EXPECT_EQ(s["evaluated"], s["grid_size"]);
  ASSERT_EQ(j["results"].size(), 20u);
  double prev = 0;
  for (const json& res : j["results"]) {
    double cost = res["fleet"]["cost_usd_per_day"];
    EXPECT_GE(cost, prev);
    prev = cost;
    EXPECT_LE(res["latency"]["tpot_ms"].get<double>(), 50.0);
    EXPECT_LE(res["latency"]["ttft_ms"].get<double>(), 2000.0);
  }
  // 20,000 H200 cannot carry 30 trillion tokens a day of a 70B model: the shortfall is stated.
  EXPECT_FALSE(j["capacity"]["enough"].get<bool>());
  EXPECT_GT(j["capacity"]["shortfall_gpus"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(j["capacity"]["gpus_of_type_available"], 20000);
  EXPECT_EQ(j["inputs"]["model"]["sha256"].get<std::string>().size(), 64u);
}

// DeepSeek's published layout at its published day: the peak fleet lands within 15% of the 278
// nodes DeepSeek ran at its peak (2,224 H800), the capacity verdict agrees with the node count,
// and a next batch size that ties on whole nodes is said to tie instead of "it costs more".
TEST(Cli, DeepSeekProductionDayLandsNearItsPeakAndExplainsTheTie) {
  run_result r = run_tool({"plan", "--cluster", shipped("clusters/deepseek-h800.json"), "--model",
                           shipped("models/deepseek-v3.json"), "--workload", shipped("workloads/deepseek-day.json"),
                           "--grid", shipped("grids/deepseek-production.json"), "--backend", "cpu", "--top", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  const double billed = j["results"][0]["fleet"]["gpus_billed"];
  EXPECT_EQ(j["capacity"]["enough"].get<bool>(), billed <= 2224.0);
  const json& why = j["why_the_winner_wins"];
  const std::string binding = why["binding_constraint"];
  EXPECT_TRUE(binding == "tie" || binding == "objective" || binding == "tpot_slo" || binding == "ttft_slo" ||
              binding == "memory") << binding;
  if (binding == "tie") {
    EXPECT_NE(why["detail"].get<std::string>().find("ties"), std::string::npos);
  }
  // Peak fleet near DeepSeek's peak of 278 nodes (its day averaged 226.75).
  const double nodes = j["results"][0]["fleet"]["nodes"];
  EXPECT_GT(nodes, 278 * 0.85);
  EXPECT_LT(nodes, 278 * 1.15);
}

// The fleet questions through the binary: a demand file (a day's profile, a deferrable share,
// growth) on a two-site cluster, plan and capacity, JSON and table; and the usage errors.
TEST(Cli, DemandPlanAndCapacity) {
  temp_dir t;
  json site = {{"name", "a"}, {"gpu", "h200-sxm"}, {"gpus", 400}, {"gpus_per_node", 8},
               {"pricing", {{"type", "lease"}, {"usd_per_gpu_hour", 2.0}, {"includes_power", true}}}, {"pue", 1.3},
               {"power_cap", {{"facility_mw", 1.0}}}};
  json cluster = {{"name", "small"}, {"sites", {site}}};
  const std::string c = t.write_json("clusters/small.json", cluster);
  t.write_json("demands/grid.json", {{"modes", {"aggregated"}}, {"weight_precisions", {"fp8"}}, {"kv_precisions", {"fp8"}},
                                     {"aggregated", {{"tp", {1}}, {"pp", {1}}, {"chunk_tokens", {8192}}, {"batch", {32, 64, 128}}}}});
  json hourly = json::array();
  for (int h = 0; h < 24; ++h) hourly.push_back(h < 8 ? 0.5 : 1.25);
  json dem = {{"name", "d"}, {"tokens_per_day", 2e11},
              {"classes", {{{"name", "chat"}, {"share", 1.0}, {"model", "llama-3.1-8b"}, {"workload", "chat-30tn"}, {"grid", "grid.json"}}}},
              {"profile", {{"hourly", hourly}}}, {"deferrable_share", 0.1}, {"monthly_growth", 0.2}, {"start_month", "2026-01"}};
  const std::string d = t.write_json("demands/d.json", dem);
  run_result plan = run_tool({"plan", "--cluster", c, "--demand", d, "--backend", "cpu"});
  ASSERT_EQ(plan.code, 0) << plan.err;
  json j = json::parse(plan.out);
  EXPECT_EQ(j["command"], "plan");
  EXPECT_EQ(j["fleet"]["periods_hours"].size(), 24u);
  EXPECT_TRUE(j["fleet"]["plan"]["solver"]["proven_optimal"].get<bool>());
  EXPECT_EQ(j["fleet"]["plan"]["utilisation_by_period"].size(), 24u);
  EXPECT_TRUE(j["fleet"]["runway"]["computed"].get<bool>());
  run_result table = run_tool({"plan", "--cluster", c, "--demand", d, "--backend", "cpu", "--format", "table"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("in service by hour"), std::string::npos);
  EXPECT_NE(table.out.find("runs out in"), std::string::npos);
  run_result cap = run_tool({"capacity", "--cluster", c, "--demand", d, "--backend", "cpu"});
  ASSERT_EQ(cap.code, 0) << cap.err;
  json k = json::parse(cap.out);
  EXPECT_EQ(k["command"], "capacity");
  EXPECT_GT(k["capacity"]["multiple_of_target"].get<double>(), 0.0);
  // 1 MW of facility power at PUE 1.3 is 769 kW of IT load, room for 603 H200 at 1.275 kW: the
  // site's 400 GPUs (510 kW) bind before its power cap does.
  bool gpus = false;
  for (const json& b : k["capacity"]["binding"]) gpus = gpus || b["kind"] == "gpus";
  EXPECT_TRUE(gpus) << cap.out;
  run_result both = run_tool({"plan", "--cluster", c, "--demand", d, "--model", "llama-3.1-8b"});
  EXPECT_EQ(both.code, 2);
  EXPECT_NE(both.err.find("drop --model"), std::string::npos) << both.err;
  run_result none = run_tool({"capacity", "--cluster", c});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("--demand"), std::string::npos) << none.err;
}

TEST(Cli, TableFormatIsReadable) {
  std::vector<std::string> args = example_args();
  args.insert(args.end(), {"--format", "table", "--top", "5"});
  run_result r = run_tool(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("rank site"), std::string::npos);
  EXPECT_NE(r.out.find("capacity: the best configuration needs"), std::string::npos);
  EXPECT_NE(r.out.find("short by"), std::string::npos);
  std::size_t start = 0, lines = 0;
  while (start < r.out.size()) {
    std::size_t end = r.out.find('\n', start);
    if (end == std::string::npos) end = r.out.size();
    if (r.out.compare(start, 4, "   1") == 0) ++lines;
    EXPECT_LE(end - start, 200u);
    start = end + 1;
  }
  EXPECT_EQ(lines, 1u);
}

// Compares a fresh plan with the committed golden output: numbers within a relative 1e-9,
// everything else exact; paths, timings and the backend are not compared.
void compare_json(const json& got, const json& want, const std::string& where) {
  static const std::set<std::string> skipped = {"path", "search_elapsed_s", "configs_per_s", "total_elapsed_s",
                                                "backend", "version", "seconds", "search_s", "elapsed_s", "work"};
  if (want.is_object()) {
    ASSERT_TRUE(got.is_object()) << where;
    for (const auto& kv : want.items()) {
      if (skipped.count(kv.key())) continue;
      ASSERT_TRUE(got.contains(kv.key())) << where << "." << kv.key();
      compare_json(got[kv.key()], kv.value(), where + "." + kv.key());
    }
    for (const auto& kv : got.items()) EXPECT_TRUE(want.contains(kv.key()) || skipped.count(kv.key())) << where << "." << kv.key();
  } else if (want.is_array()) {
    ASSERT_TRUE(got.is_array()) << where;
    ASSERT_EQ(got.size(), want.size()) << where;
    for (std::size_t i = 0; i < want.size(); ++i) compare_json(got[i], want[i], where + "[" + std::to_string(i) + "]");
  } else if (want.is_number()) {
    ASSERT_TRUE(got.is_number()) << where;
    double g = got.get<double>(), w = want.get<double>();
    EXPECT_NEAR(g, w, std::fabs(w) * 1e-9 + 1e-12) << where;
  } else {
    EXPECT_EQ(got, want) << where;
  }
}

TEST(Cli, GoldenPlanForTheShippedExample) {
  std::vector<std::string> args = example_args();
  args.insert(args.end(), {"--top", "5"});
  run_result r = run_tool(args);
  ASSERT_EQ(r.code, 0) << r.err;
  json want = tokenplan::testing::read_json_file(std::string(TOKENPLAN_SOURCE_DIR) +
                                                 "/tests/golden/plan-llama-3.1-70b-chat-30tn.json");
  compare_json(json::parse(r.out), want, "$");
}

TEST(Cli, OutWritesTheSameJsonAtomically) {
  temp_dir t;
  std::vector<std::string> args = example_args();
  args.insert(args.end(), {"--top", "3", "--out", t.path("plan.json")});
  run_result r = run_tool(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  json j = tokenplan::testing::read_json_file(t.path("plan.json"));
  EXPECT_EQ(j["results"].size(), 3u);
}

struct bad_case {
  std::string name;
  std::string file;   // which config to break: model, workload, cluster
  std::string edit;   // JSON pointer to set, or "-" to delete, or special
  json value;
  std::string want_path;
  std::string want_text;
};

TEST(Cli, BadInputExitsTwoNamesFileAndFieldAndWritesNothing) {
  const std::vector<bad_case> cases = {
      {"missing field", "model", "/num_attention_heads", json(), "$.num_attention_heads", "required field is missing"},
      {"unknown field", "model", "/num_layers", 80, "$.num_layers", "did you mean 'num_hidden_layers'"},
      {"negative field", "workload", "/output_tokens/mean", -5, "$.output_tokens.mean", "found -5"},
      {"unknown gpu", "cluster", "/sites/0/gpu", "h300", "$.sites[0].gpu", "unknown GPU \"h300\""},
      {"wrong type", "cluster", "/sites/2/gpus", "many", "$.sites[2].gpus", "found string"},
  };
  for (const bad_case& c : cases) {
    temp_dir t;
    std::string model = shipped("models/llama-3.1-70b.json");
    std::string workload = shipped("workloads/chat-30tn.json");
    std::string cluster = shipped("clusters/bytedance-h200-overseas.json");
    std::string* target = c.file == "model" ? &model : c.file == "workload" ? &workload : &cluster;
    json j = tokenplan::testing::read_json_file(*target);
    json::json_pointer ptr(c.edit);
    if (c.value.is_null()) {
      j.at(ptr.parent_pointer()).erase(ptr.back());
    } else {
      j[ptr] = c.value;
    }
    *target = t.write_json(c.file + ".json", j);
    std::string out = t.path("plan.json");
    run_result r = run_tool({"plan", "--cluster", cluster, "--model", model, "--workload", workload, "--gpu-dir",
                             shipped("gpus"), "--out", out});
    EXPECT_EQ(r.code, 2) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(*target), std::string::npos) << c.name << ": message must name the file: " << r.err;
    EXPECT_NE(r.err.find(c.want_path), std::string::npos) << c.name << ": message must name the field: " << r.err;
    EXPECT_NE(r.err.find(c.want_text), std::string::npos) << c.name << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << c.name << ": nothing may be written";
    EXPECT_TRUE(r.out.empty()) << c.name;
  }
}

TEST(Cli, BadInputLeavesAnExistingOutputUntouched) {
  temp_dir t;
  std::string out = t.write("plan.json", "previous plan\n");
  run_result r = run_tool({"plan", "--cluster", shipped("clusters/bytedance-h200-overseas.json"), "--model",
                           t.path("missing-model.json"), "--workload", shipped("workloads/chat-30tn.json"), "--out", out});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("missing-model.json: cannot open file"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(out), "previous plan\n");
}

TEST(Cli, MalformedJsonExitsTwo) {
  temp_dir t;
  std::string w = t.write("w.json", "{ \"name\": \"x\", ");
  run_result r = run_tool({"plan", "--cluster", shipped("clusters/bytedance-h200-overseas.json"), "--model",
                           shipped("models/llama-3.1-70b.json"), "--workload", w});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(w + ": malformed JSON at line 1"), std::string::npos) << r.err;
}

TEST(Cli, UsageErrors) {
  run_result r = run_tool({"plan", "--model", "x.json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("missing --cluster"), std::string::npos) << r.err;
  std::vector<std::string> args = example_args();
  args.push_back("--formt");
  r = run_tool(args);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'format'"), std::string::npos) << r.err;
  args = example_args();
  args.insert(args.end(), {"--objective", "cheapest"});
  r = run_tool(args);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--objective"), std::string::npos);
  args = example_args();
  args.insert(args.end(), {"--top", "0"});
  EXPECT_EQ(run_tool(args).code, 2);
  r = run_tool({"plna"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'plan'"), std::string::npos) << r.err;
}

TEST(Cli, CudaBackendWithoutAGpuIsAClearError) {
  std::vector<std::string> args = example_args();
  args.back() = "cuda";
  run_result r = run_tool(args);
  if (r.code == 0) GTEST_SKIP() << "a CUDA device is present; covered by the parity tests";
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--backend cuda"), std::string::npos) << r.err;
}

TEST(Cli, HelpTeaches) {
  run_result r = run_tool({"plan", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("--objective"), std::string::npos);
  r = run_tool({"help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("tokenplan plan"), std::string::npos);
  EXPECT_EQ(run_tool({"version"}).code, 0);
}

TEST(Cli, PlanAcceptsShippedNames) {
  run_result r = run_tool({"plan", "--cluster", "bytedance-h200-overseas", "--model", "llama-3.1-8b", "--workload",
                           "chat-30tn", "--top", "2", "--backend", "cpu"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["inputs"]["model"]["name"], "llama-3.1-8b");
  r = run_tool({"plan", "--cluster", "bytedance-h200-overseas", "--model", "llama-3.1-80b", "--workload", "chat-30tn"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no models file or preset named \"llama-3.1-80b\" (did you mean 'llama-3.1-"), std::string::npos)
      << r.err;
}

TEST(Cli, ExplainPrintsEveryTermWithItsBound) {
  const std::string cfg = R"({"mode":"disaggregated","weight_precision":"fp8","kv_precision":"bf16","draft_tokens":1,)"
                          R"("prefill":{"tp":1,"ep":32,"dp":32,"chunk":4096},"decode":{"tp":1,"ep":144,"dp":144,"batch":64}})";
  run_result r = run_tool({"explain", "--model", "deepseek-v3", "--gpu", "h800", "--workload", "deepseek-day", "--config", cfg});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* want : {"prefill pool:", "decode pool:", "routed_experts", "ep_dispatch_combine", "attention_decode",
                           "two-batch overlap", "KV transfer", "TPOT", "TTFT", "compute", "network"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
  r = run_tool({"explain", "--model", "deepseek-v3", "--gpu", "h800", "--workload", "deepseek-day", "--config", cfg, "--format",
                "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["command"], "explain");
  EXPECT_TRUE(j["evaluation"]["pools"].contains("prefill"));
  EXPECT_EQ(j["evaluation"]["pools"]["decode"]["step"]["components"]["attention_decode"]["bound"], "compute");
  // The same configuration through the plan path gives the same numbers (one code path).
  EXPECT_GT(j["evaluation"]["pools"]["decode"]["tpot_ms"].get<double>(), 0.0);
}

TEST(Cli, ExplainRejectsABadConfig) {
  run_result r = run_tool({"explain", "--model", "llama-3.1-8b", "--gpu", "h200-sxm", "--workload", "chat-30tn", "--config",
                           R"({"tp": 2, "batch": 8, "chunck": 4096})"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--config: $.chunck: unknown field (did you mean 'chunk'?)"), std::string::npos) << r.err;
  r = run_tool({"explain", "--model", "llama-3.1-8b", "--workload", "chat-30tn", "--config", "{}"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--gpu"), std::string::npos) << r.err;
}

TEST(Cli, ValidateAndCalibrateOnAFewPoints) {
  temp_dir t;
  std::string lines;
  std::ifstream in(std::string(TOKENPLAN_SOURCE_DIR) + "/configs/validation/public-points.jsonl");
  std::string line;
  int kept = 0;
  while (std::getline(in, line) && kept < 6) {
    if (line.find("\"trtllm017-llama31-70b-h200") != std::string::npos) {
      lines += line + "\n";
      ++kept;
    }
  }
  ASSERT_GE(kept, 4);
  const std::string points = t.write("points.jsonl", lines);
  run_result r = run_tool({"validate", points, "--format", "json", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["summary"]["points_predicted"], kept);
  EXPECT_EQ(j["schema_version"], "2.0.0");
  EXPECT_TRUE(j.contains("leave_one_source_out"));
  EXPECT_TRUE(j["points"][0].contains("loso_ape"));
  EXPECT_EQ(j["points"][0]["category"], "dense_throughput");
  EXPECT_TRUE(j["categories"].contains("dense_throughput"));
  r = run_tool({"validate", points, "--no-loo"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("dense throughput"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Leave-one-source-out"), std::string::npos) << "--no-loo: in-sample only";
  r = run_tool({"calibrate", points, "--out", t.path("cal.json"), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  json c = tokenplan::testing::read_json_file(t.path("cal.json"));
  EXPECT_TRUE(c.contains("fit"));
  EXPECT_EQ(c["fit"]["points_predicted"], kept);
  EXPECT_TRUE(c["families"]["hopper"].contains("source")) << "sources survive a refit";
  r = run_tool({"validate", t.path("missing.jsonl")});
  EXPECT_EQ(r.code, 2);
}

}  // namespace
