// Test tool: loads one input file with the real loader of its kind, so the schema tests can ask
// the loader for its verdict on a file. Prints "ok" and exits 0, or prints the error as the CLI
// does ("error: FILE: $.path: detail") and exits 2.
//   tokenplan_load_file KIND FILE
//   tokenplan_load_file --each     (KIND<TAB>FILE lines on stdin; see main)
// KIND: calibration gpu model workload cluster demand grid validation-point matrix. Names inside
// the file resolve in ../<kind>s beside the file first, then in the shipped configs.
#include <filesystem>
#include <iostream>
#include <string>

#include "base/errors.hpp"
#include "fleet/fleet.hpp"
#include "io/loaders.hpp"
#include "sweep/sweep.hpp"
#include "validate/validation.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tokenplan;

config_roots roots_for(const std::string& file) {
  config_roots r;
  fs::path near = fs::path(file).parent_path() / "..";
  std::error_code ec;
  if (fs::is_directory(near, ec)) r.roots.push_back(near.lexically_normal().string());
  r.roots.push_back(std::string(TOKENPLAN_SOURCE_DIR) + "/configs");
  return r;
}

int load(const std::string& kind, const std::string& file) {
  const config_roots roots = roots_for(file);
  const std::string shipped = std::string(TOKENPLAN_SOURCE_DIR) + "/configs/";
  if (kind == "calibration") {
    load_calibration(file);
    return 0;
  }
  const calibration cal = load_calibration(shipped + "calibration.json");
  if (kind == "gpu") {
    load_gpu(file, cal);
  } else if (kind == "model") {
    load_model(file);
  } else if (kind == "workload") {
    load_workload(file);
  } else if (kind == "cluster") {
    load_cluster(file, roots.dirs("gpus"), cal);
  } else if (kind == "demand") {
    load_demand(file, roots, cal);
  } else if (kind == "grid") {
    load_grid(file, load_model(shipped + "models/llama-3.1-8b.json").spec);
  } else if (kind == "validation-point") {
    load_points(file);
  } else if (kind == "matrix") {
    load_matrix(file, roots);
  } else {
    return 64;
  }
  return 0;
}

// One verdict: 0 and "ok", or the exit code and the message the CLI would print.
int verdict(const std::string& kind, const std::string& file, std::string& message) {
  try {
    const int rc = load(kind, file);
    message = rc == 0 ? "ok" : "tokenplan_load_file: unknown kind '" + kind + "'";
    return rc;
  } catch (const config_error& e) {
    message = std::string("error: ") + e.what();
    return 2;
  } catch (const usage_error& e) {
    message = std::string("error: ") + e.what();
    return 2;
  } catch (const std::exception& e) {
    message = std::string("error: ") + e.what();
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--each") {
    // Many files in one process (the schema mutation test runs 1,500 of them, which under the
    // sanitizers costs more in process start-up than in loading): stdin gives "KIND<TAB>FILE" per
    // line; stdout answers each with "RC LENGTH\n" and then LENGTH bytes of message.
    std::string line;
    while (std::getline(std::cin, line)) {
      const auto tab = line.find('\t');
      if (tab == std::string::npos) {
        std::cerr << "tokenplan_load_file --each: expected KIND<TAB>FILE, got '" << line << "'\n";
        return 64;
      }
      std::string message;
      const int rc = verdict(line.substr(0, tab), line.substr(tab + 1), message);
      std::cout << rc << ' ' << message.size() << '\n' << message << std::flush;
    }
    return 0;
  }
  if (argc != 3) {
    std::cerr << "usage: tokenplan_load_file KIND FILE | tokenplan_load_file --each\n";
    return 64;
  }
  std::string message;
  const int rc = verdict(argv[1], argv[2], message);
  (rc == 0 ? std::cout : std::cerr) << message << "\n";
  return rc;
}
