// plan --html through the real binary: the report beside the normal output, one chart point per
// ranked row, nothing outside the file, written atomically; and its usage errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "temp_dir.hpp"

namespace {

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

run_result run_tool(const temp_dir& t, const std::vector<std::string>& args) {
  std::string cmd = quote(TOKENPLAN_BIN);
  for (const std::string& a : args) cmd += " " + quote(a);
  cmd += " > " + quote(t.path("stdout")) + " 2> " + quote(t.path("stderr")) + " < /dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(t.path("stdout")), read_text(t.path("stderr"))};
}

std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + needle.size())) ++n;
  return n;
}

std::vector<std::string> example(const std::string& html) {
  return {"plan", "--cluster", "bytedance-h200-overseas", "--model", "llama-3.1-70b", "--workload", "chat-30tn",
          "--backend", "cpu", "--top", "6", "--format", "table", "--html", html};
}

TEST(CliHtml, PlanWritesASelfContainedReportBesideTheTable) {
  temp_dir t;
  const run_result r = run_tool(t, example(t.path("report.html")));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("rank site"), std::string::npos);  // the table still goes to stdout
  const std::string html = read_text(t.path("report.html"));
  ASSERT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(count(html, "<circle class=\"point"), 6u);
  EXPECT_EQ(count(html, "<tr data-rank=") + count(html, "<tr class=\"frontier\" data-rank="), 6u);
  // Self-contained: no address but the SVG namespace, no external script, style or font.
  EXPECT_EQ(count(html, "http"), count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(count(html, "<script"), 1u);
  // No temporary file left beside it.
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(t.root())) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"report.html", "stderr", "stdout"}));
}

TEST(CliHtml, UsageErrorsWriteNothing) {
  temp_dir t;
  std::vector<std::string> same = example(t.path("x.html"));
  same.insert(same.end(), {"--out", t.path("x.html")});
  run_result r = run_tool(t, same);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--html and --out name the same file"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(t.path("x.html")));

  r = run_tool(t, example(""));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--html"), std::string::npos) << r.err;

  // A folder that does not exist: a runtime failure (exit 1) that names the file.
  r = run_tool(t, example(t.path("no-such-dir/report.html")));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no-such-dir/report.html"), std::string::npos) << r.err;

  r = run_tool(t, {"plan", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--html FILE"), std::string::npos);
}

}  // namespace
