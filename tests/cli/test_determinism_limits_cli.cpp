// Through the real binary: the same bytes at 1, 2 and 7 threads, memory limits, signals mid-plan.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "robustness_support.hpp"
#include "run_tool.hpp"
#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using tokenplan::testing::read_text;
using tokenplan::testing::robustness::example;
using tokenplan::testing::robustness::previous;
using tokenplan::testing::robustness::strays;
using tokenplan::testing::run_tokenplan;
using tokenplan::testing::shipped;
using tokenplan::testing::temp_dir;
using tokenplan::testing::tool_result;

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
