#pragma once

// The policy file and the flags over it, read the same way by validate, audit and admission.

#include <image_secure/base/result.hpp>
#include <image_secure/validate/validate.hpp>

#include <string>
#include <vector>

namespace image_secure::cli {

/// `--policy FILE` (none: the defaults), then `--allowed-registry` entries and
/// `--kubernetes-version` (empty: the file's) over it.
[[nodiscard]] Result<Policy> load_policy(const std::string& file,
                                         const std::vector<std::string>& allowed_registries = {},
                                         const std::string& kubernetes_version = {});

} // namespace image_secure::cli
