#pragma once

// Where registry credentials come from: flags, a docker config.json (`auths`,
// `credHelpers`, `credsStore`) and docker-credential-<name> helpers. spec/registry.md §12.

#include <image_secure/base/result.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace image_secure {

/// What a registry may be sent. Values never appear in messages or logs.
struct Credential {
    std::string username;
    std::string password;
    std::string identity_token; ///< OAuth2 refresh token (docker `identitytoken`)
    std::string registry_token; ///< bearer token sent as is (docker `registrytoken`)
    std::string source;         ///< where it came from, for messages ("flags", "config.json", "helper testbed")

    [[nodiscard]] bool empty() const {
        return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
    }
};

/// A parsed docker config.json.
struct DockerConfig {
    std::string path;
    std::map<std::string, Credential> auths;         ///< key: normalised host
    std::map<std::string, std::string> cred_helpers; ///< host -> helper suffix
    std::string creds_store;
};

/// Docker Hub's key in config.json and for credential helpers.
inline constexpr std::string_view k_docker_hub_key = "https://index.docker.io/v1/";

/// The host a config.json key names: scheme and path stripped, lower-cased; Docker Hub's
/// spellings (docker.io, index.docker.io, registry-1.docker.io, the v1 URL) all give "docker.io".
[[nodiscard]] std::string normalize_config_key(std::string_view key);

/// Parses config.json; errors name the file and the entry.
[[nodiscard]] Result<DockerConfig> parse_docker_config(std::string_view text, std::string_view path);

/// Runs a credential helper: `program get` with `server` on stdin. nullopt when the
/// helper has no credentials for `server`; an error when it cannot run or answers garbage.
using HelperRunner =
    std::function<Result<std::optional<Credential>>(const std::string& program, const std::string& server)>;

/// The real runner: posix_spawnp of `program` (found on PATH).
[[nodiscard]] Result<std::optional<Credential>> run_credential_helper(const std::string& program,
                                                                      const std::string& server);

/// Credentials for `host` from `config`: credHelpers[host], then auths[host], then
/// credsStore. nullopt when there are none.
[[nodiscard]] Result<std::optional<Credential>>
lookup_docker_config(const DockerConfig& config, std::string_view host, const HelperRunner& runner);

/// The config file the docker CLI would read: `explicit_path` (a file or a directory),
/// else $DOCKER_CONFIG/config.json, else ~/.docker/config.json. "" when none exists and
/// none was asked for.
[[nodiscard]] std::string docker_config_path(const std::string& explicit_path);

} // namespace image_secure
