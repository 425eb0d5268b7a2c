// Stable output whatever the locale: the binary's JSON, CSV and tables are the same bytes under a
// German locale (comma decimal point, dot thousands separator) as under C, and the sweep's row
// writer gives the same text in a process whose C and C++ locales are both German.
// The German locale is compiled into a scratch folder with localedef (Debian package "locales");
// where that is impossible the binary test is skipped and says why; the in-process C++ locale
// test needs nothing installed.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <clocale>
#include <cstdlib>
#include <filesystem>
#include <locale>
#include <regex>
#include <sstream>

#include "cli/cli.hpp"
#include "io/json_reader.hpp"
#include "sweep/sweep.hpp"
#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using tokenplan::testing::read_text;
using tokenplan::testing::temp_dir;

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs the binary with `env` prefixed; returns stdout (stderr must be empty of errors).
std::string run_out(const std::string& env, const std::vector<std::string>& args, int* code) {
  temp_dir t;
  std::string cmd = env + " " + quote(TOKENPLAN_BIN);
  for (const std::string& a : args) cmd += " " + quote(a);
  cmd += " > " + quote(t.path("out")) + " 2> " + quote(t.path("err")) + " < /dev/null";
  const int status = std::system(cmd.c_str());
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return read_text(t.path("out"));
}

/// Compiles de_DE.UTF-8 into `dir`; "" and a reason when it cannot.
std::string make_german_locale(const temp_dir& t, std::string* why) {
  const std::string dir = t.path("locales");
  std::filesystem::create_directories(dir);
  if (!std::filesystem::exists("/usr/share/i18n/locales/de_DE")) {
    *why = "no /usr/share/i18n/locales/de_DE (install Debian's 'locales' package)";
    return "";
  }
  const std::string cmd = "localedef -i de_DE -f UTF-8 " + quote(dir + "/de_DE.UTF-8") + " > /dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    *why = "localedef could not compile de_DE.UTF-8";
    return "";
  }
  return dir;
}

/// Restores the C and C++ locales of the test process.
struct locale_restore {
  ~locale_restore() {
    std::locale::global(std::locale::classic());
    std::setlocale(LC_ALL, "C");
  }
};

struct german_numpunct : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  char do_thousands_sep() const override { return '.'; }
  std::string do_grouping() const override { return "\3"; }
};

/// Drops what differs between runs: times and rates.
void drop_timing(json& j) {
  if (j.is_object()) {
    for (const char* k : {"search_elapsed_s", "configs_per_s", "total_elapsed_s", "seconds", "search_s", "elapsed_s"}) j.erase(k);
    for (auto& kv : j.items()) drop_timing(kv.value());
  } else if (j.is_array()) {
    for (json& x : j) drop_timing(x);
  }
}

/// A small cluster, grid and matrix so that each run takes a fraction of a second.
struct small_inputs {
  temp_dir t;
  std::string cluster, grid, matrix;
  small_inputs() {
    cluster = t.write_json("clusters/one.json",
                           {{"name", "one"},
                            {"sites", {{{"name", "a"}, {"gpu", "h200-sxm"}, {"gpus", 1000}, {"gpus_per_node", 8},
                                        {"usd_per_gpu_hour", 2.25}, {"price_includes_power", false}, {"usd_per_kwh", 0.075},
                                        {"pue", 1.35}}}}});
    grid = t.write_json("grids/small.json", {{"modes", {"aggregated", "disaggregated"}}, {"weight_precisions", {"fp8", "bf16"}},
                                             {"kv_precisions", {"fp8"}}, {"tp", {1, 2}}, {"pp", {1}},
                                             {"chunk_tokens", {4096, 8192}}, {"batch", {24, 48, 96}}});
    matrix = t.write_json("sweeps/m.json", {{"name", "locale"}, {"clusters", {"one"}}, {"grid", "small"},
                                            {"models", {"llama-3.1-8b"}}, {"workloads", {"chat-30tn"}},
                                            {"prices", {1.0, 1.5}}, {"tokens_per_day", {1.5e11, 2.5e12}}});
  }
};

TEST(Locale, BinaryOutputIsTheSameUnderAGermanLocale) {
  small_inputs in;
  std::string why;
  const std::string locpath = make_german_locale(in.t, &why);
  if (locpath.empty()) GTEST_SKIP() << why;
  {
    // The compiled locale is real: a program that asks for it gets a decimal comma.
    locale_restore restore;
    ASSERT_EQ(setenv("LOCPATH", locpath.c_str(), 1), 0);
    ASSERT_NE(std::setlocale(LC_ALL, "de_DE.UTF-8"), nullptr);
    EXPECT_STREQ(std::localeconv()->decimal_point, ",");
    unsetenv("LOCPATH");
  }
  const std::string c_env = "LC_ALL=C";
  const std::string de_env = "LOCPATH=" + quote(locpath) + " LC_ALL=de_DE.UTF-8 LANG=de_DE.UTF-8";
  const std::vector<std::string> plan = {"plan", "--cluster", in.cluster, "--model", "llama-3.1-8b", "--workload", "chat-30tn",
                                         "--grid", in.grid, "--backend", "cpu", "--top", "5", "--quiet"};
  int code = 0;
  json plan_c = json::parse(run_out(c_env, plan, &code));
  ASSERT_EQ(code, 0);
  json plan_de = json::parse(run_out(de_env, plan, &code));
  ASSERT_EQ(code, 0);
  drop_timing(plan_c);
  drop_timing(plan_de);
  EXPECT_EQ(plan_de.dump(1), plan_c.dump(1));  // prose fields included: "TPOT would be 51.1 ms"

  const std::vector<std::string> explain = {"explain", "--model", "llama-3.1-8b", "--workload", "chat-30tn", "--cluster", in.cluster,
                                            "--site", "a", "--config",
                                            R"({"tp":1,"pp":1,"batch":48,"chunk":8192,"weight_precision":"fp8","kv_precision":"fp8"})"};
  const std::string table_c = run_out(c_env, explain, &code);
  ASSERT_EQ(code, 0);
  EXPECT_EQ(run_out(de_env, explain, &code), table_c);  // printf'd numbers: 12.34, never 12,34
  EXPECT_NE(table_c.find('.'), std::string::npos);

  for (const char* format : {"jsonl", "csv"}) {
    const std::vector<std::string> sweep = {"sweep", "--matrix", in.matrix, "--format", format, "--backend", "cpu", "--quiet"};
    const std::string rows_c = run_out(c_env, sweep, &code);
    ASSERT_EQ(code, 0);
    const std::string rows_de = run_out(de_env, sweep, &code);
    ASSERT_EQ(code, 0);
    const std::regex timing(std::string(format) == "csv" ? ",[-+0-9.eE]+\n" : "\"elapsed_s\":[-+0-9.eE]+");
    EXPECT_EQ(std::regex_replace(rows_de, timing, "T"), std::regex_replace(rows_c, timing, "T")) << format;
  }
}

// In one process whose C++ global locale (and C locale, where one can be compiled) is German,
// the sweep writes the same rows as under the classic locale, and messages format numbers
// the same way.
TEST(Locale, SweepRowsIgnoreTheProcessLocale) {
  small_inputs in;
  auto sweep = [&](const char* format) {
    const char* argv[] = {"tokenplan", "sweep", "--matrix", in.matrix.c_str(), "--format", format, "--backend", "cpu", "--quiet"};
    std::ostringstream out, err;
    EXPECT_EQ(tokenplan::run_cli(9, argv, out, err), 0) << err.str();
    return out.str();
  };
  const std::string jsonl_c = sweep("jsonl"), csv_c = sweep("csv");
  std::string jsonl_de, csv_de, number_de;
  std::string c_locale_note = "C locale: classic";
  {
    locale_restore restore;
    std::string why;
    const std::string locpath = make_german_locale(in.t, &why);
    if (!locpath.empty() && setenv("LOCPATH", locpath.c_str(), 1) == 0 && std::setlocale(LC_ALL, "de_DE.UTF-8") != nullptr) {
      c_locale_note = "C locale: de_DE.UTF-8";
      EXPECT_STREQ(std::localeconv()->decimal_point, ",");
    }
    std::locale::global(std::locale(std::locale::classic(), new german_numpunct));
    std::ostringstream probe;
    probe << 1234567 << " " << 0.5;
    ASSERT_EQ(probe.str(), "1.234.567 0,5") << "the German numpunct is in force";
    jsonl_de = sweep("jsonl");
    csv_de = sweep("csv");
    number_de = tokenplan::format_number(1234567.5) + " " + tokenplan::format_number(0.25);
    unsetenv("LOCPATH");
  }
  EXPECT_EQ(number_de, "1234567.5 0.25");
  const std::regex json_time("\"elapsed_s\":[-+0-9.eE]+"), csv_time(",[-+0-9.eE]+\n");
  EXPECT_EQ(std::regex_replace(jsonl_de, json_time, "T"), std::regex_replace(jsonl_c, json_time, "T")) << c_locale_note;
  EXPECT_EQ(std::regex_replace(csv_de, csv_time, "T"), std::regex_replace(csv_c, csv_time, "T")) << c_locale_note;
  EXPECT_EQ(std::count(jsonl_c.begin(), jsonl_c.end(), '\n'), 4);
}

}  // namespace
