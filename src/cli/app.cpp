#include "cli/app.hpp"

#include "cli/exit_codes.hpp"

#include <image_secure/io.hpp>
#include <image_secure/version.hpp>

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

namespace image_secure::cli {

namespace {

constexpr const char* k_description =
    "kubectl image-secure: move workloads onto a private registry and keep them there.\n"
    "Builds kubectl-identical docker-registry Secrets, rewrites manifest images without\n"
    "touching any other byte, validates manifests offline, and parses image references the\n"
    "way kubelet does.";

int finish(const Result<CommandOutput>& result, Io& io)
{
    if (!result) {
        io.err << "error: " << result.error().message() << '\n';
        return exit_code_for(result.error().kind);
    }
    for (const auto& [path, bytes] : result->files) {
        if (auto written = write_atomically(path, bytes); !written) {
            io.err << result->warnings;
            io.err << "error: " << written.error().message() << '\n';
            return exit_code_for(written.error().kind);
        }
    }
    io.err << result->warnings;
    io.out << result->out;
    io.out.flush();
    return result->exit_code;
}

} // namespace

int run(int argc, const char* const* argv, Io& io)
{
    try {
        CLI::App app{k_description, "kubectl image-secure"};
        app.set_version_flag("--version", std::string("kubectl-image_secure ") + k_version);
        app.require_subcommand(1);
        app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        app.footer("Exit codes: 0 ok, 1 findings or invalid references, 2 usage or input error, "
                   "3 network error.");
        Action action;
        add_ref_command(app, action);
        add_secret_command(app, action);
        add_rewrite_command(app, action);
        add_images_command(app, action);
        add_validate_command(app, action);
        add_registry_command(app, action);
        add_mirror_command(app, action);
        add_onboard_command(app, action);
        try {
            app.parse(argc, argv);
        } catch (const CLI::ParseError& e) {
            if (e.get_exit_code() == 0) {
                return app.exit(e, io.out, io.err);
            }
            io.err << "error: " << e.what() << " (see 'kubectl image-secure --help')\n";
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
