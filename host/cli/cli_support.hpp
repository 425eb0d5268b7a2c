// Helpers shared by the subcommands: where configs live, named presets, option checks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <cxxopts.hpp>

#include "io/loaders.hpp"

namespace tokenplan {

/// A progress bar for long searches on a terminal: "[#####-----] 42% 1.2M of 2.9M, 8.1M/s, ETA
/// 3 s", redrawn at most ten times a second, shown only after the first 0.3 s, ended with a
/// newline. A new search (done going back down) starts a new bar. `verb` and `unit` name the
/// work ("sweeping ... scenarios").
std::function<void(std::uint64_t, std::uint64_t)> make_progress_bar(std::ostream& err, const std::string& verb = "searching",
                                                                    const std::string& unit = "configurations");

/// While alive, Ctrl-C or SIGTERM sets flag() instead of killing the process: the search stops at
/// its next pass, the fleet solver at its next node, every later phase at check(), and an output
/// commit refuses to replace anything (atomic_file.hpp); the command exits 128 + the signal (130
/// for Ctrl-C, 143 for SIGTERM) with nothing written. A second signal removes the temporary files
/// of outputs in progress and kills as usual.
class interrupt_guard {
 public:
  interrupt_guard();
  ~interrupt_guard();
  interrupt_guard(const interrupt_guard&) = delete;
  interrupt_guard& operator=(const interrupt_guard&) = delete;
  const std::atomic<bool>* flag() const;
  /// Throws interrupted_error ("interrupted <phase>; nothing written") once a signal came.
  void check(const char* phase) const;
};

/// Exit status for an interrupted_error: 128 + the signal that stopped the run (130 by default).
int interrupt_exit_status();

/// Writes a command's answer to `out` and flushes it; throws runtime_failure when the stream fails
/// (a closed descriptor, a full disk, /dev/full), so a truncated answer never exits 0.
void write_stdout(std::ostream& out, const std::string& text);

/// The calibration file: --calibration, else the first root's calibration.json.
std::string calibration_path(const cxxopts::ParseResult& a, const config_roots& roots);

/// Rejects --options not in `known`, with a "did you mean" hint.
void check_option_names(int argc, const char* const* argv, const std::vector<std::string>& known);

/// A subcommand's command line: rejects unknown --options (check_option_names), parses (a
/// cxxopts error becomes a usage_error) and, with -h/--help, writes `help` to `out` and returns
/// false (the command then exits 0); rejects a stray argument; true with the options in `a`.
bool parse_command(cxxopts::Options& opts, int argc, const char* const* argv, const std::vector<std::string>& known,
                   const char* help, std::ostream& out, cxxopts::ParseResult& a);

/// An integer option in [lo, hi]; usage_error otherwise.
std::uint64_t count_option(const cxxopts::ParseResult& a, const char* name, std::uint64_t lo, std::uint64_t hi);

/// A config argument that is a path or a shipped name ("llama-3.1-70b" -> configs/models/...).
/// Throws usage_error naming the known presets when neither exists.
std::string resolve_config(const config_roots& roots, const std::string& kind, const std::string& arg,
                           const std::string& option);

}  // namespace tokenplan
