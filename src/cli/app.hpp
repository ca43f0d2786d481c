#pragma once

#include <image_secure/base/io.hpp>
#include <image_secure/base/result.hpp>

#include <functional>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
} // namespace CLI

namespace image_secure::cli {

/// The streams a command may use; tests pass string streams.
struct Io {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
};

/// Everything a command produces. Nothing is written until the command has succeeded.
struct CommandOutput {
    std::string out;                    ///< stdout bytes
    std::string warnings;               ///< stderr lines ("warning: …\n")
    std::vector<FileReplacement> files; ///< replaced all together, or none
    std::string done_note;              ///< a stderr line said only once the files are written
    int exit_code = 0;                  ///< 0, or 1 for findings / invalid input
};

/// `--color=auto|always|never` (bare: always), as git and ls have it.
void add_color_flag(CLI::App& cmd, std::string& mode);

/// Colour on `fd`? always/never as said; auto: a terminal, NO_COLOR unset or empty
/// (no-color.org), and TERM not "dumb".
[[nodiscard]] bool use_color(const std::string& mode, int fd);

/// The work a parsed subcommand will do.
using Action = std::function<Result<CommandOutput>(Io&)>;

/// Runs the CLI. Returns the process exit code (0, 1, 2 or 3; see CLI.md).
int run(int argc, const char* const* argv, Io& io);

/// Registers every subcommand on `app` (run() and completion share the one tree).
void build_app(CLI::App& app, Action& action);

/// `kubectl_complete-image_secure ARGS... PARTIAL`: Cobra's __complete protocol
/// (candidates, one per line with a TAB and a description, then ":<directive>").
int complete(const std::vector<std::string>& args, Io& io);

// One registration function per subcommand (cmd_<name>.cpp); each sets `action` when chosen.
void add_ref_command(CLI::App& app, Action& action);
void add_secret_command(CLI::App& app, Action& action);
void add_rewrite_command(CLI::App& app, Action& action);
void add_images_command(CLI::App& app, Action& action);
void add_validate_command(CLI::App& app, Action& action);
void add_audit_command(CLI::App& app, Action& action);
void add_admission_command(CLI::App& app, Action& action);
void add_registry_command(CLI::App& app, Action& action);
void add_mirror_command(CLI::App& app, Action& action);
void add_onboard_command(CLI::App& app, Action& action);
void add_krm_command(CLI::App& app, Action& action);

} // namespace image_secure::cli
