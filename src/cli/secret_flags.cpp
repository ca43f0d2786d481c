#include "cli/secret_flags.hpp"

#include "cli/registry_flags.hpp"

#include <image_secure/base/io.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/registry/registry.hpp>
#include <image_secure/secret/secret.hpp>
#include <image_secure/validate/validate.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>

namespace image_secure::cli {

namespace {

/// A password, token or key is never longer than this; more is a mistake (or /dev/zero).
constexpr std::size_t k_password_limit = 64U * 1024U;

} // namespace

void add_secret_flags(CLI::App& cmd, SecretFlags& flags, bool several_servers, bool with_docker_config) {
    auto* server = cmd.add_option("--docker-server",
                                  flags.servers,
                                  several_servers ? "Registry server (repeatable; default https://index.docker.io/v1/)"
                                                  : "Registry server (default https://index.docker.io/v1/)")
                       ->allow_extra_args(false);
    server->multi_option_policy(several_servers ? CLI::MultiOptionPolicy::TakeAll : CLI::MultiOptionPolicy::TakeLast);
    cmd.add_option("--docker-username", flags.username, "Username for registry authentication");
    cmd.add_option("--docker-password", flags.password, "Password (visible in process lists: prefer --password-stdin)");
    cmd.add_option("--docker-email", flags.email, "Email for the registry (optional)");
    cmd.add_flag("--password-stdin", flags.password_stdin, "Read the password from standard input");
    cmd.add_option("--password-file", flags.password_file, "Read the password from FILE");
    cmd.add_option(
           "--from-file", flags.from_file, "[KEY=]PATH of an existing docker config.json (repeatable, comma-separated)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    if (with_docker_config) {
        cmd.add_option("--docker-config",
                       flags.docker_config,
                       "Take the credentials of each --docker-server from this docker config "
                       "(file or directory; credential helpers are run)");
    }
}

void add_kubectl_version_flag(CLI::App& cmd, std::string& version) {
    cmd.add_option("--kubectl-version",
                   version,
                   "Print what kubectl MAJOR.MINOR prints (default: current kubectl, 1.34+; 1.33 and older add "
                   "'creationTimestamp: null'); also IMAGE_SECURE_KUBECTL_VERSION");
}

Result<int> kubectl_minor(const std::string& flag) {
    std::string text = flag;
    std::string where = "--kubectl-version";
    if (text.empty()) {
        const char* env = std::getenv("IMAGE_SECURE_KUBECTL_VERSION");
        if (env == nullptr || *env == '\0') {
            return 34;
        }
        text = env;
        where = "IMAGE_SECURE_KUBECTL_VERSION";
    }
    auto minor = parse_kubernetes_version(text);
    if (!minor || *minor < 19) {
        return usage_error("\"" + printable(text, 32) + "\" is not a kubectl version 1.N (1.19 or newer)", where);
    }
    return *minor;
}

Result<std::string> read_password_from(
    const std::optional<std::string>& argv_value, bool from_stdin, const std::string& file, Io& io, const char* where) {
    const int sources = (argv_value && !argv_value->empty() ? 1 : 0) + (from_stdin ? 1 : 0) + (file.empty() ? 0 : 1);
    if (sources > 1) {
        return usage_error("use only one of --docker-password, --password-stdin and --password-file", where);
    }
    if (from_stdin) {
        auto bytes = read_stream_limited(io.in, k_password_limit, "--password-stdin");
        if (!bytes) {
            return bytes.error();
        }
        return strip_password_newline(std::move(*bytes));
    }
    if (!file.empty()) {
        struct stat st {};

        if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077U) != 0) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777U));
            io.err << "warning: the password file " << printable(file) << " can be read by other users (mode " << mode
                   << "); make it private: chmod 600 " << printable(file) << " (--password-file)\n";
        }
        auto bytes = read_file_limited(file, k_password_limit);
        if (!bytes) {
            return bytes.error().what.rfind("more than", 0) == 0
                       ? input_error("more than 64 KiB: that is not a password", file)
                       : bytes.error();
        }
        return strip_password_newline(std::move(*bytes));
    }
    return argv_value.value_or("");
}

namespace {

Result<Ok> add_from_files(SecretSpec& spec, const std::vector<std::string>& values, int kubectl_minor) {
    namespace fs = std::filesystem;
    for (const auto& value : values) {
        auto entries = split_csv_flag(value);
        if (!entries) {
            return usage_error("invalid argument \"" + value + "\" for \"--from-file\" flag: " + entries.error().what);
        }
        for (const auto& entry : *entries) {
            auto source = parse_file_source(entry, kubectl_minor <= 30);
            if (!source) {
                return source.error();
            }
            std::error_code ec;
            const auto status = fs::status(source->path, ec);
            if (ec || !fs::exists(status)) {
                return input_error("error reading " + source->path + ": no such file or directory");
            }
            if (fs::is_directory(status)) {
                return usage_error("cannot give a key name for a directory path");
            }
            auto bytes = read_file(source->path);
            if (!bytes) {
                return bytes.error();
            }
            if (auto added = add_secret_file(spec, {source->key, source->path, std::move(*bytes)}); !added) {
                return added.error();
            }
        }
    }
    return Ok{};
}

/// Credentials of each --docker-server, taken out of a docker config (helpers run).
Result<std::vector<DockerCredentials>> from_docker_config(const SecretFlags& flags) {
    const std::string path = docker_config_path(flags.docker_config);
    auto text = read_file(path);
    if (!text) {
        return text.error();
    }
    auto config = parse_docker_config(*text, path);
    if (!config) {
        return config.error();
    }
    if (flags.servers.empty()) {
        return usage_error("--docker-config needs --docker-server: which registries to take", "--docker-config");
    }
    std::vector<DockerCredentials> out;
    for (const auto& server : flags.servers) {
        auto found = lookup_docker_config(*config, server, &run_credential_helper);
        if (!found) {
            return found.error();
        }
        if (!*found) {
            return input_error("no credentials for " + server + " in the docker config", path);
        }
        if ((*found)->username.empty() || (*found)->password.empty()) {
            return input_error("the docker config holds a token, not a username and password, for " + server
                                   + ": the kubelet cannot use it in a pull secret",
                               path);
        }
        out.push_back(DockerCredentials{server, (*found)->username, (*found)->password, flags.email});
    }
    return out;
}

} // namespace

Result<SecretMaterial> build_secret_material(const SecretFlags& flags, Io& io, const char* command) {
    auto password = read_password_from(flags.password, flags.password_stdin, flags.password_file, io, command);
    if (!password) {
        return password.error();
    }
    SecretMaterial material;
    SecretSpec files;
    if (auto added = add_from_files(files, flags.from_file, flags.kubectl_minor); !added) {
        return added.error();
    }
    if (!files.data.empty()) {
        material.data = std::move(files.data);
        for (const auto& [key, bytes] : material.data) {
            std::string text = bytes;
            if (key == ".dockercfg") {
                text = "{\"auths\":" + text + "}"; // the legacy format is the auths object alone
            }
            auto parsed = parse_docker_config(text, key);
            if (!parsed) {
                continue; // kubectl does not check the file either; --verify has nothing to try
            }
            for (const auto& [host, credential] : parsed->auths) {
                material.logins.emplace_back(host, credential);
            }
        }
        return material;
    }
    std::vector<DockerCredentials> entries;
    if (!flags.docker_config.empty() && flags.username.empty()) {
        auto found = from_docker_config(flags);
        if (!found) {
            return found.error();
        }
        entries = std::move(*found);
    } else {
        DockerCredentials creds;
        creds.server = flags.servers.empty() ? std::string(k_default_docker_server) : flags.servers.back();
        creds.username = flags.username;
        creds.password = std::move(*password);
        creds.email = flags.email;
        if (creds.username.empty() || creds.password.empty() || creds.server.empty()) {
            return usage_error("either --from-file or the combination of --docker-username, "
                               "--docker-password and --docker-server is required",
                               command);
        }
        entries.push_back(std::move(creds));
    }
    for (const auto& e : entries) {
        material.logins.emplace_back(normalize_config_key(e.server),
                                     Credential{e.username, e.password, {}, {}, "flags"});
    }
    material.data[".dockerconfigjson"] = docker_config_json(entries);
    return material;
}

/// --verify: every registry in the Secret must accept its credentials.
Result<Ok>
verify_logins(const SecretMaterial& material, const std::vector<std::string>& servers, RegistryFlags flags, Io& io) {
    if (material.logins.empty()) {
        return usage_error("--verify found no registry credentials to check in the Secret", "--verify");
    }
    for (const auto& server : servers) {
        (void)server_host(server, &flags); // an http:// server is reached over plain HTTP
    }
    auto options = make_registry_options(flags, io, {});
    if (!options) {
        return options.error();
    }
    const std::map<std::string, Credential> by_host(material.logins.begin(), material.logins.end());
    options->credentials = [by_host](const std::string& host) -> Result<std::optional<Credential>> {
        const auto it = by_host.find(host);
        return it == by_host.end() ? std::optional<Credential>{} : std::optional<Credential>(it->second);
    };
    RegistryClient client(std::move(*options));
    for (const auto& [host, login] : by_host) {
        auto checked = client.check(host);
        if (!checked) {
            return checked.error();
        }
        if (!checked->accepted) {
            return Error{ErrorKind::not_found,
                         host + " rejected the credentials for " + login.username + " (" + checked->scheme
                             + "): " + checked->reason + "; no Secret was printed",
                         "--verify"};
        }
        io.err << "verified: " << host << " accepts " << login.username << " (" << checked->scheme << ")\n";
    }
    return Ok{};
}

} // namespace image_secure::cli
