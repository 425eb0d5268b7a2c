// The manual page, tokenplan(1), generated from the --help texts so the two never disagree.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tokenplan {

/// One help text in roff (man macros): headings ("Usage:", "Examples:") in bold, usage and
/// example blocks verbatim, "  --option ARG   text" and "  name   text" lines as tagged
/// paragraphs, prose filled. The first line ("tokenplan X - summary") is left to the caller.
std::string help_to_roff(const std::string& help);

/// tokenplan.1: NAME, SYNOPSIS and DESCRIPTION from the top-level help, then one section per
/// command from its --help text (pairs of command name and text), then FILES.
std::string man_page(const std::string& top_help, const std::vector<std::pair<std::string, std::string>>& commands,
                     const std::string& version);

}  // namespace tokenplan
