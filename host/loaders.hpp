// Loaders for the config files under configs/: GPU, model, workload, cluster and grid. Each
// validates every field (type, range, unknown keys) and throws config_error naming file and path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "json_reader.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {

/// A GPU type from configs/gpus/<name>.json.
struct gpu_entry {
  std::string name;
  std::string description;
  input_file file;
  gpu_spec spec{};
};

/// A model from configs/models/<name>.json.
struct model_entry {
  std::string name;
  std::string hf_repo;
  input_file file;
  model_spec spec{};
  double params = 0.0;  ///< total parameters, embeddings included
};

/// A workload from configs/workloads/<name>.json.
struct workload_entry {
  std::string name;
  std::string description;
  input_file file;
  workload_spec spec{};
  std::vector<std::uint8_t> weight_precisions;  ///< formats the operator accepts for weights
  std::vector<std::uint8_t> kv_precisions;      ///< and for the KV cache
};

/// One site of a cluster file.
struct site_entry {
  std::string name;
  std::string gpu;              ///< GPU type name (key into cluster_entry::gpus)
  std::uint32_t gpu_index = 0;  ///< index into cluster_entry::gpus
  std::uint32_t gpus = 0;
  std::uint32_t gpus_per_node = 0;
  double usd_per_gpu_hour = 0.0;
  bool price_includes_power = true;
  double usd_per_kwh = 0.0;
  double pue = 1.0;
  /// Scale-out network of the site, overriding the GPU file's default when set (> 0 / >= 0).
  double scale_out_gb_per_s = 0.0;
  double scale_out_latency_us = -1.0;
  std::string interconnect;  ///< free-text description of the site's fabric
};

/// A cluster file with its GPU types resolved.
struct cluster_entry {
  std::string name;
  std::string description;
  input_file file;
  std::vector<site_entry> sites;
  std::vector<gpu_entry> gpus;  ///< distinct GPU types the sites use, in first-use order
};

/// The searched axes, before they are fitted to a problem.
struct grid_request {
  std::string origin;  ///< "built-in" or the file path
  std::string sha256;  ///< of the file, empty for the built-in grid
  std::vector<std::string> sites;  ///< empty: every site of the cluster
  std::vector<std::uint8_t> weight_precisions;
  std::vector<std::uint8_t> kv_precisions;
  std::vector<std::uint32_t> tp;
  std::vector<std::uint32_t> pp;
  std::vector<std::uint32_t> chunk;
  std::vector<std::uint32_t> batch;
};

gpu_entry load_gpu(const std::string& path);
model_entry load_model(const std::string& path);
workload_entry load_workload(const std::string& path);

/// Loads a cluster file. A site's "gpu" is a name looked up as <dir>/<name>.json in gpu_dirs (in
/// order), or a path (containing '/' or ending in .json) relative to the cluster file.
cluster_entry load_cluster(const std::string& path, const std::vector<std::string>& gpu_dirs);

/// The built-in grid: see grid.cpp for the axes and why.
grid_request default_grid();

/// Loads a grid file; absent axes keep the built-in values.
grid_request load_grid(const std::string& path);

/// Geometric batch ladder: round(2^(k / per_octave)) for lo <= value <= hi, deduplicated.
std::vector<std::uint32_t> batch_ladder(std::uint32_t lo, std::uint32_t hi, std::uint32_t per_octave);

/// Names (file stems) of the *.json files in the given directories, sorted, deduplicated.
std::vector<std::string> catalog_names(const std::vector<std::string>& dirs);

/// Parses "bf16" | "fp8" | "fp4"; returns false for anything else.
bool parse_precision(const std::string& name, std::uint8_t* out);

}  // namespace tokenplan
