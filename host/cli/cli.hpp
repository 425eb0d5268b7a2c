// The command line: subcommands, help text, exit codes. main() only calls run_cli().
#pragma once

#include <iosfwd>

namespace tokenplan {

/// Runs tokenplan with the given arguments. Returns the exit code: 0 ok, 2 bad input or usage,
/// 1 runtime failure. Results go to `out`, diagnostics and progress to `err`.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace tokenplan
