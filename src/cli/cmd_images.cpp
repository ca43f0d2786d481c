#include "cli/app.hpp"

#include <CLI/CLI.hpp>

namespace image_secure::cli {

void add_images_command(CLI::App& /*app*/, Action& /*action*/) {}

} // namespace image_secure::cli
