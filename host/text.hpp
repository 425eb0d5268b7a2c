// Small text helpers for messages: edit distance and "did you mean" suggestions.
#pragma once

#include <string>
#include <vector>

namespace tokenplan {

/// Levenshtein distance between a and b (case-sensitive).
std::size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `word` if it is close enough to be a plausible typo, else "".
std::string nearest_name(const std::string& word, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" when a near candidate exists, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

/// Joins names as "'a', 'b', 'c'".
std::string quoted_list(const std::vector<std::string>& names);

}  // namespace tokenplan
