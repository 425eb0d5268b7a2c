// Where named configs live: the config roots (the folder an input sits in, --config-dir, the
// installed share folder, the source tree) and the presets they hold.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "base/text.hpp"
#include "io/loaders.hpp"

#ifndef TOKENPLAN_SOURCE_CONFIG_DIR
#define TOKENPLAN_SOURCE_CONFIG_DIR ""
#endif

namespace tokenplan {

namespace fs = std::filesystem;

std::vector<std::string> catalog_names(const std::vector<std::string>& dirs) {
  std::set<std::string> names;
  for (const std::string& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    for (const auto& f : fs::directory_iterator(d, ec)) {
      if (f.path().extension() == ".json") names.insert(f.path().stem().string());
    }
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> config_roots::dirs(const std::string& kind) const {
  std::vector<std::string> out;
  for (const std::string& r : roots) {
    std::error_code ec;
    fs::path d = fs::path(r) / kind;
    if (fs::is_directory(d, ec)) out.push_back(d.string());
  }
  return out;
}

std::string config_roots::find(const std::string& kind, const std::string& name) const {
  for (const std::string& d : dirs(kind)) {
    std::error_code ec;
    fs::path f = fs::path(d) / (name + ".json");
    if (fs::is_regular_file(f, ec)) return f.string();
  }
  return "";
}

std::string config_roots::calibration_file() const {
  for (const std::string& r : roots) {
    std::error_code ec;
    fs::path f = fs::path(r) / "calibration.json";
    if (fs::is_regular_file(f, ec)) return f.string();
  }
  return "";
}

std::string executable_dir() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.parent_path().string();
}

/// Config roots, in order: the configs folder the given file sits in (its parent's parent, as
/// in configs/clusters/x.json), the installed share folder, the source tree.
config_roots default_roots(const std::string& near_file, const std::string& extra) {
  std::vector<fs::path> candidates;
  if (!near_file.empty()) candidates.push_back(fs::path(near_file).parent_path() / "..");
  if (!extra.empty()) candidates.push_back(fs::path(extra));
  std::string exe = executable_dir();
  if (!exe.empty()) candidates.push_back(fs::path(exe) / ".." / "share" / "tokenplan" / "configs");
  std::string src = TOKENPLAN_SOURCE_CONFIG_DIR;
  if (!src.empty()) candidates.push_back(fs::path(src));
  config_roots roots;
  std::set<std::string> seen;
  for (const fs::path& c : candidates) {
    std::error_code ec;
    if (!fs::is_directory(c, ec)) continue;
    fs::path canon = fs::weakly_canonical(c, ec);
    std::string key = ec ? c.string() : canon.string();
    if (seen.insert(key).second) roots.roots.push_back(c.lexically_normal().string());
  }
  return roots;
}

bool looks_like_path(const std::string& arg) {
  return arg.find('/') != std::string::npos || (arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".json") == 0);
}

std::string resolve_named_config(const config_roots& roots, const std::string& kind, const std::string& arg,
                                 const std::string& base_dir, std::string* why) {
  if (looks_like_path(arg)) {
    fs::path p = fs::path(arg).is_absolute() ? fs::path(arg) : fs::path(base_dir) / arg;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
    *why = "file \"" + p.string() + "\" does not exist";
    return "";
  }
  std::string found = roots.find(kind, arg);
  if (found.empty()) {
    std::vector<std::string> known = catalog_names(roots.dirs(kind));
    *why = "unknown " + kind.substr(0, kind.size() - 1) + " \"" + arg + "\"" + did_you_mean(arg, known) +
           (known.empty() ? "" : "; shipped: " + quoted_list(known));
  }
  return found;
}

}  // namespace tokenplan
