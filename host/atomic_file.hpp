// Atomic output: write a temporary file beside the target, flush it to disk, then rename it over
// the target, so a failed or interrupted run never leaves a half-written file.
#pragma once

#include <string>

namespace tokenplan {

/// Replaces `path` with `content` atomically. Throws runtime_failure (the target is untouched).
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace tokenplan
