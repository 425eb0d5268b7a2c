// Output that never destroys anything: POSIX lstat/readlink to see what a path names, then an
// atomic replace (open O_EXCL, write, fchown/fchmod, fsync, rename, fsync the folder) for regular
// files, or a plain write for devices, FIFOs, sockets and standard streams.
#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <utility>

#include "base/errors.hpp"

namespace tokenplan {

namespace {

// ---- inputs of this run -----------------------------------------------------------------------

std::mutex g_inputs_mutex;
std::set<std::pair<dev_t, ino_t>> g_inputs;
const std::atomic<bool>* g_cancel = nullptr;

bool is_input(const struct stat& st) {
  std::lock_guard<std::mutex> lock(g_inputs_mutex);
  return g_inputs.count({st.st_dev, st.st_ino}) > 0;
}

// ---- temporary files, visible to the signal handler ------------------------------------------

constexpr int temp_slots = 16;
char g_temp_paths[temp_slots][PATH_MAX];
volatile std::sig_atomic_t g_temp_used[temp_slots];
std::mutex g_temp_mutex;

int hold_temp(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_temp_mutex);
  if (path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < temp_slots; ++i) {
    if (!g_temp_used[i]) {
      std::memcpy(g_temp_paths[i], path.c_str(), path.size() + 1);
      g_temp_used[i] = 1;
      return i;
    }
  }
  return -1;  // more outputs at once than slots: still removed by the owner, not by the handler
}

void release_temp(int slot) {
  if (slot < 0) return;
  std::lock_guard<std::mutex> lock(g_temp_mutex);
  g_temp_used[slot] = 0;
}

// ---- what a path names -------------------------------------------------------------------------

enum class target_kind { absent, regular, device, fifo, socket, descriptor };

struct target {
  std::string path;    ///< the final path after following symbolic links
  target_kind kind = target_kind::absent;
  struct stat st {};   ///< of the existing file
  int fd = -1;         ///< for descriptor: the standard stream or /dev/fd/N
};

std::string err_text(int e) { return std::strerror(e); }

/// /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: the descriptor N, else -1.
int descriptor_of(const std::string& p) {
  if (p == "/dev/stdout") return 1;
  if (p == "/dev/stderr") return 2;
  for (const char* prefix : {"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"}) {
    const std::string pre = prefix;
    if (p.size() > pre.size() && p.compare(0, pre.size(), pre) == 0) {
      const std::string digits = p.substr(pre.size());
      if (digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
      return std::stoi(digits);
    }
  }
  return -1;
}

std::string parent_of(const std::string& p) {
  const std::size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

target resolve(const std::string& path, const std::string& option) {
  if (path.empty()) throw usage_error(option + ": expected a file name");
  target t;
  t.path = path;
  for (int hops = 0;; ++hops) {
    const int fd = descriptor_of(t.path);
    if (fd >= 0) {
      if (::fcntl(fd, F_GETFD) < 0) throw runtime_failure("cannot write " + path + ": descriptor " + std::to_string(fd) + " is not open");
      t.kind = target_kind::descriptor;
      t.fd = fd;
      return t;
    }
    if (::lstat(t.path.c_str(), &t.st) != 0) {
      const int e = errno;
      if (e != ENOENT) throw runtime_failure("cannot write " + path + ": " + err_text(e));
      struct stat dir {};
      const std::string parent = parent_of(t.path);
      if (::stat(parent.c_str(), &dir) != 0) {
        throw runtime_failure("cannot write " + path + ": the folder " + parent + " " +
                              (errno == ENOENT ? std::string("does not exist") : err_text(errno)));
      }
      if (!S_ISDIR(dir.st_mode)) throw runtime_failure("cannot write " + path + ": " + parent + " is not a folder");
      // One spelling per new file (a/../x and x), so two outputs naming it are seen as one.
      char real[PATH_MAX];
      if (::realpath(parent.c_str(), real)) t.path = std::string(real) + "/" + t.path.substr(t.path.rfind('/') + 1);
      t.kind = target_kind::absent;
      return t;
    }
    if (S_ISLNK(t.st.st_mode)) {
      if (hops >= 40) throw runtime_failure("cannot write " + path + ": too many levels of symbolic links");
      char buf[PATH_MAX];
      const ssize_t n = ::readlink(t.path.c_str(), buf, sizeof buf - 1);
      if (n < 0) throw runtime_failure("cannot write " + path + ": " + err_text(errno));
      std::string next(buf, static_cast<std::size_t>(n));
      t.path = !next.empty() && next[0] == '/' ? next : parent_of(t.path) + "/" + next;
      continue;
    }
    if (S_ISREG(t.st.st_mode)) t.kind = target_kind::regular;
    else if (S_ISCHR(t.st.st_mode)) t.kind = target_kind::device;
    else if (S_ISFIFO(t.st.st_mode)) t.kind = target_kind::fifo;
    else if (S_ISSOCK(t.st.st_mode)) t.kind = target_kind::socket;
    else if (S_ISDIR(t.st.st_mode)) throw usage_error(option + ": \"" + path + "\" is a directory; name a file in it");
    else throw usage_error(option + ": \"" + path + "\" is a block device or another special file; name a regular file");
    return t;
  }
}

/// write() all of `data` to fd; errno of the failure, or 0.
int write_all(int fd, const std::string& data) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR && !(g_cancel && g_cancel->load())) continue;
      return errno;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return 0;
}

void throw_if_cancelled() {
  if (g_cancel && g_cancel->load()) throw interrupted_error("interrupted before the output was written; nothing written");
}

}  // namespace

void remember_input(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  std::lock_guard<std::mutex> lock(g_inputs_mutex);
  g_inputs.insert({st.st_dev, st.st_ino});
}

void refuse_input_as_output(const std::string& path, const std::string& option) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && is_input(st)) {
    throw usage_error(option + ": \"" + path + "\" is a file this run read as input; write the output to another file");
  }
}

void forget_inputs() {
  std::lock_guard<std::mutex> lock(g_inputs_mutex);
  g_inputs.clear();
}

void set_output_cancel_flag(const std::atomic<bool>* flag) { g_cancel = flag; }

void remove_pending_temporaries_from_signal_handler() {
  for (int i = 0; i < temp_slots; ++i) {
    if (g_temp_used[i]) ::unlink(g_temp_paths[i]);
  }
}

struct output_set::staged {
  std::string path;      ///< as given
  std::string option;
  target where;
  std::string content;   ///< for write-through targets, written at commit
  std::string temp;      ///< for regular targets: the temporary file, complete and synced
  int slot = -1;
  bool committed = false;

  ~staged() {
    if (!temp.empty() && !committed) ::unlink(temp.c_str());
    release_temp(slot);
  }
};

output_set::output_set() = default;

output_set::~output_set() = default;

void output_set::add(const std::string& path, const std::string& content, const std::string& option) {
  auto s = std::make_unique<staged>();
  s->path = path;
  s->option = option;
  s->where = resolve(path, option);
  const target& t = s->where;
  const bool exists = t.kind != target_kind::absent && t.kind != target_kind::descriptor;
  if (t.kind == target_kind::regular) refuse_input_as_output(t.path, option);
  for (const auto& other : items_) {
    const target& o = other->where;
    const bool same = (exists && o.kind != target_kind::absent && o.kind != target_kind::descriptor &&
                       o.st.st_dev == t.st.st_dev && o.st.st_ino == t.st.st_ino) ||
                      (t.kind == target_kind::absent && o.kind == target_kind::absent && o.path == t.path) ||
                      (t.kind == target_kind::descriptor && o.kind == target_kind::descriptor && o.fd == t.fd);
    if (same) {
      throw usage_error(option + " and " + other->option + " name the same file (\"" + path + "\", \"" + other->path +
                        "\"); give each output its own file");
    }
  }
  if (t.kind != target_kind::regular && t.kind != target_kind::absent) {
    s->content = content;
    items_.push_back(std::move(s));
    return;
  }
  // A temporary file beside the target, never over anything: O_EXCL with a random name.
  std::random_device rd;
  const std::string dir = parent_of(t.path);
  const std::string name = t.path.substr(t.path.rfind('/') == std::string::npos ? 0 : t.path.rfind('/') + 1);
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 16; ++attempt) {
    s->temp = dir + "/." + name + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd() % 1000000);
    fd = ::open(s->temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);  // the umask applies
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    const int e = errno;
    s->temp.clear();
    throw runtime_failure("cannot write " + path + ": cannot create a temporary file in " + dir + ": " + err_text(e));
  }
  s->slot = hold_temp(s->temp);
  auto fail = [&](const std::string& what, int e) {
    ::close(fd);
    throw runtime_failure("cannot write " + path + ": " + what + err_text(e) + "; the old file is untouched");
  };
  if (t.kind == target_kind::regular) {
    // The replacement keeps the old file's owner, group and mode (chown first: it may clear
    // set-id bits that the chmod then restores).
    if ((t.st.st_uid != ::geteuid() || t.st.st_gid != ::getegid()) && ::fchown(fd, t.st.st_uid, t.st.st_gid) != 0) {
      fail("cannot keep its owner " + std::to_string(t.st.st_uid) + ":" + std::to_string(t.st.st_gid) + ": ", errno);
    }
    if (::fchmod(fd, t.st.st_mode & 07777) != 0) fail("cannot keep its mode: ", errno);
  }
  if (const int e = write_all(fd, content)) {
    if (e == EINTR) {
      ::close(fd);
      throw_if_cancelled();
    }
    fail("", e);
  }
  if (::fsync(fd) != 0) fail("", errno);
  if (::close(fd) != 0) {
    const int e = errno;
    throw runtime_failure("cannot write " + path + ": " + err_text(e) + "; the old file is untouched");
  }
  items_.push_back(std::move(s));
}

void output_set::commit() {
  throw_if_cancelled();
  // Devices, pipes and sockets first: they cannot be rolled back, but a failure there still
  // leaves every regular file as it was.
  for (auto& s : items_) {
    const target& t = s->where;
    if (t.kind == target_kind::regular || t.kind == target_kind::absent) continue;
    int fd = -1;
    bool own = true;
    if (t.kind == target_kind::descriptor) {
      if (t.fd == 1) std::cout.flush();
      if (t.fd == 2) std::cerr.flush();
      fd = t.fd;
      own = false;
    } else if (t.kind == target_kind::socket) {
      fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un addr {};
      addr.sun_family = AF_UNIX;
      if (fd < 0 || t.path.size() >= sizeof addr.sun_path) {
        if (fd >= 0) ::close(fd);
        throw runtime_failure("cannot write " + s->path + ": cannot connect to the socket " + t.path);
      }
      std::memcpy(addr.sun_path, t.path.c_str(), t.path.size() + 1);
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int e = errno;
        ::close(fd);
        throw runtime_failure("cannot write " + s->path + ": cannot connect to the socket: " + err_text(e));
      }
    } else if (t.kind == target_kind::fifo) {
      // A FIFO waits here for its reader. Polled, not a blocking open: the signal may reach
      // another thread (OpenMP's), so an open() in this one would never see EINTR.
      while ((fd = ::open(t.path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0 && (errno == ENXIO || errno == EINTR)) {
        throw_if_cancelled();
        ::usleep(20000);
      }
      if (fd < 0) throw runtime_failure("cannot write " + s->path + ": " + err_text(errno));
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    } else {
      fd = ::open(t.path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
      if (fd < 0) throw runtime_failure("cannot write " + s->path + ": " + err_text(errno));
    }
    const int e = write_all(fd, s->content);
    if (own) ::close(fd);
    if (e == EINTR) throw_if_cancelled();
    if (e) throw runtime_failure("cannot write " + s->path + ": " + err_text(e));
    s->committed = true;
  }
  throw_if_cancelled();
  std::set<std::string> dirs;
  for (auto& s : items_) {
    if (s->temp.empty()) continue;
    if (::rename(s->temp.c_str(), s->where.path.c_str()) != 0) {
      throw runtime_failure("cannot write " + s->path + ": cannot rename the temporary file over it: " + err_text(errno));
    }
    s->committed = true;
    dirs.insert(parent_of(s->where.path));
  }
  // The renames reach the disk with their folders.
  for (const std::string& d : dirs) {
    const int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;
    const int rc = ::fsync(fd);
    const int e = errno;
    ::close(fd);
    if (rc != 0 && e != EINVAL && e != EROFS) throw runtime_failure("cannot sync the folder " + d + ": " + err_text(e));
  }
}

void check_output_path(const std::string& path, const std::string& option) {
  const target t = resolve(path, option);
  if (t.kind == target_kind::regular) refuse_input_as_output(t.path, option);
}

void write_file_atomic(const std::string& path, const std::string& content) {
  output_set out;
  out.add(path, content);
  out.commit();
}

}  // namespace tokenplan
