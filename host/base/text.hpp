// Small text helpers for messages: edit distance, "did you mean" suggestions, and escaping of
// control characters in strings from inputs.
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

/// `s` made safe to print: control characters (C0, DEL and the C1 range U+0080..U+009F, so an
/// ESC or CSI sequence too) become JSON-style escapes ("\u001b", "\n" as "\u000a"), and bytes
/// that are not UTF-8 become "\xNN". A string from an input file cannot recolour the terminal,
/// move the cursor or break a table row. Idempotent; other text passes unchanged.
std::string printable(const std::string& s);

/// Joins names as "'a', 'b', 'c'".
std::string quoted_list(const std::vector<std::string>& names);

}  // namespace tokenplan
