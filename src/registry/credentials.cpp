#include <image_secure/base/encoding.hpp>
#include <image_secure/base/io.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/reference/reference.hpp>
#include <image_secure/registry/credentials.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ; // NOLINT(readability-redundant-declaration)

namespace image_secure {

namespace {

using nlohmann::json;

std::string helper_server_for(std::string_view host) {
    return is_docker_hub_host(host) ? std::string(k_docker_hub_key) : std::string(host);
}

/// RAII for a pipe's two ends.
struct PipeFds {
    int fd[2] = {-1, -1};
    PipeFds() = default;
    PipeFds(const PipeFds&) = delete;
    PipeFds& operator=(const PipeFds&) = delete;

    ~PipeFds() {
        close_end(0);
        close_end(1);
    }

    void close_end(int i) {
        if (fd[i] >= 0) {
            ::close(fd[i]);
            fd[i] = -1;
        }
    }
};

struct SpawnActions {
    posix_spawn_file_actions_t actions{};

    SpawnActions() { posix_spawn_file_actions_init(&actions); }

    ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }

    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
};

} // namespace

std::string normalize_config_key(std::string_view key) {
    std::string_view host = key;
    if (const auto scheme = host.find("://"); scheme != std::string_view::npos) {
        host.remove_prefix(scheme + 3);
    }
    host = host.substr(0, host.find('/'));
    std::string out = ascii_lower(host);
    return is_docker_hub_host(out) ? std::string(k_docker_hub) : out;
}

Result<DockerConfig> parse_docker_config(std::string_view text, std::string_view path) {
    const std::string where(path);
    const json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return input_error("docker config is not a JSON object", where);
    }
    DockerConfig config;
    config.path = where;
    if (const auto auths = doc.find("auths"); auths != doc.end()) {
        if (!auths->is_object()) {
            return input_error("\"auths\" is not an object", where);
        }
        for (const auto& [key, entry] : auths->items()) {
            if (!entry.is_object()) {
                return input_error("auths entry \"" + key + "\" is not an object", where);
            }
            Credential c;
            c.source = where;
            const auto& fields = entry; // a lambda cannot capture a structured binding before C++20 in clang 14
            const auto text_of = [&fields](const char* name) {
                const auto it = fields.find(name);
                return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
            };
            if (const std::string auth = text_of("auth"); !auth.empty()) {
                std::string decoded;
                if (!base64_decode(auth, decoded)) {
                    return input_error("auths entry \"" + key + "\": \"auth\" is not base64", where);
                }
                while (!decoded.empty() && decoded.back() == '\0') {
                    decoded.pop_back();
                }
                const auto colon = decoded.find(':');
                if (colon == std::string::npos) {
                    return input_error("auths entry \"" + key + "\": \"auth\" is not user:password", where);
                }
                c.username = decoded.substr(0, colon);
                c.password = decoded.substr(colon + 1);
            } else {
                c.username = text_of("username");
                c.password = text_of("password");
            }
            c.identity_token = text_of("identitytoken");
            c.registry_token = text_of("registrytoken");
            config.auths[normalize_config_key(key)] = std::move(c);
        }
    }
    if (const auto helpers = doc.find("credHelpers"); helpers != doc.end()) {
        if (!helpers->is_object()) {
            return input_error("\"credHelpers\" is not an object", where);
        }
        for (const auto& [key, name] : helpers->items()) {
            if (!name.is_string()) {
                return input_error("credHelpers entry \"" + key + "\" is not a string", where);
            }
            config.cred_helpers[normalize_config_key(key)] = name.get<std::string>();
        }
    }
    if (const auto store = doc.find("credsStore"); store != doc.end() && store->is_string()) {
        config.creds_store = store->get<std::string>();
    }
    return config;
}

namespace {

constexpr std::size_t k_helper_output_limit = 64U * 1024U;

/// How long a credential helper may take: 30 s, or IMAGE_SECURE_HELPER_TIMEOUT seconds.
std::chrono::milliseconds helper_timeout() {
    if (const char* text = std::getenv("IMAGE_SECURE_HELPER_TIMEOUT"); text != nullptr && *text != '\0') {
        char* end = nullptr;
        const double seconds = std::strtod(text, &end);
        if (end != nullptr && *end == '\0' && seconds > 0 && seconds < 86400) {
            return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
        }
    }
    return std::chrono::seconds(30);
}

} // namespace

Result<std::optional<Credential>> run_credential_helper(const std::string& program, const std::string& server) {
    PipeFds in;
    PipeFds out;
    if (::pipe2(in.fd, O_CLOEXEC) != 0 || ::pipe2(out.fd, O_CLOEXEC) != 0) {
        return input_error(std::string("cannot create a pipe: ") + std::strerror(errno), program);
    }
    SpawnActions actions;
    posix_spawn_file_actions_adddup2(&actions.actions, in.fd[0], 0);
    posix_spawn_file_actions_adddup2(&actions.actions, out.fd[1], 1);
    posix_spawn_file_actions_addopen(&actions.actions, 2, "/dev/null", O_WRONLY, 0);
    std::string arg0 = program;
    std::string arg1 = "get";
    char* argv[] = {arg0.data(), arg1.data(), nullptr};
    pid_t pid = 0;
    if (const int rc = posix_spawnp(&pid, program.c_str(), &actions.actions, nullptr, argv, environ); rc != 0) {
        return input_error("cannot run credential helper: " + std::string(std::strerror(rc)), program);
    }
    in.close_end(0);
    out.close_end(1);
    // A helper that exits without reading its input must not kill us with SIGPIPE: the signal
    // is blocked for this write and a pending one is taken back (EPIPE is then just a failure).
    sigset_t pipe_signal;
    sigset_t old_mask;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, &old_mask);
    std::size_t written = 0;
    bool broken_pipe = false;
    while (written < server.size()) {
        const ssize_t n = ::write(in.fd[1], server.data() + written, server.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            broken_pipe = n < 0 && errno == EPIPE;
            break;
        }
        written += static_cast<std::size_t>(n);
    }
    if (broken_pipe) {
        const timespec now{0, 0};
        while (sigtimedwait(&pipe_signal, nullptr, &now) == SIGPIPE) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    in.close_end(1);
    // The helper's answer is read with a deadline and a size limit: a helper that hangs
    // (waiting for a keychain prompt, say) or floods must not hang or exhaust the plugin.
    std::string output;
    char buffer[4096];
    const auto deadline = std::chrono::steady_clock::now() + helper_timeout();
    bool timed_out = false;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd pfd{out.fd[0], POLLIN, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready == 0) {
            timed_out = true;
            break;
        }
        const ssize_t n = ::read(out.fd[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        output.append(buffer, static_cast<std::size_t>(n));
        if (output.size() > k_helper_output_limit) {
            timed_out = false;
            ::kill(pid, SIGKILL);
            int ignored = 0;
            while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
            }
            return input_error("credential helper answered more than 64 KiB for " + server, program);
        }
    }
    if (timed_out) {
        ::kill(pid, SIGKILL);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        return input_error(
            "credential helper did not answer within "
                + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(helper_timeout()).count()) + " s for "
                + server + " (IMAGE_SECURE_HELPER_TIMEOUT sets the limit in seconds)",
            program);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (output.find("credentials not found") != std::string::npos) {
            return std::optional<Credential>{};
        }
        // Its output is never shown: a helper may print the secret itself in a failure.
        return input_error("credential helper failed for " + server + " ("
                               + (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                                    : std::string("killed by a signal"))
                               + "; run it by hand: echo " + server + " | " + program + " get)",
                           program);
    }
    const json doc = json::parse(output, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return input_error("credential helper answered something that is not JSON", program);
    }
    Credential c;
    c.source = "credential helper " + program;
    const auto username = doc.value("Username", std::string());
    const auto secret = doc.value("Secret", std::string());
    if (username == "<token>") {
        c.identity_token = secret;
    } else {
        c.username = username;
        c.password = secret;
    }
    if (c.empty()) {
        return std::optional<Credential>{};
    }
    return std::optional<Credential>(std::move(c));
}

Result<std::optional<Credential>>
lookup_docker_config(const DockerConfig& config, std::string_view host, const HelperRunner& runner) {
    const std::string key = normalize_config_key(host);
    if (const auto helper = config.cred_helpers.find(key); helper != config.cred_helpers.end()) {
        return runner("docker-credential-" + helper->second, helper_server_for(key));
    }
    if (const auto entry = config.auths.find(key); entry != config.auths.end() && !entry->second.empty()) {
        return std::optional<Credential>(entry->second);
    }
    if (!config.creds_store.empty()) {
        return runner("docker-credential-" + config.creds_store, helper_server_for(key));
    }
    return std::optional<Credential>{};
}

std::string docker_config_path(const std::string& explicit_path) {
    namespace fs = std::filesystem;
    if (!explicit_path.empty()) {
        std::error_code ec;
        return fs::is_directory(explicit_path, ec) ? (fs::path(explicit_path) / "config.json").string() : explicit_path;
    }
    if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0') {
        return (fs::path(dir) / "config.json").string();
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        const auto path = fs::path(home) / ".docker" / "config.json";
        std::error_code ec;
        if (fs::exists(path, ec)) {
            return path.string();
        }
    }
    return {};
}

} // namespace image_secure
