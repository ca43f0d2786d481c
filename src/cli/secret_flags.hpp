#pragma once

#include "cli/app.hpp"

#include <image_secure/registry/credentials.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace image_secure::cli {

/// The credential flags of `secret create` and `onboard` (kubectl's docker-registry flags
/// plus --password-stdin/--password-file, and for onboard --docker-config).
struct SecretFlags {
    std::vector<std::string> servers; ///< --docker-server (one for secret create)
    std::string username;
    std::optional<std::string> password;
    std::string email;
    bool password_stdin = false;
    std::string password_file;
    std::vector<std::string> from_file;
    std::string docker_config; ///< onboard: take the --docker-server entries from this config
    int kubectl_minor = 34;    ///< which kubectl to imitate (--kubectl-version)
};

/// Registers the flags; `several_servers` makes --docker-server repeatable (onboard), and
/// `with_docker_config` adds --docker-config.
void add_secret_flags(CLI::App& cmd, SecretFlags& flags, bool several_servers, bool with_docker_config);

/// `--kubectl-version MAJOR.MINOR`: print what that kubectl prints (default: current, 1.34+).
void add_kubectl_version_flag(CLI::App& cmd, std::string& version);

/// The kubectl minor version to imitate: the flag, else IMAGE_SECURE_KUBECTL_VERSION, else 34.
[[nodiscard]] Result<int> kubectl_minor(const std::string& flag);

/// The password from exactly one of: the argv value, standard input, a file ("" if none).
[[nodiscard]] Result<std::string> read_password_from(
    const std::optional<std::string>& argv_value, bool from_stdin, const std::string& file, Io& io, const char* where);

/// What the flags amount to: the Secret's data, and each (registry, credential) in it
/// (for --verify).
struct SecretMaterial {
    std::map<std::string, std::string> data;
    std::vector<std::pair<std::string, Credential>> logins;
};

[[nodiscard]] Result<SecretMaterial> build_secret_material(const SecretFlags& flags, Io& io, const char* command);

struct RegistryFlags;

/// --verify: every registry in the material must accept its credentials (connection flags
/// from `flags`; an http:// entry of `servers` is reached over plain HTTP). A rejection is an
/// Error (exit 1) that says nothing was printed.
[[nodiscard]] Result<Ok>
verify_logins(const SecretMaterial& material, const std::vector<std::string>& servers, RegistryFlags flags, Io& io);

} // namespace image_secure::cli
