// Helpers shared by the subcommands.
#include "cli/cli_support.hpp"

#include <cerrno>
#include <csignal>
#include <unistd.h>
#include <cstring>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <ostream>
#include <set>

#include "io/atomic_file.hpp"
#include "base/errors.hpp"
#include "fleet/mip.hpp"
#include "base/text.hpp"

namespace tokenplan {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_interrupted{false};
volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_previous_int, g_previous_term;

extern "C" void on_stop_signal(int sig) {
  if (g_interrupted.load()) {
    // A second Ctrl-C (or SIGTERM): stop waiting for the phase to end. Temporary output files go
    // first, so nothing is left behind; then the signal's default action.
    remove_pending_temporaries_from_signal_handler();
    sigaction(SIGINT, &g_previous_int, nullptr);
    sigaction(SIGTERM, &g_previous_term, nullptr);
    raise(sig);
    return;
  }
  g_signal = sig;
  g_interrupted.store(true);
}

std::string eta_text(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%d:%02d", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%d:%02d:%02d", int(s) / 3600, int(s) / 60 % 60, int(s) % 60);
  return buf;
}

std::string count_text(double x) {
  char buf[32];
  if (x >= 1e9) std::snprintf(buf, sizeof buf, "%.2fG", x / 1e9);
  else if (x >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", x / 1e6);
  else if (x >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", x / 1e3);
  else if (x < 10 && x != std::floor(x)) std::snprintf(buf, sizeof buf, "%.2f", x);  // slow rates: 0.25/s
  else std::snprintf(buf, sizeof buf, "%.0f", x);
  return buf;
}

}  // namespace

extern "C" void abandon_after_signal() {
  // A solve that cannot be stopped (CBC): nothing has been written yet, so end here.
  remove_pending_temporaries_from_signal_handler();
  static const char msg[] = "\ninterrupted during the fleet allocation; nothing written\n";
  (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
  ::_exit(interrupt_exit_status());
}

interrupt_guard::interrupt_guard() {
  g_interrupted.store(false);
  set_mip_abandon_hook(abandon_after_signal);
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking open or write returns EINTR and sees the flag
  sigaction(SIGINT, &sa, &g_previous_int);
  sigaction(SIGTERM, &sa, &g_previous_term);
  set_output_cancel_flag(&g_interrupted);
}

interrupt_guard::~interrupt_guard() {
  set_mip_abandon_hook(nullptr);
  set_output_cancel_flag(nullptr);
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

const std::atomic<bool>* interrupt_guard::flag() const { return &g_interrupted; }

void interrupt_guard::check(const char* phase) const {
  if (g_interrupted.load()) throw interrupted_error(std::string("interrupted ") + phase + "; nothing written");
}

int interrupt_exit_status() { return 128 + (g_signal ? static_cast<int>(g_signal) : SIGINT); }

void write_stdout(std::ostream& out, const std::string& text) {
  errno = 0;
  out << text << std::flush;
  if (!out) {
    const int e = errno;
    throw runtime_failure(std::string("cannot write the answer to standard output") +
                          (e ? std::string(": ") + std::strerror(e) : std::string()) + "; it is incomplete");
  }
}

std::function<void(std::uint64_t, std::uint64_t)> make_progress_bar(std::ostream& err, const std::string& verb,
                                                                    const std::string& unit) {
  struct state {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), last;
    std::uint64_t prev = 0;
    bool shown = false;
  };
  auto st = std::make_shared<state>();
  return [st, &err, verb, unit](std::uint64_t done, std::uint64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (done < st->prev) {  // a new search
      st->start = now;
      st->shown = false;
    }
    st->prev = done;
    const double elapsed = std::chrono::duration<double>(now - st->start).count();
    const bool finished = done >= total;
    if (!st->shown && (elapsed < 0.3 || finished)) return;
    if (!finished && st->shown && std::chrono::duration<double>(now - st->last).count() < 0.1) return;
    st->shown = true;
    st->last = now;
    const double frac = total ? double(done) / double(total) : 1.0;
    const int width = 24, filled = static_cast<int>(frac * width);
    const double rate = elapsed > 0 ? done / elapsed : 0.0;
    std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
    char line[160];
    std::snprintf(line, sizeof line, "\r%s %s %3.0f%% %s of %s %s, %s/s, %s %s   ", verb.c_str(), bar.c_str(),
                  100.0 * frac, count_text(double(done)).c_str(), count_text(double(total)).c_str(), unit.c_str(),
                  count_text(rate).c_str(), finished ? "took" : "ETA",
                  eta_text(finished ? elapsed : (rate > 0 ? (total - done) / rate : 0.0)).c_str());
    err << line << (finished ? "\n" : "") << std::flush;
  };
}

/// The calibration file: --calibration, else the first root's calibration.json.
std::string calibration_path(const cxxopts::ParseResult& a, const config_roots& roots) {
  if (a.count("calibration")) return a["calibration"].as<std::string>();
  std::string f = roots.calibration_file();
  if (f.empty()) throw usage_error("no calibration.json found in the config folders; pass --calibration FILE");
  return f;
}

/// Rejects options cxxopts would reject, with a "did you mean" hint.
void check_option_names(int argc, const char* const* argv, const std::vector<std::string>& known) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") continue;
    std::string name = a.substr(2, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 2);
    bool ok = false;
    for (const std::string& k : known) ok = ok || k == name;
    if (!ok) throw usage_error("unknown option '--" + name + "'" + did_you_mean(name, known));
  }
}

bool parse_command(cxxopts::Options& opts, int argc, const char* const* argv, const std::vector<std::string>& known,
                   const char* help, std::ostream& out, cxxopts::ParseResult& a) {
  check_option_names(argc, argv, known);
  try {
    a = opts.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    throw usage_error(e.what());
  }
  if (a.count("help")) {
    out << help;
    return false;
  }
  // Commands with positional arguments take them all; others take none.
  if (!a.unmatched().empty()) throw usage_error("unexpected argument '" + a.unmatched().front() + "'");
  return true;
}

std::uint64_t count_option(const cxxopts::ParseResult& a, const char* name, std::uint64_t lo, std::uint64_t hi) {
  std::string s = a[name].as<std::string>();
  std::size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(s, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (pos != s.size() || s.empty() || s[0] == '-' || v < lo || v > hi) {
    throw usage_error(std::string("--") + name + ": expected an integer from " + std::to_string(lo) + " to " +
                      std::to_string(hi) + ", found \"" + s + "\"");
  }
  return static_cast<std::uint64_t>(v);
}

std::string resolve_config(const config_roots& roots, const std::string& kind, const std::string& arg,
                           const std::string& option) {
  std::error_code ec;
  if (fs::exists(arg, ec)) return arg;
  if (!looks_like_path(arg)) {
    std::string f = roots.find(kind, arg);
    if (!f.empty()) return f;
    std::vector<std::string> names = catalog_names(roots.dirs(kind));
    throw usage_error(option + ": no " + kind + " file or preset named \"" + arg + "\"" + did_you_mean(arg, names) +
                      (names.empty() ? std::string() : "; shipped: " + quoted_list(names)));
  }
  return arg;  // a path that does not exist: the loader names it in its error
}

}  // namespace tokenplan
