// tokenplan sweep through the real binary: a 2x2x2 matrix on small configs, JSON Lines and CSV,
// resuming after a row cut off mid-write, price and GPU axes that change what the planner finds,
// rows for infeasible and ill-matched scenarios, and the error paths (exit 2, file and JSON path).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using tokenplan::testing::read_text;
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

run_result run_tool(const std::vector<std::string>& args, const std::string& env = "") {
  temp_dir t;
  std::string cmd = env + (env.empty() ? "" : " ") + quote(TOKENPLAN_BIN);
  for (const std::string& a : args) cmd += " " + quote(a);
  cmd += " > " + quote(t.path("out")) + " 2> " + quote(t.path("err")) + " < /dev/null";
  int status = std::system(cmd.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(t.path("out"));
  r.err = read_text(t.path("err"));
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

/// The text with the one field that differs between runs (the time a scenario took) blanked.
std::string without_timing(const std::string& text, bool csv) {
  if (!csv) return std::regex_replace(text, std::regex("\"elapsed_s\":[-+0-9.eE]+"), "\"elapsed_s\":T");
  return std::regex_replace(text, std::regex(",[-+0-9.eE]+\n"), ",T\n");  // elapsed_s is the last column
}

/// Two sites of H200 at different lease prices, a small aggregated grid, and a 2x2x2 matrix:
/// models x GPUs x daily targets.
struct sweep_setup {
  temp_dir t;
  std::string matrix;
  sweep_setup(const json& extra = json::object()) {
    json site_a = {{"name", "a"}, {"gpu", "h200-sxm"}, {"gpus", 256}, {"gpus_per_node", 8}, {"usd_per_gpu_hour", 2.0},
                   {"price_includes_power", true}, {"pue", 1.3}};
    json site_b = site_a;
    site_b["name"] = "b";
    site_b["usd_per_gpu_hour"] = 3.0;
    t.write_json("clusters/two-sites.json", {{"name", "two-sites"}, {"sites", {site_a, site_b}}});
    t.write_json("grids/small.json", {{"modes", {"aggregated"}}, {"weight_precisions", {"fp8"}}, {"kv_precisions", {"fp8"}},
                                      {"aggregated", {{"tp", {1, 2, 4, 8}}, {"pp", {1}}, {"chunk_tokens", {8192}},
                                                      {"batch", {16, 32, 64, 128}}}}});
    json m = {{"name", "two-by-two-by-two"},
              {"clusters", {"two-sites"}},
              {"grid", "small"},
              {"gpus", {"h200-sxm", {{"gpu", "h100-sxm"}, {"usd_per_gpu_hour", 2.5}}}},
              {"models", {"llama-3.1-8b", "llama-3.1-70b"}},
              {"workloads", {"chat-30tn"}},
              {"tokens_per_day", {1e11, 1e12}}};
    for (const auto& kv : extra.items()) m[kv.key()] = kv.value();
    matrix = t.write_json("sweeps/m.json", m);
  }
};

/// Rows with their keys in file order.
std::vector<nlohmann::ordered_json> parse_rows(const std::string& text) {
  std::vector<nlohmann::ordered_json> rows;
  for (const std::string& l : lines_of(text)) rows.push_back(nlohmann::ordered_json::parse(l));
  return rows;
}

TEST(Sweep, JsonlRowsThenResumeAfterACutRow) {
  sweep_setup s;
  const std::string out = s.t.path("rows.jsonl");
  run_result r = run_tool({"sweep", "--matrix", s.matrix, "--out", out, "--backend", "cpu"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("8 scenarios"), std::string::npos) << r.err;
  const std::string full = read_text(out);
  auto rows = parse_rows(full);
  ASSERT_EQ(rows.size(), 8u);
  std::set<std::string> keys;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    EXPECT_EQ(row["index"], i);
    EXPECT_EQ(row["status"], "feasible") << row.dump();
    EXPECT_EQ(row["schema_version"], "1.1.0");
    keys.insert(row["scenario"].get<std::string>());
    EXPECT_GT(row["gpus_billed"].get<double>(), 0.0);
    EXPECT_GT(row["cost_usd_per_day"].get<double>(), 0.0);
    EXPECT_LE(row["tpot_ms"].get<double>(), 50.0);
    EXPECT_EQ(row["matrix_sha256"].get<std::string>().size(), 64u);
  }
  EXPECT_EQ(keys.size(), 8u);
  // Clusters slowest, daily targets fastest: the first two rows differ only in the target.
  EXPECT_EQ(rows[0]["scenario"], "cluster=two-sites|gpu=h200-sxm|price=-|model=llama-3.1-8b|workload=chat-30tn|tokens_per_day=1e+11");
  EXPECT_EQ(rows[1]["scenario"], "cluster=two-sites|gpu=h200-sxm|price=-|model=llama-3.1-8b|workload=chat-30tn|tokens_per_day=1e+12");
  EXPECT_EQ(rows[4]["gpu_override"], "h100-sxm@2.5");
  EXPECT_EQ(rows[4]["gpu"], "h100-sxm");
  // Ten times the tokens on the same configuration: about ten times the GPUs.
  EXPECT_GT(rows[1]["gpus"].get<double>(), 5.0 * rows[0]["gpus"].get<double>());

  // An interrupted write: three whole rows and half of the fourth.
  std::vector<std::string> ls = lines_of(full);
  const std::string cut = ls[0] + "\n" + ls[1] + "\n" + ls[2] + "\n" + ls[3].substr(0, ls[3].size() / 2);
  s.t.write("rows.jsonl", cut);
  run_result again = run_tool({"sweep", "--matrix", s.matrix, "--out", out, "--backend", "cpu"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("cut a partially written last row"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("3 already in"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("wrote 5 rows"), std::string::npos) << again.err;
  const std::string resumed = read_text(out);
  EXPECT_EQ(resumed.substr(0, cut.rfind('\n') + 1), cut.substr(0, cut.rfind('\n') + 1)) << "rows already written are kept as they were";
  EXPECT_EQ(without_timing(resumed, false), without_timing(full, false));

  // Nothing left to do: the file stays as it is.
  run_result done = run_tool({"sweep", "--matrix", s.matrix, "--out", out, "--backend", "cpu", "--quiet"});
  ASSERT_EQ(done.code, 0) << done.err;
  EXPECT_EQ(done.err, "");
  EXPECT_EQ(read_text(out), resumed);
}

TEST(Sweep, CsvHasTheSameRowsAndResumes) {
  sweep_setup s;
  run_result j = run_tool({"sweep", "--matrix", s.matrix, "--backend", "cpu", "--quiet"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto rows = parse_rows(j.out);
  ASSERT_EQ(rows.size(), 8u);
  const std::string out = s.t.path("rows.csv");  // the extension picks CSV
  run_result c = run_tool({"sweep", "--matrix", s.matrix, "--out", out, "--backend", "cpu", "--quiet"});
  ASSERT_EQ(c.code, 0) << c.err;
  const std::string full = read_text(out);
  std::vector<std::string> ls = lines_of(full);
  ASSERT_EQ(ls.size(), 9u);
  std::string header;
  for (const auto& kv : rows[0].items()) header += (header.empty() ? "" : ",") + kv.key();
  EXPECT_EQ(ls[0], header);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    // Every field as JSON writes it (strings bare here: none holds a comma or a quote).
    std::string expect;
    for (const auto& kv : rows[i].items()) {
      std::string f = kv.value().is_null() ? "" : kv.value().is_string() ? kv.value().get<std::string>() : kv.value().dump();
      expect += (expect.empty() ? "" : ",") + f;
    }
    EXPECT_EQ(without_timing(ls[i + 1] + "\n", true), without_timing(expect + "\n", true));
  }
  s.t.write("rows.csv", ls[0] + "\n" + ls[1] + "\n" + ls[2].substr(0, 40));
  run_result again = run_tool({"sweep", "--matrix", s.matrix, "--out", out, "--backend", "cpu"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("1 already in"), std::string::npos) << again.err;
  EXPECT_EQ(without_timing(read_text(out), true), without_timing(full, true));
  // A header cut in half is cut away and written again.
  s.t.write("rows.csv", ls[0].substr(0, 30));
  run_result header_cut = run_tool({"sweep", "--matrix", s.matrix, "--out", out, "--backend", "cpu", "--quiet"});
  ASSERT_EQ(header_cut.code, 0) << header_cut.err;
  EXPECT_EQ(without_timing(read_text(out), true), without_timing(full, true));
}

// The price axis reprices what the planner ranks: twice the GPU-hour price with power included
// is twice the cost of the same configuration; a cheaper site wins the ranking.
TEST(Sweep, PriceAxisChangesCostAndWinner) {
  sweep_setup s({{"models", {"llama-3.1-8b"}}, {"tokens_per_day", {1e12}},
                 {"prices", {1.0, 2.0, {{"label", "b-cheap"}, {"usd_per_gpu_hour", {{"b", 1.0}}}}}}});
  json m = tokenplan::testing::read_json_file(s.matrix);
  m.erase("gpus");  // the clusters' own GPUs and prices
  s.t.write_json("sweeps/m.json", m);
  run_result r = run_tool({"sweep", "--matrix", s.matrix, "--backend", "cpu", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto rows = parse_rows(r.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["price"], "x1");
  EXPECT_EQ(rows[1]["price"], "x2");
  EXPECT_TRUE(rows[0]["gpu_override"].is_null());
  EXPECT_EQ(rows[0]["site"], "a");
  EXPECT_EQ(rows[1]["layout"], rows[0]["layout"]);
  EXPECT_EQ(rows[1]["gpus_billed"], rows[0]["gpus_billed"]);
  EXPECT_NEAR(rows[1]["cost_usd_per_day"].get<double>() / rows[0]["cost_usd_per_day"].get<double>(), 2.0, 1e-9);
  EXPECT_EQ(rows[2]["site"], "b");
  EXPECT_NEAR(rows[2]["cost_usd_per_day"].get<double>() / rows[0]["cost_usd_per_day"].get<double>(), 0.5, 1e-9);
}

// Rows for scenarios with no answer: an SLO no configuration meets, and a model whose context
// is shorter than the workload's tail request.
TEST(Sweep, InfeasibleAndErrorRows) {
  sweep_setup s;
  json w = tokenplan::testing::read_json_file(tokenplan::testing::shipped("workloads/chat-30tn.json"));
  w["name"] = "impossible";
  w["slo"]["tpot_ms"] = 0.5;
  s.t.write_json("workloads/impossible.json", w);
  json m = tokenplan::testing::read_json_file(s.matrix);
  m.erase("gpus");
  m["models"] = {"llama-3.1-8b", "llama-2-70b"};
  m["workloads"] = {"impossible", "chat-30tn"};
  m["tokens_per_day"] = {1e11};
  s.t.write_json("sweeps/m.json", m);
  run_result r = run_tool({"sweep", "--matrix", s.matrix, "--backend", "cpu", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto rows = parse_rows(r.out);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0]["status"], "infeasible");
  EXPECT_NE(rows[0]["why_not"].get<std::string>().find("most are ruled out by tpot_slo"), std::string::npos) << rows[0];
  EXPECT_TRUE(rows[0]["gpus"].is_null());
  EXPECT_GT(rows[0]["grid_size"].get<double>(), 0.0);
  EXPECT_EQ(rows[1]["status"], "feasible");
  EXPECT_EQ(rows[3]["model"], "llama-2-70b");
  EXPECT_EQ(rows[3]["status"], "error");
  EXPECT_NE(rows[3]["why_not"].get<std::string>().find("exceeds the context"), std::string::npos) << rows[3];
}

TEST(Sweep, BadInputsExitTwoNamingFileAndField) {
  sweep_setup s;
  const std::string m = s.matrix;
  auto expect_error = [&](const json& matrix, const std::string& path, const std::string& text) {
    s.t.write_json("sweeps/m.json", matrix);
    run_result r = run_tool({"sweep", "--matrix", m, "--backend", "cpu"});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find(m + ": " + path + ": "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  };
  const json good = tokenplan::testing::read_json_file(m);
  json j = good;
  j["models"] = {"llama-3.1-8b", "lama-3.1-70b"};
  expect_error(j, "$.models[1]", "unknown model \"lama-3.1-70b\" (did you mean 'llama-3.1-70b'?)");
  j = good;
  j["target"] = {1e12};
  expect_error(j, "$.target", "unknown field");
  j = good;
  j["tokens_per_day"] = {1e12, -1};
  expect_error(j, "$.tokens_per_day[1]", "expected a number >= 1");
  j = good;
  j["prices"] = {{{"label", "x"}, {"usd_per_gpu_hour", {{"riyadh", 1.0}}}}};
  expect_error(j, "$.prices[0].usd_per_gpu_hour.riyadh", "is in none of the matrix's clusters");
  j = good;
  j.erase("workloads");
  expect_error(j, "$.workloads", "required field is missing");

  s.t.write("sweeps/m.json", "{\"name\": \"x\",");
  run_result bad_json = run_tool({"sweep", "--matrix", m});
  EXPECT_EQ(bad_json.code, 2);
  EXPECT_NE(bad_json.err.find(m + ": malformed JSON"), std::string::npos) << bad_json.err;

  run_result no_matrix = run_tool({"sweep"});
  EXPECT_EQ(no_matrix.code, 2);
  EXPECT_NE(no_matrix.err.find("--matrix"), std::string::npos);
  run_result bad_format = run_tool({"sweep", "--matrix", m, "--format", "xml"});
  EXPECT_EQ(bad_format.code, 2);
  EXPECT_NE(bad_format.err.find("expected jsonl or csv"), std::string::npos);

  // An output file that this matrix did not write is refused, not appended to.
  s.t.write_json("sweeps/m.json", good);
  const std::string out = s.t.write("other.jsonl", "{\"x\": 1}\n");
  run_result foreign = run_tool({"sweep", "--matrix", m, "--out", out});
  EXPECT_EQ(foreign.code, 2);
  EXPECT_NE(foreign.err.find(out + ": line 1: "), std::string::npos) << foreign.err;
  EXPECT_EQ(read_text(out), "{\"x\": 1}\n");
  const std::string first = s.t.path("first.jsonl");
  ASSERT_EQ(run_tool({"sweep", "--matrix", m, "--out", first, "--backend", "cpu", "--quiet"}).code, 0);
  json changed = good;
  changed["tokens_per_day"] = {1e11};
  s.t.write_json("sweeps/m.json", changed);
  run_result other_matrix = run_tool({"sweep", "--matrix", m, "--out", first, "--backend", "cpu"});
  EXPECT_EQ(other_matrix.code, 2);
  EXPECT_NE(other_matrix.err.find("written for another matrix"), std::string::npos) << other_matrix.err;

  // One sweep per output file: a second one is turned away while the first holds the file.
  s.t.write_json("sweeps/m.json", good);
  const std::string busy = s.t.write("busy.jsonl", "");
  const int fd = ::open(busy.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  run_result locked = run_tool({"sweep", "--matrix", m, "--out", busy, "--backend", "cpu"});
  ::close(fd);
  EXPECT_EQ(locked.code, 2);
  EXPECT_NE(locked.err.find("being written by another tokenplan sweep"), std::string::npos) << locked.err;
  EXPECT_EQ(read_text(busy), "");
}

// Ctrl-C during a sweep: exit 130, the rows written are whole and kept, the message says how to
// resume, and the rerun finishes the rest.
TEST(Sweep, CtrlCKeepsTheRowsWritten) {
  sweep_setup s;
  json m = tokenplan::testing::read_json_file(s.matrix);
  m.erase("gpus");
  m.erase("grid");  // the built-in grid: long enough a search to be interrupted
  m["models"] = {"llama-3.1-70b"};
  m["tokens_per_day"] = {1e11, 2e11, 3e11, 4e11, 5e11, 6e11, 7e11, 8e11, 9e11, 1e12};
  s.t.write_json("sweeps/m.json", m);
  const std::string out = s.t.path("rows.jsonl"), err = s.t.path("err");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(e, 2);
    ::execl(TOKENPLAN_BIN, TOKENPLAN_BIN, "sweep", "--matrix", s.matrix.c_str(), "--out", out.c_str(), "--backend", "cpu",
            "--chunk", "4096", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait for the first row, then interrupt the search of a later one.
  bool row = false;
  for (int i = 0; i < 12000 && !row; ++i) {
    row = read_text(out).find('\n') != std::string::npos;
    if (!row) ::usleep(5000);
  }
  ::kill(child, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(row) << "no row within 60 s";
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 130) << read_text(err);
  EXPECT_NE(read_text(err).find("run the same command again to resume"), std::string::npos) << read_text(err);
  const std::string kept = read_text(out);
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept.back(), '\n');
  const std::size_t n = parse_rows(kept).size();
  EXPECT_GE(n, 1u);
  EXPECT_LT(n, 10u);
  run_result rest = run_tool({"sweep", "--matrix", s.matrix, "--out", out, "--backend", "cpu"});
  ASSERT_EQ(rest.code, 0) << rest.err;
  EXPECT_NE(rest.err.find(std::to_string(n) + " already in"), std::string::npos) << rest.err;
  const std::string all = read_text(out);
  EXPECT_EQ(all.substr(0, kept.size()), kept);
  auto rows = parse_rows(all);
  ASSERT_EQ(rows.size(), 10u);
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i]["index"], i);
}

TEST(Sweep, HelpAndTopLevelHelpNameIt) {
  run_result h = run_tool({"sweep", "--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("--matrix FILE"), std::string::npos);
  run_result top = run_tool({"help"});
  EXPECT_NE(top.out.find("tokenplan sweep --matrix FILE"), std::string::npos);
  run_result typo = run_tool({"swep"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("did you mean 'sweep'"), std::string::npos) << typo.err;
}

}  // namespace
