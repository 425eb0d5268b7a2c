// Bad input beyond one file's content, through the real binary: exit 2, the file named, the old output kept.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "robustness_support.hpp"
#include "run_tool.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using tokenplan::testing::read_json_file;
using tokenplan::testing::read_text;
using tokenplan::testing::robustness::example;
using tokenplan::testing::robustness::previous;
using tokenplan::testing::robustness::strays;
using tokenplan::testing::run_tokenplan;
using tokenplan::testing::shipped;
using tokenplan::testing::temp_dir;
using tokenplan::testing::tool_result;

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

}  // namespace
