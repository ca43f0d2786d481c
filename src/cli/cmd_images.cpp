#include "cli/app.hpp"
#include "cli/manifest_flags.hpp"

#include <image_secure/rewrite/images.hpp>

#include <CLI/CLI.hpp>

#include <memory>

namespace image_secure::cli {

namespace {

struct ImagesOptions {
    ManifestFlags flags;
    std::string output = "text";
    bool all = false;
};

Result<CommandOutput> run_images(const ImagesOptions& opts, Io& io) {
    auto mapping = load_mapping(opts.flags);
    if (!mapping) {
        return mapping.error();
    }
    auto inputs = read_and_scan(opts.flags, mapping_scan_options(opts.flags, *mapping), io);
    if (!inputs) {
        return inputs.error();
    }
    const auto files = scanned_files(*inputs);
    const bool with_targets = mapping->has_target;
    auto images = collect_images(files, with_targets ? &mapping->config : nullptr, opts.all);
    if (!images) {
        return images.error();
    }
    CommandOutput result;
    if (!opts.all) {
        for (const auto& w : mention_warnings(files, with_targets ? &mapping->config : nullptr)) {
            result.warnings += "warning: " + w + " (images --all lists it)\n";
        }
    }
    result.out =
        opts.output == "json" ? render_images_json(*images, with_targets) : render_images_text(*images, with_targets);
    return result;
}

} // namespace

void add_images_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<ImagesOptions>();
    auto* cmd = app.add_subcommand("images", "List the unique images manifests use (and where rewrite points them)");
    add_manifest_flags(*cmd, opts->flags, false);
    cmd->add_option("-o,--output", opts->output, "Output format")->check(CLI::IsMember({"text", "json"}));
    cmd->add_flag("--all",
                  opts->all,
                  "Also list image references outside image fields (args, env values, ConfigMap data, "
                  "annotations): the workloads start them, rewrite does not move them");
    cmd->footer("Text: one normalised image per line; with --registry or --rules, a TAB and its target\n"
                "(or why it stays). JSON adds every location (file, line, column, object, container).\n\n"
                "Examples:\n"
                "  kubectl image-secure images -f deploy/ -R\n"
                "  kubectl image-secure images -f app.yaml --registry r.example.com/mirror -o json");
    cmd->callback([opts, &action] { action = [opts](Io& io) { return run_images(*opts, io); }; });
}

} // namespace image_secure::cli
