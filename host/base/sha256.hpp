// SHA-256 (FIPS 180-4), used to record which exact input files produced a plan.
#pragma once

#include <string>

namespace tokenplan {

/// Lower-case hex SHA-256 digest of `data`.
std::string sha256_hex(const std::string& data);

}  // namespace tokenplan
