// Issue 14 through the real binary: output never destroys anything and never lies. A FIFO, a
// device or /dev/stdout is written through; an input or a second output is never overwritten;
// --out and --html are written together or not at all; a failed stdout is an error; a signal in
// any phase (here: while waiting to write) exits 128 + the signal with nothing written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "run_tool.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using tokenplan::testing::read_text;
using tokenplan::testing::run_tokenplan;
using tokenplan::testing::shell_quote;
using tokenplan::testing::shipped;
using tokenplan::testing::temp_dir;
using tokenplan::testing::tool_result;

std::vector<std::string> small_plan() {
  return {"plan", "--cluster", shipped("clusters/bytedance-h200-overseas.json"), "--model", "llama-3.1-8b",
          "--workload", "chat-30tn", "--backend", "cpu", "--quiet", "--top", "3"};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::vector<std::string> entries(const temp_dir& t) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(t.root())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Runs the tool through the shell with its stdout redirected as `redirect` says ("> /dev/full").
int run_with_stdout(const std::vector<std::string>& args, const std::string& redirect, std::string* err) {
  temp_dir t;
  std::string cmd = shell_quote(TOKENPLAN_BIN);
  for (const std::string& a : args) cmd += " " + shell_quote(a);
  cmd += " " + redirect + " 2> " + shell_quote(t.path("err")) + " < /dev/null";
  const int status = std::system(cmd.c_str());
  *err = read_text(t.path("err"));
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(OutputCli, OutToDevStdoutWritesThroughTheDescriptor) {
  const tool_result r = run_tokenplan(with(small_plan(), {"--out", "/dev/stdout"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("{", 0), 0u) << r.out.substr(0, 200);
  EXPECT_NE(r.out.find("\"results\""), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::lstat("/dev/stdout", &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "/dev/stdout must still be the system's link";
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  const tool_result n = run_tokenplan(with(small_plan(), {"--out", "/dev/null"}));
  EXPECT_EQ(n.code, 0) << n.err;
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null must stay a device";
}

TEST(OutputCli, AFailedStandardOutputIsAnError) {
  for (const char* redirect : {"> /dev/full", ">&-"}) {
    std::string err;
    const int code = run_with_stdout(small_plan(), redirect, &err);
    EXPECT_EQ(code, 1) << redirect << ": " << err;
    EXPECT_NE(err.find("standard output"), std::string::npos) << redirect << ": " << err;
  }
  // Every command, not only plan.
  std::string err;
  EXPECT_EQ(run_with_stdout({"list", "models"}, "> /dev/full", &err), 1) << err;
  EXPECT_EQ(run_with_stdout({"help"}, ">&-", &err), 1) << err;
}

TEST(OutputCli, AnInputIsNeverOverwritten) {
  temp_dir t;
  const std::string model = t.write("model.json", read_text(shipped("models/llama-3.1-8b.json")));
  const std::string before = read_text(model);
  std::vector<std::string> args = small_plan();
  args[4] = model;
  for (const std::vector<std::string>& out : {std::vector<std::string>{"--out", model},
                                              std::vector<std::string>{"--html", t.root().string() + "/./model.json"}}) {
    const tool_result r = run_tokenplan(with(args, out));
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("read as input"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(model), before);
  }
  EXPECT_EQ(entries(t), std::vector<std::string>{"model.json"});
}

TEST(OutputCli, OutAndHtmlAreWrittenTogetherOrNotAtAll) {
  temp_dir t;
  const std::string out = t.write("plan.json", "old\n");
  // The same file spelt twice.
  tool_result r = run_tokenplan(with(small_plan(), {"--out", out, "--html", t.root().string() + "/./plan.json"}));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("same file"), std::string::npos) << r.err;
  // --html into a folder that does not exist: refused before the search, --out untouched.
  r = run_tokenplan(with(small_plan(), {"--out", out, "--html", t.path("missing/report.html")}));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(out), "old\n");
  // --out a directory: the report is not written either.
  fs::create_directories(t.path("adir"));
  r = run_tokenplan(with(small_plan(), {"--out", t.path("adir"), "--html", t.path("report.html")}));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_FALSE(fs::exists(t.path("report.html")));
  // Both fine: both written.
  r = run_tokenplan(with(small_plan(), {"--out", out, "--html", t.path("report.html")}));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(read_text(out), "old\n");
  EXPECT_TRUE(fs::exists(t.path("report.html")));
  EXPECT_EQ(entries(t), (std::vector<std::string>{"adir", "plan.json", "report.html"}));
}

TEST(OutputCli, AFailedWriteUnderAFileSizeLimitKeepsTheOldFile) {
  temp_dir t;
  const std::string out = t.write("plan.json", "old\n");
  std::string err;
  // ulimit -f counts 1024-byte blocks: 2 KiB is less than any plan.
  std::string cmd = "ulimit -f 2; " + shell_quote(TOKENPLAN_BIN);
  for (const std::string& a : with(small_plan(), {"--out", out})) cmd += " " + shell_quote(a);
  cmd += " 2> " + shell_quote(t.path("err")) + " < /dev/null";
  const int status = std::system(("bash -c " + shell_quote(cmd)).c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << read_text(t.path("err"));
  EXPECT_NE(read_text(t.path("err")).find("untouched"), std::string::npos) << read_text(t.path("err"));
  EXPECT_EQ(read_text(out), "old\n");
  EXPECT_EQ(entries(t), (std::vector<std::string>{"err", "plan.json"}));
}

TEST(OutputCli, ALargeTopUnderAMemoryLimitIsRefusedNotAborted) {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer reserves terabytes of address space for its shadow memory: the sanitizer
  // build's binary cannot start under ulimit -v at all.
  GTEST_SKIP() << "ulimit -v and AddressSanitizer do not mix";
#endif
  // 100,000 ranked rows need about 3 GiB while their JSON is built; under ulimit -v 4 GiB the
  // limit is 2 GiB: refused up front with the estimate (exit 2), not killed by a bad_alloc.
  temp_dir t;
  std::string cmd = "ulimit -v 4000000; " + shell_quote(TOKENPLAN_BIN);
  for (const std::string& a : with(small_plan(), {"--top", "100000"})) cmd += " " + shell_quote(a);
  cmd += " > /dev/null 2> " + shell_quote(t.path("err")) + " < /dev/null";
  const int status = std::system(("bash -c " + shell_quote(cmd)).c_str());
  const std::string err = read_text(t.path("err"));
  ASSERT_TRUE(WIFEXITED(status)) << err;
  EXPECT_EQ(WEXITSTATUS(status), 2) << err;
  EXPECT_NE(err.find("half of the memory this process may use"), std::string::npos) << err;
}

/// Starts the tool with `args` (stdout and stderr to files in `t`); returns its pid.
pid_t start(const std::vector<std::string>& args, const temp_dir& t) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    std::string bin = TOKENPLAN_BIN;
    argv.push_back(bin.data());
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!std::freopen(t.path("err").c_str(), "w", stderr)) _exit(99);
    if (!std::freopen(t.path("stdout").c_str(), "w", stdout)) _exit(99);
    ::execv(bin.c_str(), argv.data());
    _exit(98);
  }
  return pid;
}

/// Waits up to 30 s for `pid` to end and stores its wait status; false (after killing it) when it
/// is still running then: a hang is a failure, not a stuck test.
bool wait_at_most_30_s(pid_t pid, int& status) {
  for (int i = 0; i < 300; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return false;
}

TEST(OutputCli, ASignalWhileWaitingToWriteWritesNothing) {
  // The search and the fleet are over; the tool waits for a reader on a FIFO given as --html.
  // Ctrl-C (or SIGTERM) there must stop it: 128 + the signal, --out untouched, no temporary.
  for (const int sig : {SIGINT, SIGTERM}) {
    temp_dir t;
    const std::string out = t.write("plan.json", "old\n");
    const std::string fifo = t.path("report.fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const pid_t pid = start(with(small_plan(), {"--out", out, "--html", fifo}), t);
    // Wait until the temporary for --out exists: then every phase before the write is over.
    bool staged = false;
    for (int i = 0; i < 600 && !staged; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      for (const std::string& e : entries(t)) staged = staged || e.rfind(".plan.json.tmp", 0) == 0;
    }
    ASSERT_TRUE(staged) << read_text(t.path("err"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(pid, sig);
    int status = 0;
    const bool ended = wait_at_most_30_s(pid, status);
    const std::string err = read_text(t.path("err"));
    ASSERT_TRUE(ended) << "still waiting on the FIFO 30 s after signal " << sig;
    ASSERT_TRUE(WIFEXITED(status)) << err;
    EXPECT_EQ(WEXITSTATUS(status), 128 + sig) << err;
    EXPECT_NE(err.find("nothing written"), std::string::npos) << err;
    EXPECT_EQ(read_text(out), "old\n");
    EXPECT_EQ(entries(t), (std::vector<std::string>{"err", "plan.json", "report.fifo", "stdout"}));
  }
}

TEST(OutputCli, ASignalDuringTheFleetSolveStopsItAndWritesNothing) {
  // The 70B plan on the mixed cluster at --mip-gap 0 spends well over 20 s in the fleet MIP
  // (bench/RESULTS.md); the search before it takes under a second. A signal 3 s in lands in the
  // solve: GLPK stops at its next node, CBC is abandoned by its watchdog. Either way the run
  // ends within seconds with 128 + the signal, the old output intact, no temporary file.
  for (const char* solver : {"cbc", "glpk"}) {
    for (const int sig : {SIGINT, SIGTERM}) {
      temp_dir t;
      const std::string out = t.write("plan.json", "old\n");
      const pid_t pid = start({"plan", "--cluster", shipped("clusters/bytedance-2026.json"), "--model", "llama-3.1-70b",
                               "--workload", "chat-30tn", "--backend", "cpu", "--quiet", "--solver", solver,
                               "--mip-gap", "0", "--out", out},
                              t);
      std::this_thread::sleep_for(std::chrono::seconds(3));
      ::kill(pid, sig);
      int status = 0;
      const bool ended = wait_at_most_30_s(pid, status);
      const std::string err = read_text(t.path("err"));
      ASSERT_TRUE(ended) << solver << ": still running 30 s after signal " << sig;
      ASSERT_TRUE(WIFEXITED(status)) << solver << " " << sig << ": " << err;
      EXPECT_EQ(WEXITSTATUS(status), 128 + sig) << solver << ": " << err;
      EXPECT_NE(err.find("nothing written"), std::string::npos) << solver << ": " << err;
      EXPECT_EQ(read_text(out), "old\n") << solver;
      EXPECT_EQ(entries(t), (std::vector<std::string>{"err", "plan.json", "stdout"})) << solver;
    }
  }
}

TEST(OutputCli, SweepRefusesAUsersFileAndItsOwnMatrix) {
  temp_dir t;
  const std::string user = t.write("notes.jsonl", "my one line of notes, no newline");
  tool_result r = run_tokenplan({"sweep", "--matrix", shipped("sweeps/h200-vs-b200.json"), "--out", user, "--quiet",
                                 "--backend", "cpu"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("not a row of tokenplan sweep"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(user), "my one line of notes, no newline");
  const std::string before = read_text(shipped("sweeps/h200-vs-b200.json"));
  r = run_tokenplan({"sweep", "--matrix", shipped("sweeps/h200-vs-b200.json"), "--out",
                     shipped("sweeps/h200-vs-b200.json"), "--quiet", "--backend", "cpu"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("read as input"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(shipped("sweeps/h200-vs-b200.json")), before);
}

}  // namespace
