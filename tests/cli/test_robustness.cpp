// Issue 7 through the real binary: inputs no single-file loader check covers (directories,
// unreadable and oversized files, deep nesting, names of other files), numbers at the edges
// (no NaN/Inf reaches the output), byte-identical output at any thread count, memory limits
// refused up front, and signals that leave the previous output file intact.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "run_tool.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using tokenplan::testing::read_json_file;
using tokenplan::testing::read_text;
using tokenplan::testing::run_tokenplan;
using tokenplan::testing::shipped;
using tokenplan::testing::temp_dir;
using tokenplan::testing::tool_result;

const std::string previous = "{\"previous\": \"plan\"}\n";

std::vector<std::string> plan_args(const std::string& cluster, const std::string& model, const std::string& workload) {
  return {"plan", "--cluster", cluster, "--model", model, "--workload", workload, "--backend", "cpu", "--quiet"};
}

std::vector<std::string> example(const std::string& model = shipped("models/llama-3.1-70b.json"),
                                 const std::string& workload = shipped("workloads/chat-30tn.json"),
                                 const std::string& cluster = shipped("clusters/bytedance-h200-overseas.json")) {
  return plan_args(cluster, model, workload);
}

/// Files beside `out` other than `out` itself (a temporary the atomic write left behind).
std::vector<std::string> strays(const std::string& out) {
  std::vector<std::string> s;
  for (const auto& e : fs::directory_iterator(fs::path(out).parent_path())) {
    if (e.path().filename().string().rfind("." + fs::path(out).filename().string() + ".tmp", 0) == 0) {
      s.push_back(e.path().string());
    }
  }
  return s;
}

/// Runs args with --out on an existing file and checks the bad-input contract: exit 2, one
/// message on stderr naming the file (and the JSON path when given), the old output unchanged.
void expect_refused(std::vector<std::string> args, const std::string& file, const std::string& json_path,
                    const std::string& text) {
  temp_dir t;
  const std::string out = t.write("plan.json", previous);
  args.insert(args.end(), {"--out", out});
  const tool_result r = run_tokenplan(args);
  EXPECT_EQ(r.code, 2) << r.err;
  const std::string want = json_path.empty() ? file + ": " : file + ": " + json_path + ": ";
  EXPECT_EQ(r.err.rfind("error: " + want, 0), 0u) << "the message must name " << want << "; it says: " << r.err;
  EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one message: " << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(read_text(out), previous) << "the previous output must be left as it was";
  EXPECT_TRUE(strays(out).empty());
}

// ---- Bad input that is not one file's content ----------------------------------------------

TEST(BadInputCli, FileThatIsADirectory) {
  temp_dir t;
  fs::create_directories(t.path("model.json"));
  expect_refused(example(t.path("model.json")), t.path("model.json"), "", "is a directory, expected a JSON file");
}

TEST(BadInputCli, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions do not stop root from reading";
  temp_dir t;
  const std::string w = t.write("w.json", read_text(shipped("workloads/chat-30tn.json")));
  ASSERT_EQ(::chmod(w.c_str(), 0), 0);
  expect_refused(example(shipped("models/llama-3.1-70b.json"), w), w, "", "cannot open file");
}

TEST(BadInputCli, FileOver16MiBIsRefusedBeforeItIsRead) {
  temp_dir t;
  // A valid workload padded with whitespace past the limit: refused for its size, not its content.
  std::string text = read_text(shipped("workloads/chat-30tn.json"));
  text += std::string((16u << 20) + 1 - text.size() + 1, ' ');
  const std::string w = t.write("w.json", text);
  expect_refused(example(shipped("models/llama-3.1-70b.json"), w), w, "",
                 "bytes; config files are limited to 16777216 bytes");
}

TEST(BadInputCli, DeeplyNestedJsonIsAnErrorNotAStackOverflow) {
  temp_dir t;
  for (const std::size_t depth : {65ul, 100000ul, 4000000ul}) {
    const std::string m = t.write("m.json", "{\"x\": " + std::string(depth, '[') + std::string(depth, ']') + "}");
    expect_refused(example(m), m, "", "JSON nested deeper than 64 levels");
  }
}

TEST(BadInputCli, ClusterNamingAMissingGpu) {
  temp_dir t;
  json c = read_json_file(shipped("clusters/deepseek-h800.json"));
  c["sites"][0]["gpu"] = "h900";
  const std::string f = t.write_json("c.json", c);
  expect_refused(example(shipped("models/llama-3.1-70b.json"), shipped("workloads/chat-30tn.json"), f), f,
                 "$.sites[0].gpu", "unknown GPU \"h900\"");
}

// References are one level deep (a cluster names GPU files, a demand model and workload files),
// so no chain of them can loop; a file that names itself is read as the kind it is named for
// and refused there.
TEST(BadInputCli, ClusterNamingItselfAsItsGpu) {
  temp_dir t;
  json c = read_json_file(shipped("clusters/deepseek-h800.json"));
  const std::string f = t.path("c.json");
  c["sites"][0]["gpu"] = f;
  t.write_json("c.json", c);
  expect_refused(example(shipped("models/llama-3.1-70b.json"), shipped("workloads/chat-30tn.json"), f), f, "$.family",
                 "required field is missing");
}

TEST(BadInputCli, DemandNamingItselfAsAModel) {
  temp_dir t;
  json d = read_json_file(shipped("demands/doubao-30tn.json"));
  const std::string f = t.path("d.json");
  d["classes"][0]["model"] = f;
  t.write_json("d.json", d);
  expect_refused({"plan", "--cluster", shipped("clusters/bytedance-2026.json"), "--demand", f, "--backend", "cpu"}, f,
                 "$.architecture", "required field is missing");
}

TEST(BadInputCli, DemandNamingAMissingModel) {
  temp_dir t;
  json d = read_json_file(shipped("demands/doubao-30tn.json"));
  d["classes"][0]["model"] = "llama-9-999b";
  const std::string f = t.write_json("d.json", d);
  expect_refused({"plan", "--cluster", shipped("clusters/bytedance-2026.json"), "--demand", f, "--backend", "cpu"}, f,
                 "$.classes[0].model", "llama-9-999b");
}

TEST(BadInputCli, DuplicateSiteNames) {
  temp_dir t;
  json c = read_json_file(shipped("clusters/bytedance-h200-overseas.json"));
  c["sites"][1]["name"] = c["sites"][0]["name"];
  const std::string f = t.write_json("c.json", c);
  expect_refused(example(shipped("models/llama-3.1-70b.json"), shipped("workloads/chat-30tn.json"), f), f,
                 "$.sites[1].name", "duplicate");
}

TEST(BadInputCli, TargetOf1e30TokensPerDay) {
  temp_dir t;
  json w = read_json_file(shipped("workloads/chat-30tn.json"));
  w["tokens_per_day"] = 1e30;
  const std::string f = t.write_json("w.json", w);
  expect_refused(example(shipped("models/llama-3.1-70b.json"), f), f, "$.tokens_per_day", "found 1e+30");
}

TEST(BadInputCli, EmptyGridAxis) {
  temp_dir t;
  const std::string g = t.write("g.json", "{\"tp\": []}");
  std::vector<std::string> args = example();
  args.insert(args.end(), {"--grid", g});
  expect_refused(args, g, "$.tp", "expected at least one");
}

TEST(BadInputCli, GridTpLargerThanEveryScaleUpDomain) {
  temp_dir t;
  // H200 nodes of 8 GPUs: TP 16 could only fail the parallelism check everywhere.
  const std::string g = t.write("g.json", "{\"modes\": [\"aggregated\"], \"tp\": [16, 32]}");
  std::vector<std::string> args = example();
  args.insert(args.end(), {"--grid", g});
  expect_refused(args, g, "$.tp", "TP 16 is larger than the scale-up (NVLink) domain of every GPU in the cluster (at most 8");
  const std::string d = t.write("d.json", "{\"decode\": {\"tp\": [16]}, \"modes\": [\"disaggregated\"]}");
  args = example();
  args.insert(args.end(), {"--grid", d});
  expect_refused(args, d, "$.decode.tp", "TP 16 is larger");
}

// ---- Issue 14: found by a hostile pass -----------------------------------------------------

TEST(BadInputCli, DuplicateKeyIsRefused) {
  temp_dir t;
  std::string text = read_text(shipped("workloads/chat-30tn.json"));
  const std::string key = "\"peak_to_average\": 1.7,";
  ASSERT_NE(text.find(key), std::string::npos);
  text.replace(text.find(key), key.size(), key + " \"peak_to_average\": 3.0,");
  const std::string w = t.write("w.json", text);
  expect_refused(example(shipped("models/llama-3.1-70b.json"), w), w, "$.peak_to_average",
                 "key \"peak_to_average\" appears twice in one object");
}

/// No byte of a terminal control sequence: C0 controls other than the line ends the tool writes,
/// DEL, and the C1 range as UTF-8 (0xc2 0x80..0x9f).
void expect_no_control_characters(const std::string& text, const std::string& what) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f;
    EXPECT_FALSE((c < 0x20 && c != '\n') || c == 0x7f || c1)
        << what << ": control character " << int(c) << " at " << i << ": " << text.substr(i > 40 ? i - 40 : 0, 80);
  }
}

// A name holding an ANSI colour sequence and a newline: the message quotes it escaped, on one line.
TEST(BadInputCli, ControlCharactersInANameAreEscapedInTheMessage) {
  temp_dir t;
  json m = read_json_file(shipped("models/llama-3.1-70b.json"));
  m["name"] = "\x1b[31mred\nline\xc2\x9b" "2J";
  const std::string f = t.write_json("m.json", m);
  expect_refused(example(f), f, "$.name", "\\u001b[31mred\\u000aline\\u009b2J");
  const tool_result r = run_tokenplan(example(f));
  expect_no_control_characters(r.err, "stderr");
  // A file name with them, in a message that is about the file.
  const std::string odd = t.path("a\x1b[2Jb\n.json");
  const tool_result missing = run_tokenplan(example(odd));
  EXPECT_EQ(missing.code, 2) << missing.err;
  EXPECT_NE(missing.err.find("a\\u001b[2Jb\\u000a.json"), std::string::npos) << missing.err;
  expect_no_control_characters(missing.err, "stderr");
}

// The validate table prints each point's id: a point with an escape sequence in its id (and an
// unknown model, so it is skipped without a search) is printed escaped.
TEST(BadInputCli, ControlCharactersInAPointIdAreEscapedInTheTable) {
  temp_dir t;
  std::string line = read_text(std::string(TOKENPLAN_SOURCE_DIR) + "/tests/corpus/validation-point/valid-point.jsonl");
  json p = json::parse(line);
  p["id"] = "evil\x1b[31m\ttab\x7f";
  p["model"] = "no-such-model\x1b]0;title\x07";
  const std::string points = t.write("points.jsonl", p.dump() + "\n");
  const tool_result r = run_tokenplan({"validate", points, "--no-loo"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("evil\\u001b[31m\\u0009tab\\u007f"), std::string::npos) << r.out;
  expect_no_control_characters(r.out, "stdout");
  expect_no_control_characters(r.err, "stderr");
}

// Statistics of zero points are not a result: an empty points file is bad input, for both commands.
TEST(BadInputCli, EmptyPointsFileIsRefused) {
  temp_dir t;
  const std::string empty = t.write("empty.jsonl", "");
  const std::string blank = t.write("blank.jsonl", "\n  \n");
  for (const std::string cmd : {"validate", "calibrate"}) {
    for (const std::string& f : {empty, blank}) {
      std::vector<std::string> args = {cmd, f, "--quiet"};
      if (cmd == "calibrate") args.insert(args.end(), {"--out", t.path("cal.json")});
      const tool_result r = run_tokenplan(args);
      EXPECT_EQ(r.code, 2) << cmd << " " << f << ": " << r.err;
      EXPECT_EQ(r.err.rfind("error: " + f + ": $: no points", 0), 0u) << r.err;
      EXPECT_TRUE(r.out.empty()) << r.out;
      EXPECT_FALSE(fs::exists(t.path("cal.json")));
    }
  }
}

// Draft lengths on the grid mean speculative decoding: a workload without its "speculative"
// block (acceptance, draft cost) cannot cost them, so the pair is refused, naming the grid.
TEST(BadInputCli, DraftLengthsWithoutASpeculativeWorkload) {
  temp_dir t;
  const std::string grid = t.write("g.json", "{\"draft_tokens\": [0, 2]}");
  std::vector<std::string> args = example();
  args.insert(args.end(), {"--grid", grid});
  expect_refused(args, grid, "$.draft_tokens", "draft length 2 needs a \"speculative\" block");
  // Draft length 0 alone is no speculation: accepted.
  const std::string none = t.write("none.json", "{\"draft_tokens\": [0], \"modes\": [\"aggregated\"], \"tp\": [8], \"batch\": [64]}");
  args = example();
  args.insert(args.end(), {"--grid", none});
  const tool_result r = run_tokenplan(args);
  EXPECT_EQ(r.code, 0) << r.err;
}

// ---- Numbers at the edges: no NaN or Inf reaches the output -------------------------------

/// Every number in the document is finite, and no value is null (nlohmann writes NaN and Inf
/// as null) except where the baseline plan has nulls too (fields that are absent by design).
void expect_finite(const json& j, const std::string& path, std::vector<std::string>* nulls) {
  if (j.is_number_float()) {
    EXPECT_TRUE(std::isfinite(j.get<double>())) << path;
  } else if (j.is_null()) {
    nulls->push_back(path);
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) expect_finite(it.value(), path + "." + it.key(), nulls);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) expect_finite(j[i], path + "[]", nulls);
  }
}

void expect_no_nan_text(const std::string& text, const std::string& what) {
  for (const char* bad : {"nan", "NaN", "inf", "Inf"}) {
    // Words only: "inference", "infeasible" and "info" are prose.
    for (std::size_t p = text.find(bad); p != std::string::npos; p = text.find(bad, p + 1)) {
      const std::size_t e = p + std::string(bad).size();
      const bool word_start = p == 0 || !std::isalnum(static_cast<unsigned char>(text[p - 1]));
      const bool word_end = e >= text.size() || !std::isalpha(static_cast<unsigned char>(text[e]));
      EXPECT_FALSE(word_start && word_end) << what << ": '" << bad << "' at " << p << ": "
                                           << text.substr(p > 40 ? p - 40 : 0, 80);
    }
  }
}

std::set<std::string> null_paths(const std::vector<std::string>& args) {
  const tool_result r = run_tokenplan(args);
  EXPECT_EQ(r.code, 0) << r.err;
  std::vector<std::string> nulls;
  expect_finite(json::parse(r.out), "$", &nulls);
  return {nulls.begin(), nulls.end()};
}

std::string one_gpu_cluster(const temp_dir& t) {
  json c = read_json_file(shipped("clusters/deepseek-h800.json"));
  c["sites"][0]["gpus"] = 1;
  c["sites"][0]["gpus_per_node"] = 1;
  return t.write_json("one-gpu.json", c);
}

TEST(NumbersCli, EdgesGiveFiniteNumbersEverywhere) {
  temp_dir t;
  const std::string cluster = one_gpu_cluster(t);
  const std::string batch1 = t.write("batch1.json", "{\"modes\": [\"aggregated\"], \"tp\": [1], \"batch\": [1]}");
  const std::string model = shipped("models/llama-3.1-8b.json");
  const std::string workload = shipped("workloads/chat-30tn.json");
  std::set<std::string> allowed = null_paths(plan_args(cluster, model, workload));
  // The schema's "none": at a target of a few tokens every configuration needs one node, the
  // ranking ties on cost, and no configuration of another structure is in it.
  allowed.insert("$.why_the_winner_wins.runner_up");
  struct edge {
    std::string name;
    std::vector<std::string> extra;
  };
  const std::vector<edge> edges = {
      {"batch 1", {"--grid", batch1}},
      {"context 1 (isl 1, osl 1)", {"--isl", "1", "--osl", "1"}},
      {"batch 1, context 1", {"--grid", batch1, "--isl", "1", "--osl", "1"}},
      {"target just above zero", {"--target", "1/day"}},
      {"target just above zero, one request a day", {"--target", "2/day", "--isl", "1", "--osl", "1"}},
      {"table", {"--format", "table", "--target", "1/day"}},
      {"csv", {"--format", "csv", "--isl", "1", "--osl", "1"}},
  };
  for (const edge& e : edges) {
    std::vector<std::string> args = plan_args(cluster, model, workload);
    args.insert(args.end(), e.extra.begin(), e.extra.end());
    const tool_result r = run_tokenplan(args);
    ASSERT_EQ(r.code, 0) << e.name << ": " << r.err;
    expect_no_nan_text(r.out, e.name);
    if (std::find(e.extra.begin(), e.extra.end(), "--format") != e.extra.end()) continue;
    std::vector<std::string> nulls;
    expect_finite(json::parse(r.out), "$", &nulls);
    for (const std::string& n : nulls) EXPECT_TRUE(allowed.count(n)) << e.name << ": null (NaN or Inf?) at " << n;
  }
}

TEST(NumbersCli, TargetAtTheFleetsExactCapacity) {
  temp_dir t;
  const std::string cluster = shipped("clusters/deepseek-h800.json");
  const std::string model = shipped("models/llama-3.1-8b.json");
  const std::string workload = shipped("workloads/chat-30tn.json");
  const tool_result cap = run_tokenplan({"capacity", "--cluster", cluster, "--model", model, "--workload", workload,
                                         "--backend", "cpu", "--quiet"});
  ASSERT_EQ(cap.code, 0) << cap.err;
  expect_no_nan_text(cap.out, "capacity");
  const json k = json::parse(cap.out);
  std::vector<std::string> nulls;
  expect_finite(k, "$", &nulls);
  const double carried = k["capacity"]["max_tokens_per_day"].get<double>();
  ASSERT_GT(carried, 0.0);
  const std::set<std::string> allowed = null_paths(plan_args(cluster, model, workload));
  char target[64];
  std::snprintf(target, sizeof target, "%.17g/day", carried);
  std::vector<std::string> args = plan_args(cluster, model, workload);
  args.insert(args.end(), {"--target", target});
  const tool_result r = run_tokenplan(args);
  ASSERT_EQ(r.code, 0) << r.err;
  expect_no_nan_text(r.out, "plan at capacity");
  nulls.clear();
  const json j = json::parse(r.out);
  expect_finite(j, "$", &nulls);
  for (const std::string& n : nulls) EXPECT_TRUE(allowed.count(n)) << "null (NaN or Inf?) at " << n;
}

/// No "-0" as a number ("-0", "-0.000", "-0 ms"); "-0.05" and "2026-01" are not it.
void expect_no_negative_zero(const std::string& text, const std::string& what) {
  for (std::size_t p = text.find("-0"); p != std::string::npos; p = text.find("-0", p + 1)) {
    if (p > 0 && std::isalnum(static_cast<unsigned char>(text[p - 1]))) continue;  // 2026-01, t1-0
    std::size_t e = p + 2;
    if (e < text.size() && text[e] == '.') {
      ++e;
      while (e < text.size() && text[e] == '0') ++e;
    }
    const bool more_digits = e < text.size() && std::isdigit(static_cast<unsigned char>(text[e]));
    EXPECT_TRUE(more_digits) << what << ": negative zero at " << p << ": " << text.substr(p > 40 ? p - 40 : 0, 80);
  }
}

// Issue 14: a target far above what the fleet carries solved to -0 tokens/day "optimal" (the
// solver's deferral nudge outweighed a multiple near 1e-5); far below it (1e-300/day) gave Inf.
TEST(NumbersCli, CapacityAtHugeTargetsIsPositiveAndFinite) {
  const std::string cluster = shipped("clusters/deepseek-h800.json");
  const std::string model = shipped("models/llama-3.1-8b.json");
  const std::string workload = shipped("workloads/chat-30tn.json");
  auto capacity = [&](const std::string& target, const std::string& format) {
    return run_tokenplan({"capacity", "--cluster", cluster, "--model", model, "--workload", workload, "--backend", "cpu",
                          "--quiet", "--target", target, "--format", format});
  };
  const tool_result base = capacity("30T/day", "json");
  ASSERT_EQ(base.code, 0) << base.err;
  const double carried = json::parse(base.out)["capacity"]["max_tokens_per_day"].get<double>();
  ASSERT_GT(carried, 0.0);
  for (const std::string target : {"2e15/day", "1e17/day", "1e18/day", "1/day"}) {
    const tool_result r = capacity(target, "json");
    ASSERT_EQ(r.code, 0) << target << ": " << r.err;
    expect_no_nan_text(r.out, target);
    expect_no_negative_zero(r.out, target);
    const json j = json::parse(r.out);
    std::vector<std::string> nulls;
    expect_finite(j, "$", &nulls);
    const double got = j["capacity"]["max_tokens_per_day"].get<double>();
    EXPECT_GT(got, 0.0) << target;
    // At large targets the per-class search picks the configurations it picks at 30T/day, and the
    // same GPUs carry the same tokens whatever the target is a multiple of. (At 1/day it picks
    // configurations sized for a trickle, which carry less.)
    if (target != "1/day") {
      EXPECT_NEAR(got / carried, 1.0, 0.05) << target << ": " << got << " against " << carried;
    }
    const tool_result table = capacity(target, "table");
    ASSERT_EQ(table.code, 0) << table.err;
    expect_no_nan_text(table.out, target + " table");
    expect_no_negative_zero(table.out, target + " table");
  }
  // Below the floor: a usage error naming the option.
  const tool_result tiny = capacity("1e-300/day", "json");
  EXPECT_EQ(tiny.code, 2) << tiny.err;
  EXPECT_NE(tiny.err.find("--target"), std::string::npos) << tiny.err;
  EXPECT_NE(tiny.err.find("below the floor of 1 token a day"), std::string::npos) << tiny.err;
}

// Issue 14: at a site priced at 0 every configuration costs 0; the plan ranked a 5-million-GPU
// fleet first (ties went to the first batch size) and printed "-nan%" for the runner-up.
// Equal cost now ranks by fewer GPUs billed.
TEST(NumbersCli, FreeSiteRanksTheSmallestFleetFirst) {
  temp_dir t;
  json c = read_json_file(shipped("clusters/deepseek-h800.json"));
  c["sites"][0]["usd_per_gpu_hour"] = 0;
  const std::string cluster = t.write_json("free.json", c);
  std::vector<std::string> args = plan_args(cluster, shipped("models/llama-3.1-8b.json"), shipped("workloads/chat-30tn.json"));
  const tool_result r = run_tokenplan(args);
  ASSERT_EQ(r.code, 0) << r.err;
  expect_no_nan_text(r.out, "json");
  expect_no_negative_zero(r.out, "json");
  const json j = json::parse(r.out);
  const json& plans = j["results"];
  ASSERT_GE(plans.size(), 2u);
  for (std::size_t i = 1; i < plans.size(); ++i) {
    EXPECT_EQ(plans[i]["fleet"]["cost_usd_per_day"].get<double>(), 0.0);
    EXPECT_LE(plans[i - 1]["fleet"]["gpus_billed"].get<double>(), plans[i]["fleet"]["gpus_billed"].get<double>()) << "rank " << i;
  }
  for (const std::string format : {"table", "md", "csv"}) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--format", format});
    const tool_result f = run_tokenplan(a);
    ASSERT_EQ(f.code, 0) << f.err;
    expect_no_nan_text(f.out, format);
    expect_no_negative_zero(f.out, format);
  }
}

// ---- Determinism: the same inputs, the same bytes, at any thread count --------------------

/// The output with what legitimately differs between runs removed: timings and the thread
/// count in the backend's description.
json without_timing(json j) {
  static const std::set<std::string> timing = {"search_elapsed_s", "configs_per_s", "total_elapsed_s", "elapsed_s",
                                               "seconds", "search_s", "pareto_elapsed_s"};
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (timing.count(it.key())) {
        it = j.erase(it);
      } else {
        it.value() = without_timing(it.value());
        ++it;
      }
    }
    if (j.contains("backend") && j["backend"].is_object()) j["backend"].erase("device");
  } else if (j.is_array()) {
    for (json& x : j) x = without_timing(x);
  }
  return j;
}

/// How the search reached its verdicts (search.work: full evaluations, verdicts inherited along
/// the batch axis, queueing solves skipped by the bound) depends on how the grid is cut into
/// blocks per thread, so it may differ between thread counts; the verdicts, counts and ranking
/// may not.
json without_work(json j) {
  if (j.contains("search") && j["search"].is_object()) j["search"].erase("work");
  return j;
}

std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t p = 0;
  while (p < a.size() && p < b.size() && a[p] == b[p]) ++p;
  return "at byte " + std::to_string(p) + ": ..." + a.substr(p > 200 ? p - 200 : 0, 300) + "\n  vs ..." +
         b.substr(p > 200 ? p - 200 : 0, 300);
}

void expect_deterministic(const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, json>> runs;
  for (const char* threads : {"2", "2", "1", "7"}) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--threads", threads});
    const tool_result r = run_tokenplan(a);
    ASSERT_EQ(r.code, 0) << r.err;
    runs.emplace_back(threads, without_timing(json::parse(r.out)));
  }
  // The same thread count twice: the same bytes, every counter included.
  const std::string a = runs[0].second.dump(1), b = runs[1].second.dump(1);
  EXPECT_EQ(a, b) << "two runs at --threads 2 differ " << first_difference(a, b);
  const std::string base = without_work(runs[0].second).dump(1);
  for (std::size_t i = 2; i < runs.size(); ++i) {
    const std::string x = without_work(runs[i].second).dump(1);
    EXPECT_EQ(base, x) << "--threads " << runs[i].first << " differs from --threads 2 " << first_difference(base, x);
  }
}

TEST(DeterminismCli, PlanIsByteIdenticalAt1And2And7Threads) {
  std::vector<std::string> args = example();
  args.insert(args.end(), {"--pareto"});
  expect_deterministic(args);
}

TEST(DeterminismCli, DemandPlanIsByteIdenticalAt1And2And7Threads) {
  // A day's profile over the mixed-GPU cluster: classes searched, the MIP, the runway.
  expect_deterministic({"plan", "--cluster", shipped("clusters/bytedance-2026.json"), "--demand",
                        std::string(TOKENPLAN_SOURCE_DIR) + "/tests/schema/data/small-demand.json", "--backend", "cpu",
                        "--quiet"});
}

// ---- Limits: refused up front, and signals leave the old output alone ---------------------

TEST(LimitsCli, SearchTooBigForMemoryIsRefusedWithTheEstimateAndTheFlags) {
  temp_dir t;
  const std::string out = t.write("plan.json", previous);
  std::vector<std::string> args = example();
  // 4096 threads x 16 blocks x 100,000 slots of 32 B, twice: 400 GiB.
  args.insert(args.end(), {"--threads", "4096", "--top", "100000", "--out", out});
  const auto t0 = std::chrono::steady_clock::now();
  const tool_result r = run_tokenplan(args);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("the search would hold about 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" GiB"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lower --top, --threads or --chunk"), std::string::npos) << r.err;
  EXPECT_LT(s, 30.0) << "refused up front, not after a long search";
  EXPECT_EQ(read_text(out), previous);
}

/// Starts tokenplan with args, sends `sig` after `delay_s`, and returns its wait status.
int run_and_signal(const std::vector<std::string>& args, int sig, double delay_s, const std::string& err_file) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string bin = TOKENPLAN_BIN;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!std::freopen(err_file.c_str(), "w", stderr)) _exit(99);
    if (!std::freopen("/dev/null", "w", stdout)) _exit(99);
    ::execv(bin.c_str(), argv.data());
    _exit(98);
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(delay_s));
  ::kill(pid, sig);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(LimitsCli, SignalDuringALongPlanLeavesThePreviousOutput) {
  temp_dir t;
  const std::string out = t.write("plan.json", previous);
  // DeepSeek-V3's built-in grid: 13.7 M configurations, seconds on one thread.
  std::vector<std::string> args = example(shipped("models/deepseek-v3.json"));
  args.insert(args.end(), {"--threads", "1", "--out", out});
  for (const int sig : {SIGINT, SIGTERM}) {
    const int status = run_and_signal(args, sig, 1.0, t.path("err"));
    const std::string err = read_text(t.path("err"));
    if (WIFSIGNALED(status)) {
      // A machine so loaded that the signal came before the search installed its handler: the
      // default action; the file must still be intact.
      EXPECT_EQ(WTERMSIG(status), sig);
    } else {
      // Ctrl-C or SIGTERM: the pass stops at the next chunk, says so, exits 128 + the signal
      // (130, 143) and writes nothing.
      EXPECT_EQ(WEXITSTATUS(status), 128 + sig) << err;
      EXPECT_NE(err.find("interrupted"), std::string::npos) << err;
      EXPECT_NE(err.find("nothing written"), std::string::npos) << err;
    }
    EXPECT_EQ(read_text(out), previous) << "signal " << sig;
    EXPECT_TRUE(strays(out).empty()) << "signal " << sig;
  }
}

}  // namespace
