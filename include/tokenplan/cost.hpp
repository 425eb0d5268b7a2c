// The fleet: instances each pool needs for the peak request rate, packed into whole nodes, and
// what the fleet draws and costs (IT and facility power, lease and energy per day, per million
// tokens, GPUs beyond those the cluster has). Includes only other tokenplan/ headers and the
// standard library.
#pragma once

#include "tokenplan/detail/arith.hpp"
#include "tokenplan/evaluation.hpp"
#include "tokenplan/hd.hpp"
#include "tokenplan/specs.hpp"

namespace tokenplan {
namespace detail {

/// Instances packed into nodes: an instance of a whole node or more fills whole nodes; smaller
/// ones share nodes and leave slots empty when they do not divide the node.
TOKENPLAN_HD inline void pack_nodes(pool_metrics& r, double gpn) {
  r.gpus = r.instances * r.gpus_per_instance;
  if (r.gpus_per_instance >= gpn) {
    r.nodes = r.instances * ceil_div(r.gpus_per_instance, gpn);
  } else {
    r.nodes = ceil_div(r.instances, floor_pos(gpn / r.gpus_per_instance));
  }
  r.gpus_billed = r.nodes * gpn;
}

/// Instances a pool needs to serve `peak_requests_per_s` at its planned utilisation (none when
/// queueing found no utilisation within the TTFT SLO), packed into nodes of `gpn` GPUs.
TOKENPLAN_HD inline void size_pool(pool_metrics& r, double peak_requests_per_s, double gpn) {
  r.instances = r.utilisation > 0.0 ? ceil_div(peak_requests_per_s, r.requests_per_s * r.utilisation) : 0.0;
  pack_nodes(r, gpn);
}

/// The fleet of both pools at `site`: GPUs, nodes and GPUs billed, power, cost per day and per
/// million tokens, and the GPUs billed beyond those of this type in the cluster.
TOKENPLAN_HD inline void fleet_cost(const gpu_spec& g, const site_spec& site, const workload_spec& w, metrics& r) {
  r.gpus = r.main.gpus + r.prefill.gpus;
  r.nodes = r.main.nodes + r.prefill.nodes;
  r.gpus_billed = r.main.gpus_billed + r.prefill.gpus_billed;
  r.it_power_kw = r.gpus_billed * g.power_w / 1000.0;
  r.facility_power_kw = r.it_power_kw * site.pue;
  r.lease_usd_per_day = r.gpus_billed * site.usd_per_gpu_hour * 24.0;
  r.energy_usd_per_day = site.price_includes_power ? 0.0 : r.facility_power_kw * 24.0 * site.usd_per_kwh;
  r.cost_usd_per_day = r.lease_usd_per_day + r.energy_usd_per_day;
  r.usd_per_million_tokens = r.cost_usd_per_day / (w.tokens_per_day / 1e6);
  r.shortfall_gpus = max2(0.0, r.gpus_billed - site.type_gpus_available);
}

}  // namespace detail
}  // namespace tokenplan
