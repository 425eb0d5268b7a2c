// The shipped configs as the only config root (configs/ of the source tree), for tests that load
// models, GPUs and clusters by name as the CLI does.
#pragma once

#include <string>

#include "io/loaders.hpp"

namespace tokenplan::testing {

inline config_roots shipped_roots() {
  config_roots r;
  r.roots = {std::string(TOKENPLAN_SOURCE_DIR) + "/configs"};
  return r;
}

}  // namespace tokenplan::testing
