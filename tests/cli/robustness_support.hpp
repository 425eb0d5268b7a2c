// Helpers of the robustness tests through the real binary (test_*_cli.cpp of issue 7): a plan's
// arguments, the shipped example, the previous output a refused run must leave, stray temporaries.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace tokenplan::testing::robustness {

namespace fs = std::filesystem;

inline const std::string previous = "{\"previous\": \"plan\"}\n";

inline std::vector<std::string> plan_args(const std::string& cluster, const std::string& model, const std::string& workload) {
  return {"plan", "--cluster", cluster, "--model", model, "--workload", workload, "--backend", "cpu", "--quiet"};
}

inline std::vector<std::string> example(const std::string& model = shipped("models/llama-3.1-70b.json"),
                                        const std::string& workload = shipped("workloads/chat-30tn.json"),
                                        const std::string& cluster = shipped("clusters/bytedance-h200-overseas.json")) {
  return plan_args(cluster, model, workload);
}

/// Files beside `out` other than `out` itself (a temporary the atomic write left behind).
inline std::vector<std::string> strays(const std::string& out) {
  std::vector<std::string> s;
  for (const auto& e : fs::directory_iterator(fs::path(out).parent_path())) {
    if (e.path().filename().string().rfind("." + fs::path(out).filename().string() + ".tmp", 0) == 0) {
      s.push_back(e.path().string());
    }
  }
  return s;
}

}  // namespace tokenplan::testing::robustness
