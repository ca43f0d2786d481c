#include "cli/app.hpp"

#include "cli/exit_codes.hpp"
#include "cli/pflag.hpp"

#include <image_secure/base/io.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/http/transport.hpp>
#include <image_secure/version.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string_view>
#include <unistd.h>

namespace image_secure::cli {

namespace {

constexpr const char* k_description =
    "kubectl image-secure: move workloads onto a private registry and keep them there.\n"
    "Builds kubectl-identical docker-registry Secrets and onboards namespaces, rewrites manifest\n"
    "images without touching any other byte (also as a KRM function and Helm post-renderer),\n"
    "validates manifests offline and prints the same rules as Kubernetes admission policies, audits\n"
    "what images hold, checks credentials, resolves digests and mirrors images with the OCI\n"
    "distribution API, and parses image references the way kubelet does.\n\n"
    "Examples:\n"
    "  kubectl image-secure images -f deploy/ -R --registry r.example.com/mirror\n"
    "  kubectl image-secure mirror -f deploy/ -R --registry r.example.com/mirror\n"
    "  kubectl image-secure rewrite -f deploy/ -R --registry r.example.com/mirror --pull-secret regcred --in-place\n"
    "  kubectl image-secure validate -f deploy/ -R --allowed-registry r.example.com\n"
    "  kubectl image-secure admission --allowed-registry r.example.com | kubectl apply -f -";

/// No line we print to stderr is longer than this (a 100 MB image value stays a short line).
constexpr std::size_t k_line_cap = 4096;

int finish(const Result<CommandOutput>& result, Io& io) {
    if (!result) {
        io.err << "error: " << printable(result.error().message(), k_line_cap) << '\n';
        return exit_code_for(result.error().kind);
    }
    if (!result->files.empty()) {
        if (auto written = replace_files(result->files); !written) {
            io.err << printable_lines(result->warnings, k_line_cap);
            io.err << "error: " << printable(written.error().message(), k_line_cap) << '\n';
            return exit_code_for(written.error().kind);
        }
    }
    io.err << printable_lines(result->warnings + result->done_note, k_line_cap);
    io.out << result->out;
    io.out.flush();
    return result->exit_code;
}

} // namespace

void add_color_flag(CLI::App& cmd, std::string& mode) {
    optional_value(cmd.add_option("--color", mode, "Colour the output: auto (a terminal), always or never")
                       ->check(CLI::IsMember({"auto", "always", "never"})),
                   "always");
}

bool use_color(const std::string& mode, int fd) {
    if (mode == "always") {
        return true;
    }
    if (mode == "never") {
        return false;
    }
    const char* no_color = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    return ::isatty(fd) == 1 && (no_color == nullptr || *no_color == '\0')
           && !(term != nullptr && std::string_view(term) == "dumb");
}

void build_app(CLI::App& app, Action& action) {
    app.set_version_flag("--version", std::string("kubectl-image_secure ") + k_version);
    app.require_subcommand(1);
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.footer("Exit codes: 0 ok, 1 findings or invalid references, 2 usage or input error, "
               "3 network error.");
    add_ref_command(app, action);
    add_secret_command(app, action);
    add_rewrite_command(app, action);
    add_images_command(app, action);
    add_validate_command(app, action);
    add_audit_command(app, action);
    add_admission_command(app, action);
    add_registry_command(app, action);
    add_mirror_command(app, action);
    add_onboard_command(app, action);
    add_krm_command(app, action);
}

namespace {

/// kubectl's cluster flags: image-secure never talks to a cluster, so silently ignoring
/// one would mislead. Returns the flag found before "--", or "".
std::string cluster_flag(int argc, const char* const* argv) {
    static constexpr std::string_view k_flags[] = {"--kubeconfig",
                                                   "--context",
                                                   "--cluster",
                                                   "--user",
                                                   "--token",
                                                   "--server",
                                                   "-s",
                                                   "--as",
                                                   "--as-group",
                                                   "--as-uid",
                                                   "--certificate-authority",
                                                   "--client-certificate",
                                                   "--client-key",
                                                   "--tls-server-name",
                                                   "--request-timeout",
                                                   "-A",
                                                   "--all-namespaces"};
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") {
            break;
        }
        const std::string_view name = arg.substr(0, arg.find('='));
        for (const auto flag : k_flags) {
            if (name == flag) {
                return std::string(flag);
            }
        }
    }
    return {};
}

bool wants_version(int argc, const char* const* argv) {
    if (argc >= 2 && std::string_view(argv[1]) == "version") {
        return true; // `kubectl image-secure version`, as `kubectl version`
    }
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") {
            return false;
        }
        if (arg == "--version") {
            return true;
        }
    }
    return false;
}

bool wants_json(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const std::string_view next = i + 1 < argc ? std::string_view(argv[i + 1]) : std::string_view();
        if (arg == "-ojson" || arg == "-o=json" || arg == "--output=json"
            || ((arg == "-o" || arg == "--output") && next == "json")) {
            return true;
        }
    }
    return false;
}

} // namespace

int run(int argc, const char* const* argv, Io& io) {
    try {
        if (wants_version(argc, argv)) { // on every level, like kubectl
            if (wants_json(argc, argv)) {
                io.out << "{\n  \"name\": \"kubectl-image_secure\",\n  \"version\": \"" << k_version << "\"\n}\n";
            } else {
                io.out << "kubectl-image_secure " << k_version << '\n';
            }
            return 0;
        }
        if (const std::string flag = cluster_flag(argc, argv); !flag.empty()) {
            io.err << "error: " << flag << " is a cluster flag: kubectl image-secure never talks to a cluster; it "
                   << "reads manifests from files and stdin (e.g. kubectl get deploy -o yaml | kubectl image-secure "
                   << "rewrite -f - ...) (" << flag << ")\n";
            return k_exit_usage;
        }
        CLI::App app{k_description, "kubectl image-secure"};
        Action action;
        build_app(app, action);
        literal_values(app);
        std::vector<std::string> given(argv + std::min(argc, 1), argv + argc);
        // kubectl's habits: `help CMD...` is `CMD... --help`; `version` is `--version`.
        if (!given.empty() && given.front() == "help") {
            given.erase(given.begin());
            given.emplace_back("--help");
        }
        std::string command;
        auto args = normalize_argv(app, given, &command);
        if (!args) {
            io.err << "error: " << printable(args.error().message(), k_line_cap) << '\n';
            return k_exit_usage;
        }
        std::reverse(args->begin(), args->end()); // CLI11 reads a reversed vector
        try {
            app.parse(*args);
        } catch (const CLI::ParseError& e) {
            if (e.get_exit_code() == 0) {
                return app.exit(e, io.out, io.err);
            }
            io.err << "error: " << printable(e.what(), k_line_cap) << " (see '" << command << " --help')\n";
            return k_exit_usage;
        }
        if (!action) {
            io.err << "error: no command given (see 'kubectl image-secure --help')\n";
            return k_exit_usage;
        }
        return finish(action(io), io);
    } catch (const std::exception& e) {
        io.err << "error: internal error: " << e.what() << " (kubectl-image_secure)\n";
        return k_exit_usage;
    }
}

} // namespace image_secure::cli
