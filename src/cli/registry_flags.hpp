#pragma once

#include "cli/app.hpp"

#include <image_secure/registry/registry.hpp>

#include <memory>
#include <string>
#include <vector>

namespace image_secure::cli {

/// Flags of every command that talks to registries (registry, mirror, rewrite --pin,
/// secret create --verify, onboard --docker-config): one definition, one meaning.
struct RegistryFlags {
    std::string docker_server;
    std::string username;
    std::string password; ///< --docker-password (argv: discouraged, kept for kubectl parity)
    bool password_stdin = false;
    std::string password_file;
    std::string docker_config;
    std::string ca_file;
    std::vector<std::string> certs_dirs;
    std::vector<std::string> insecure; ///< --insecure-skip-tls-verify[=HOST[:PORT]|true|false]...
    std::vector<std::string> plain_http;
    unsigned concurrency = 8;
    bool verbose = false;
};

/// Which flag groups a command takes (the TLS/plain-HTTP/-v group always).
enum RegistryFlagParts : unsigned {
    k_tls_only = 0,
    k_credential_flags = 1U,   ///< --docker-server, --docker-username, --docker-password, --password-*
    k_docker_config_flag = 2U, ///< --docker-config
    k_concurrency_flag = 4U,   ///< --concurrency
    k_all_registry_flags = 7U,
};

void add_registry_flags(CLI::App& cmd, RegistryFlags& flags, unsigned parts);

/// The password from --docker-password, --password-stdin or --password-file ("" if none).
[[nodiscard]] Result<std::string> read_flag_password(const RegistryFlags& flags, Io& io, const char* command);

/// Builds the client options. Flag credentials apply to `credential_hosts` only (the
/// --docker-server host, or the hosts the command names); every other host gets its
/// credentials from the docker config (and its helpers), or none.
[[nodiscard]] Result<RegistryOptions>
make_registry_options(const RegistryFlags& flags, Io& io, std::vector<std::string> credential_hosts);

/// make_registry_options for commands that read images on `hosts` (each once): flag
/// credentials without --docker-server are refused when the images are on several registries
/// (which one are they for?).
[[nodiscard]] Result<RegistryOptions> make_registry_options_for_images(const RegistryFlags& flags,
                                                                       Io& io,
                                                                       const std::vector<std::string>& hosts,
                                                                       const char* command);

/// "https://r.example.com/v1/" or "r.example.com:5000" -> "r.example.com:5000"; an http://
/// scheme also marks the host as plain HTTP in `flags`.
[[nodiscard]] std::string server_host(const std::string& server, RegistryFlags* flags);

} // namespace image_secure::cli
