// Private to fleet/: the steps that build a fleet plan's allocation model (fleet_builder.cpp),
// which run_fleet (fleet.cpp) takes in order between loading the inputs and solving.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "fleet/fleet.hpp"
#include "search/backend.hpp"

namespace tokenplan {
namespace detail {

/// Fills `r.model` (periods, classes, sites, pools and options), `r.profiles`, `r.origins`, and
/// the searches and candidates behind the options, for one fleet request.
struct fleet_builder {
  fleet_builder(const fleet_request& request, fleet_result& result);

  /// Periods of the day and each class's demand in them.
  void add_classes();
  /// The hardware profile of a GPU type, node size and site's network: an existing one (the
  /// site joins its label) or a new one.
  std::size_t profile_of(std::uint32_t gpu_index, std::uint32_t gpn, const site_entry& site);
  /// One pool per site, with the GPUs it has.
  void add_sites();
  /// Selects the search backend (the request's choice) before the first search.
  void open_backend();
  /// Searches each class on each profile not searched yet; keeps the best configurations of
  /// different structure as candidates.
  void search_new_profiles();
  /// Every candidate in every pool of its profile, from pool `first_pool` on.
  void add_options(std::size_t first_pool);
  /// Pools for the GPUs on offer, at each site that may receive them.
  void add_offer_pools();

  const fleet_request& req;
  fleet_result& r;
  const plan_request& base;
  const demand_entry& dem;
  fleet_model& m;
  std::unique_ptr<backend> be;
  double peak = 0.0;         ///< peak-hour factor of the demand
  std::size_t searched = 0;  // profiles [0, searched) are done
};

}  // namespace detail
}  // namespace tokenplan
