#pragma once

// KRM functions (kpt, kustomize exec transformers): the functionConfig of a ResourceList.

#include <image_secure/base/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// The settings a functionConfig ConfigMap carries in `data`.
struct KrmConfig {
    std::string registry;                  ///< data.registry
    std::string path_mode;                 ///< data.path-mode
    std::string rules;                     ///< data.rules: a rules file, inline
    std::vector<std::string> pull_secrets; ///< data.pull-secrets: comma or newline separated
};

/// Reads `functionConfig` out of a config.kubernetes.io/v1 ResourceList. Unknown data keys
/// and a document that is not a ResourceList are errors naming the key.
[[nodiscard]] Result<KrmConfig> parse_krm_function_config(std::string_view resource_list);

} // namespace image_secure
