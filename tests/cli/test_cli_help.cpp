// The help texts and the manual page through the real binary: every command's options in both.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "cli_terminal_support.hpp"
#include "run_tool.hpp"
#include "temp_dir.hpp"

namespace {

using tokenplan::testing::cli_terminal::has;
using tokenplan::testing::read_text;
using tokenplan::testing::run_tokenplan;
using tokenplan::testing::temp_dir;
using tokenplan::testing::tool_result;

/// Every --option a help text mentions.
std::set<std::string> options_in(const std::string& help) {
  std::set<std::string> out;
  const std::regex opt("--[a-z][a-z0-9-]*");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), opt); it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
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
