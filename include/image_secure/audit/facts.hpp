#pragma once

// What an image holds, from its final tree and its config: tools by category, setuid/setgid
// files, the OS, package databases and caches, sizes and per-layer figures. Pure: the tree
// and the config bytes in, facts out. Rules (rules.hpp) judge them later.

#include <image_secure/base/result.hpp>
#include <image_secure/layer/overlay.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure::audit {

/// What the image config says (the parts the audit uses).
struct ConfigFacts {
    std::string user;
    std::string path; ///< the PATH of Env ("" when not set)
    std::vector<std::string> env;
    std::vector<std::string> volumes;    ///< declared VOLUMEs, sorted
    std::vector<std::string> entrypoint; ///< Entrypoint
    std::vector<std::string> cmd;        ///< Cmd
    std::string created;
    std::string os;
    std::string architecture;
    std::string variant;
    std::vector<std::string> diff_ids;
    std::vector<std::string> layer_history; ///< created_by of the non-empty history entries
    bool history_lines_up = false;          ///< one non-empty history entry per layer
};

/// Parses a config blob (JSON); an Error for a body that is not an image config.
[[nodiscard]] Result<ConfigFacts> parse_config_facts(std::string_view body);

/// A tool, a setuid file or a package cache, with the layer that added it.
struct PathFact {
    std::string path; ///< absolute ("/usr/bin/bash")
    int layer = -1;
};

struct OsFacts {
    std::string id;
    std::string version_id;
    std::string pretty_name;
    std::string source; ///< the file it came from
};

struct PackageDb {
    std::string type; ///< "dpkg", "apk", "rpm"
    std::string path;
    std::vector<std::string> packages; ///< sorted (empty when only presence is known)
    int layer = -1;
};

struct LayerFacts {
    std::string digest;
    std::string media_type;
    std::int64_t compressed_bytes = 0;
    std::int64_t uncompressed_bytes = 0;
    std::string diff_id;
    std::int64_t entries = 0;
    std::int64_t whiteouts = 0;
    std::int64_t opaque_dirs = 0;
    std::string created_by;
};

enum class ToolCategory { shell, package_manager, network_tool, editor, compiler };

inline constexpr int k_tool_categories = 5;

/// The category of a file named `name` in a bin dir, or nullopt.
[[nodiscard]] std::optional<ToolCategory> tool_category(std::string_view name);

struct ImageFacts {
    std::optional<OsFacts> os;
    std::int64_t compressed_bytes = 0;
    std::int64_t uncompressed_bytes = 0;
    std::int64_t content_bytes = 0;
    std::int64_t wasted_bytes = 0;
    std::int64_t files = 0;
    std::int64_t dirs = 0;
    std::int64_t symlinks = 0;
    std::vector<LayerFacts> layers;
    std::vector<PathFact> tools[k_tool_categories]; ///< by ToolCategory, sorted by path
    std::vector<PathFact> setuid;
    std::vector<PathFact> setgid;
    std::vector<PathFact> package_caches;
    std::vector<PackageDb> package_dbs;
    std::vector<std::string> suspicious; ///< member names that escaped the root (ignored)

    [[nodiscard]] const std::vector<PathFact>& of(ToolCategory c) const { return tools[static_cast<int>(c)]; }
};

/// Facts from the tree built of `layers` (in order) and the config.
[[nodiscard]] ImageFacts compute_facts(const layer::ImageTree& tree,
                                       const std::vector<const layer::LayerSummary*>& layers,
                                       const ConfigFacts& config);

/// Would the container runtime find `command` in the image? An absolute path must resolve to a
/// non-directory; a bare name is looked up in the config's PATH (or the runtime default).
[[nodiscard]] bool image_has_command(const layer::ImageTree& tree, const ConfigFacts& config, std::string_view command);

/// Package names from an rpmdb.sqlite image (nullopt when it cannot be read).
[[nodiscard]] std::optional<std::vector<std::string>> rpm_sqlite_names(std::string_view bytes);

} // namespace image_secure::audit
