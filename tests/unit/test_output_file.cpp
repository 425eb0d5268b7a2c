// The output writer (host/io/atomic_file.hpp): what each kind of path gets, and that a failure or a
// signal leaves the old file and no temporary file behind.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "io/atomic_file.hpp"
#include "base/errors.hpp"
#include "temp_dir.hpp"

namespace tokenplan {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::temp_dir;

/// Each test starts with no inputs remembered: tests earlier in this process read files that are
/// gone now, and a new temporary file may take one of their inode numbers (the registry is by
/// device and inode), which would refuse it as "a file this run read as input".
class OutputFile : public ::testing::Test {
 protected:
  void SetUp() override { forget_inputs(); }
};

/// Names in the folder, so a stray temporary file shows.
std::vector<std::string> entries(const temp_dir& t) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(t.root())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct stat stat_of(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}

TEST_F(OutputFile, ReplacesWholeFileAndLeavesNoTemporaries) {
  temp_dir t;
  const std::string f = t.path("out.json");
  write_file_atomic(f, "first\n");
  EXPECT_EQ(read_text(f), "first\n");
  write_file_atomic(f, "second\n");
  EXPECT_EQ(read_text(f), "second\n");
  EXPECT_EQ(entries(t), std::vector<std::string>{"out.json"});
}

TEST_F(OutputFile, KeepsTheModeAndOwnerOfTheFileItReplaces) {
  temp_dir t;
  const std::string f = t.write("secret.json", "old\n");
  ASSERT_EQ(::chmod(f.c_str(), 0600), 0);
  const bool root = ::geteuid() == 0;
  if (root) {
    ASSERT_EQ(::chown(f.c_str(), 4321, 8765), 0);
  }
  write_file_atomic(f, "new\n");
  EXPECT_EQ(read_text(f), "new\n");
  const struct stat st = stat_of(f);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  if (root) {
    EXPECT_EQ(st.st_uid, 4321u);
    EXPECT_EQ(st.st_gid, 8765u);
  }
  // A new file gets the usual mode (0666 less the umask), not the temporary file's.
  const mode_t mask = ::umask(022);
  write_file_atomic(t.path("fresh.json"), "x");
  ::umask(mask);
  EXPECT_EQ(stat_of(t.path("fresh.json")).st_mode & 07777, 0644u);
}

TEST_F(OutputFile, FollowsSymbolicLinksAndReplacesTheTarget) {
  temp_dir t;
  fs::create_directories(t.path("real"));
  const std::string target = t.write("real/plan.json", "old\n");
  ASSERT_EQ(::chmod(target.c_str(), 0640), 0);
  fs::create_symlink("real/plan.json", t.path("link1"));
  fs::create_symlink(t.path("link1"), t.path("link2"));  // a chain, absolute then relative
  write_file_atomic(t.path("link2"), "new\n");
  EXPECT_TRUE(fs::is_symlink(t.path("link1")));
  EXPECT_TRUE(fs::is_symlink(t.path("link2")));
  EXPECT_EQ(read_text(target), "new\n");
  EXPECT_EQ(stat_of(target).st_mode & 07777, 0640u);
  // A dangling link: its target is created, the link stays.
  fs::create_symlink("real/new.json", t.path("dangling"));
  write_file_atomic(t.path("dangling"), "made\n");
  EXPECT_TRUE(fs::is_symlink(t.path("dangling")));
  EXPECT_EQ(read_text(t.path("real/new.json")), "made\n");
  // A loop is an error, not a hang.
  fs::create_symlink("loop-b", t.path("loop-a"));
  fs::create_symlink("loop-a", t.path("loop-b"));
  EXPECT_THROW(write_file_atomic(t.path("loop-a"), "x"), runtime_failure);
}

TEST_F(OutputFile, WritesThroughAFifo) {
  temp_dir t;
  const std::string fifo = t.path("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = read_text(fifo); });
  write_file_atomic(fifo, "through the pipe\n");
  reader.join();
  EXPECT_EQ(got, "through the pipe\n");
  EXPECT_TRUE(S_ISFIFO(stat_of(fifo).st_mode));
  EXPECT_EQ(entries(t), std::vector<std::string>{"pipe"});
}

TEST_F(OutputFile, WritesThroughACharacterDevice) {
  temp_dir t;
  const std::string dev = t.path("null");
  // The device /dev/null is (1, 3); mknod needs root (CAP_MKNOD).
  if (::mknod(dev.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0) GTEST_SKIP() << "mknod: " << std::strerror(errno);
  write_file_atomic(dev, "gone\n");
  EXPECT_TRUE(S_ISCHR(stat_of(dev).st_mode));
  EXPECT_EQ(entries(t), std::vector<std::string>{"null"});
  // And the machine's own /dev/null is still a device afterwards.
  write_file_atomic("/dev/null", "gone\n");
  EXPECT_TRUE(S_ISCHR(stat_of("/dev/null").st_mode));
}

TEST_F(OutputFile, WritesThroughAUnixSocket) {
  temp_dir t;
  const std::string sock = t.path("s");
  const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  std::string got;
  std::thread server([&] {
    const int c = ::accept(listener, nullptr, nullptr);
    char buf[256];
    ssize_t n;
    while (c >= 0 && (n = ::read(c, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
    if (c >= 0) ::close(c);
  });
  write_file_atomic(sock, "over the socket\n");
  server.join();
  ::close(listener);
  EXPECT_EQ(got, "over the socket\n");
  EXPECT_TRUE(S_ISSOCK(stat_of(sock).st_mode));
}

TEST_F(OutputFile, DirectoryMissingFolderAndStandardStreams) {
  temp_dir t;
  fs::create_directories(t.path("adir"));
  EXPECT_THROW(write_file_atomic(t.path("adir"), "x"), usage_error);
  EXPECT_TRUE(fs::is_directory(t.path("adir")));
  try {
    write_file_atomic(t.path("no/such/dir/out.json"), "x");
    ADD_FAILURE() << "no error";
  } catch (const runtime_failure& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(S_ISLNK(stat_of("/dev/stderr").st_mode));
  write_file_atomic("/dev/stderr", "");  // written through descriptor 2, the link untouched
  EXPECT_TRUE(S_ISLNK(stat_of("/dev/stderr").st_mode));
  EXPECT_THROW(write_file_atomic("/dev/fd/987", "x"), runtime_failure);  // not open
}

TEST_F(OutputFile, RefusesAnInputAndTheSameFileTwice) {
  temp_dir t;
  const std::string in = t.write("model.json", "{}");
  remember_input(in);
  fs::create_symlink("model.json", t.path("alias"));
  EXPECT_THROW(write_file_atomic(t.path("alias"), "x"), usage_error);
  EXPECT_THROW(write_file_atomic(t.path("./model.json"), "x"), usage_error);
  EXPECT_EQ(read_text(in), "{}");
  forget_inputs();
  {
    output_set two;
    two.add(t.path("a.json"), "1", "--html");
    EXPECT_THROW(two.add(t.root().string() + "/./a.json", "2", "--out"),
                 usage_error);
  }
  EXPECT_EQ(entries(t), (std::vector<std::string>{"alias", "model.json"}));  // nothing committed
}

TEST_F(OutputFile, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  temp_dir t;
  const std::string f = t.write("plan.json", "old\n");
  // A file size limit of 1 block makes the write fail (EFBIG) like a full disk: in a child, so
  // the limit stays there.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim {4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    try {
      write_file_atomic(f, std::string(1 << 20, 'x'));
    } catch (const runtime_failure& e) {
      _exit(std::string(e.what()).find("untouched") != std::string::npos ? 0 : 2);
    } catch (...) {
      _exit(3);
    }
    _exit(4);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_text(f), "old\n");
  EXPECT_EQ(entries(t), std::vector<std::string>{"plan.json"});
}

TEST_F(OutputFile, ACancelledCommitWritesNothingAndRemovesTheTemporaries) {
  temp_dir t;
  const std::string f = t.write("plan.json", "old\n");
  std::atomic<bool> cancel{false};
  set_output_cancel_flag(&cancel);
  {
    output_set out;
    out.add(f, "new\n");
    out.add(t.path("report.html"), "<html>");
    EXPECT_EQ(entries(t).size(), 3u);  // the two temporaries exist until commit
    cancel = true;
    EXPECT_THROW(out.commit(), interrupted_error);
  }
  set_output_cancel_flag(nullptr);
  EXPECT_EQ(read_text(f), "old\n");
  EXPECT_EQ(entries(t), std::vector<std::string>{"plan.json"});
}

TEST_F(OutputFile, TheSignalHandlerRemovesTemporaries) {
  temp_dir t;
  output_set out;
  out.add(t.path("plan.json"), "new\n");
  ASSERT_EQ(entries(t).size(), 1u);
  remove_pending_temporaries_from_signal_handler();
  EXPECT_TRUE(entries(t).empty());
}

}  // namespace
}  // namespace tokenplan
