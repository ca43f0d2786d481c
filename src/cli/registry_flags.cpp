#include "cli/registry_flags.hpp"

#include "cli/pflag.hpp"
#include "cli/secret_flags.hpp"

#include <image_secure/base/io.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/http/curl_transport.hpp>
#include <image_secure/rewrite/mapping.hpp>
#include <image_secure/secret/secret.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace image_secure::cli {

void add_registry_flags(CLI::App& cmd, RegistryFlags& flags, unsigned parts) {
    if ((parts & k_credential_flags) != 0) {
        cmd.add_option("--docker-server",
                       flags.docker_server,
                       "Registry the credential flags are for (default: the one the command names)");
        cmd.add_option("--docker-username", flags.username, "Username for --docker-server");
        cmd.add_option(
            "--docker-password", flags.password, "Password (visible in the process list: prefer --password-stdin)");
        cmd.add_flag("--password-stdin", flags.password_stdin, "Read the password from standard input");
        cmd.add_option("--password-file", flags.password_file, "Read the password from a file");
    }
    if ((parts & k_docker_config_flag) != 0) {
        cmd.add_option("--docker-config",
                       flags.docker_config,
                       "docker config.json (file or directory; default $DOCKER_CONFIG, then ~/.docker)");
    }
    cmd.add_option("--ca-file", flags.ca_file, "Extra CA certificates (PEM) for TLS registries");
    cmd.add_option("--certs-dir",
                   flags.certs_dirs,
                   "docker-style certs.d directory: <dir>/<host:port>/{ca.crt,client.cert,client.key} "
                   "(default /etc/docker/certs.d, /etc/containers/certs.d)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    optional_value(cmd.add_option("--insecure-skip-tls-verify",
                                  flags.insecure,
                                  "Do not verify the certificate of this registry HOST[:PORT] (repeatable; "
                                  "give it with '='); alone: of every registry (unsafe, warned about)"),
                   "true")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd.add_option("--plain-http", flags.plain_http, "Registry HOST[:PORT] reached over plain HTTP (repeatable)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    if ((parts & k_concurrency_flag) != 0) {
        cmd.add_option("--concurrency", flags.concurrency, "Requests in flight at once (default 8)")
            ->check(CLI::Range(1U, 256U));
    }
    cmd.add_flag("-v,--verbose", flags.verbose, "Log every request to stderr (never credentials)");
}

Result<std::string> read_flag_password(const RegistryFlags& flags, Io& io, const char* command) {
    return read_password_from(flags.password.empty() ? std::nullopt : std::optional<std::string>(flags.password),
                              flags.password_stdin,
                              flags.password_file,
                              io,
                              command);
}

std::string server_host(const std::string& server, RegistryFlags* flags) {
    const std::string host = normalize_config_key(server);
    if (flags != nullptr && server.rfind("http://", 0) == 0) {
        flags->plain_http.push_back(host);
    }
    return host;
}

Result<RegistryOptions>
make_registry_options(const RegistryFlags& flags, Io& io, std::vector<std::string> credential_hosts) {
    if (auto curl = http::load_library(); !curl) {
        return curl.error();
    }
    RegistryOptions options;
    options.plain_http = flags.plain_http;
    options.ca_file = flags.ca_file;
    for (const auto& value : flags.insecure) {
        if (auto all = parse_go_bool(value)) {
            options.insecure_skip_tls_verify = *all; // kubectl's bool spelling: the last one wins
            if (*all) {
                io.err << "warning: --insecure-skip-tls-verify without a host turns off certificate checks for "
                          "every registry of this run; name the one that needs it: "
                          "--insecure-skip-tls-verify=HOST[:PORT]\n";
            }
            continue;
        }
        const std::string host = server_host(value, nullptr);
        if (host.empty() || host.find_first_of("/ \t\\") != std::string::npos) {
            return usage_error("\"" + printable(value) + "\" is not a registry HOST[:PORT]",
                               "--insecure-skip-tls-verify");
        }
        options.insecure_hosts.push_back(host);
    }
    options.certs_dirs = flags.certs_dirs;
    if (options.certs_dirs.empty()) {
        options.certs_dirs = {"/etc/docker/certs.d", "/etc/containers/certs.d"};
    }
    options.concurrency = flags.concurrency;
    if (const char* stall = std::getenv("IMAGE_SECURE_STALL_TIMEOUT"); stall != nullptr && *stall != '\0') {
        char* end = nullptr;
        const long seconds = std::strtol(stall, &end, 10);
        if (end == nullptr || *end != '\0' || seconds < 1 || seconds > 3600) {
            return usage_error("IMAGE_SECURE_STALL_TIMEOUT must be whole seconds from 1 to 3600", "environment");
        }
        options.stall_seconds = seconds;
    }
    if (flags.verbose) {
        std::ostream* err = &io.err;
        options.log = [err](const std::string& line) { *err << "registry: " << printable(line, 4096) << '\n'; };
    }
    if (!flags.docker_server.empty()) {
        credential_hosts = {server_host(flags.docker_server, nullptr)};
    }
    auto password = read_flag_password(flags, io, "--password");
    if (!password) {
        return password.error();
    }
    if (!password->empty() && flags.username.empty()) {
        return usage_error("a password was given without --docker-username", "--docker-username");
    }
    std::optional<Credential> flag_credential;
    if (!flags.username.empty()) {
        if (password->empty()) {
            return usage_error("--docker-username needs a password (--password-stdin, --password-file)",
                               "--docker-username");
        }
        flag_credential = Credential{flags.username, *password, {}, {}, "flags"};
    }
    {
        std::string sources = flag_credential ? "--docker-username for "
                                                    + (credential_hosts.empty() ? std::string("the named registry")
                                                                                : credential_hosts.front())
                                              : std::string("no --docker-username");
        const std::string path = docker_config_path(flags.docker_config);
        const char* docker_config_env = std::getenv("DOCKER_CONFIG");
        if (!path.empty()) {
            sources += ", " + path + " (auths, credHelpers, credsStore)";
        } else {
            sources += std::string(", no docker config (")
                       + (docker_config_env != nullptr ? "$DOCKER_CONFIG has none" : "$DOCKER_CONFIG unset")
                       + ", no ~/.docker/config.json)";
        }
        options.credential_sources = sources;
    }
    // The docker config is read once, lazily: only hosts without flag credentials need it.
    auto config = std::make_shared<std::optional<Result<DockerConfig>>>();
    const std::string config_path = docker_config_path(flags.docker_config);
    options.credentials = [flag_credential, credential_hosts, config, config_path](
                              const std::string& host) -> Result<std::optional<Credential>> {
        if (flag_credential
            && std::any_of(credential_hosts.begin(), credential_hosts.end(), [&host](const std::string& h) {
                   return same_host(h, host);
               })) {
            return flag_credential;
        }
        if (config_path.empty()) {
            return std::optional<Credential>{};
        }
        if (!config->has_value()) {
            auto text = read_file(config_path);
            if (!text) {
                *config = Result<DockerConfig>(text.error());
            } else {
                *config = parse_docker_config(*text, config_path);
            }
        }
        const auto& parsed = config->value();
        if (!parsed) {
            return parsed.error();
        }
        return lookup_docker_config(*parsed, host, &run_credential_helper);
    };
    return options;
}

Result<RegistryOptions> make_registry_options_for_images(const RegistryFlags& flags,
                                                         Io& io,
                                                         const std::vector<std::string>& hosts,
                                                         const char* command) {
    if (!flags.username.empty() && flags.docker_server.empty() && hosts.size() > 1) {
        return usage_error("the images are on several registries: say which one the credentials are for with "
                           "--docker-server",
                           command);
    }
    return make_registry_options(flags, io, hosts);
}

} // namespace image_secure::cli
