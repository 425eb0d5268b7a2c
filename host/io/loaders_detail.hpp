// Private helpers the config loaders share (load_gpu_model, load_workload, load_cluster): reading a
// file into JSON and the mandatory "name" field. Not part of the public interface (io/loaders.hpp).
#pragma once

#include <cctype>
#include <string>

#include "io/json_reader.hpp"

namespace tokenplan {
namespace detail {

inline json load_json(const std::string& path, input_file* file) {
  *file = read_input_file(path);
  return parse_json(*file);
}

/// Reads the mandatory "name", which must be a plain identifier.
inline std::string read_name(field_reader& r) {
  std::string name = r.string("name");
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    if (!ok) r.fail("name", "names may hold letters, digits, '-', '_' and '.', found \"" + name + "\"");
  }
  return name;
}

}  // namespace detail
}  // namespace tokenplan
