// The subcommands. Each takes the arguments after its name, writes results to `out` and
// diagnostics to `err`, returns an exit code, and throws typed errors for run_cli to report.
#pragma once

#include <iosfwd>

namespace tokenplan {

int cmd_plan(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int cmd_capacity(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int cmd_explain(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int cmd_validate(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int cmd_calibrate(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int cmd_list(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int cmd_sweep(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace tokenplan
