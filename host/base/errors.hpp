// Typed errors. Library code throws; only the CLI turns them into messages and exit codes:
// config_error and usage_error exit 2 (bad input or usage), runtime_failure exits 1.
#pragma once

#include <stdexcept>
#include <string>

namespace tokenplan {

/// Bad input in a file: which file, which JSON path, what was expected and what was found.
class config_error : public std::runtime_error {
 public:
  config_error(std::string file, std::string json_path, std::string detail)
      : std::runtime_error(compose(file, json_path, detail)),
        file_(std::move(file)),
        json_path_(std::move(json_path)),
        detail_(std::move(detail)) {}
  const std::string& file() const { return file_; }
  /// JSON path such as "$.sites[1].gpu"; empty when the problem is the file itself.
  const std::string& json_path() const { return json_path_; }
  const std::string& detail() const { return detail_; }

 private:
  static std::string compose(const std::string& f, const std::string& p, const std::string& d) {
    return p.empty() ? f + ": " + d : f + ": " + p + ": " + d;
  }
  std::string file_, json_path_, detail_;
};

/// Bad command line, or a request this machine cannot honour (e.g. --backend cuda, no GPU).
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Something failed while running: I/O, CUDA, out of memory.
class runtime_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The user stopped the run (Ctrl-C): nothing is written; exit status 130.
class interrupted_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A failed CUDA call: the call's text and the error's name.
class cuda_error : public runtime_failure {
 public:
  cuda_error(const std::string& call, const std::string& error_name, const std::string& error_text)
      : runtime_failure("CUDA call failed: " + call + ": " + error_name + " (" + error_text + ")") {}
};

}  // namespace tokenplan
