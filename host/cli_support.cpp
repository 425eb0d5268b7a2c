// Helpers shared by the subcommands.
#include "cli_support.hpp"

#include <filesystem>
#include <set>

#include "errors.hpp"
#include "text.hpp"

#ifndef TOKENPLAN_SOURCE_CONFIG_DIR
#define TOKENPLAN_SOURCE_CONFIG_DIR ""
#endif

namespace tokenplan {

namespace fs = std::filesystem;

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
  const bool looks_like_path = arg.find('/') != std::string::npos || (arg.size() > 5 && arg.rfind(".json") == arg.size() - 5);
  if (!looks_like_path) {
    std::string f = roots.find(kind, arg);
    if (!f.empty()) return f;
    std::vector<std::string> names = catalog_names(roots.dirs(kind));
    throw usage_error(option + ": no " + kind + " file or preset named \"" + arg + "\"" + did_you_mean(arg, names) +
                      (names.empty() ? std::string() : "; shipped: " + quoted_list(names)));
  }
  return arg;  // a path that does not exist: the loader names it in its error
}

}  // namespace tokenplan
