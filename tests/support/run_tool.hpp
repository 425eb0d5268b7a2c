// Runs the real tokenplan binary (TOKENPLAN_BIN) with arguments and captures exit code, stdout
// and stderr, for the end-to-end CLI tests.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace tokenplan::testing {

struct tool_result {
  int code;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs TOKENPLAN_BIN with `args`, stdin from /dev/null.
inline tool_result run_tokenplan(const std::vector<std::string>& args) {
  temp_dir t;
  std::string cmd = shell_quote(TOKENPLAN_BIN);
  for (const std::string& a : args) cmd += " " + shell_quote(a);
  cmd += " > " + shell_quote(t.path("out")) + " 2> " + shell_quote(t.path("err")) + " < /dev/null";
  const int status = std::system(cmd.c_str());
  tool_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(t.path("out"));
  r.err = read_text(t.path("err"));
  return r;
}

}  // namespace tokenplan::testing
