#include "cli/app.hpp"
#include "cli/manifest_flags.hpp"

#include <image_secure/base/json_records.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/bundle/bundle.hpp>
#include <image_secure/rewrite/images.hpp>

#include <CLI/CLI.hpp>

#include <memory>

namespace image_secure::cli {

namespace {

struct ImagesOptions {
    ManifestFlags flags;
    std::string output = "text";
    bool all = false;
    std::string from; ///< a bundle (oci:DIR | oci-archive:FILE) instead of manifests
};

/// What a bundle holds: each image (its ref.name), its digest and kind, how many referrers came
/// with it, and with --registry/--rules where mirror --from would push it.
Result<CommandOutput> list_bundle(const ImagesOptions& opts, const LoadedMapping& mapping) {
    auto where = bundle::parse_bundle_path(opts.from, "--from");
    if (!where) {
        return where.error();
    }
    if (!opts.flags.files.empty()) {
        return usage_error("--from lists a bundle: no -f", "--from");
    }
    auto layout = bundle::Layout::open(*where);
    if (!layout) {
        return layout.error();
    }
    std::vector<std::string> notes;
    const auto images = bundle::bundle_images(*layout, notes);
    // Every other entry is a referrer: unnamed (found by subject) or under a cosign tag.
    const std::size_t referrers = layout->entries().size() - images.size() - notes.size();
    CommandOutput out;
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const auto& image : images) {
        std::string target;
        if (mapping.has_target) {
            auto mapped = map_image(image.ref_name, mapping.config);
            if (!mapped) {
                return mapped.error();
            }
            const auto outcome = outcome_of(*mapped);
            target =
                outcome == ImageOutcome::rewrite ? mapped->target : "(" + std::string(outcome_phrase(outcome)) + ")";
        }
        const bool index = oci::is_index_type(image.descriptor.media_type);
        nlohmann::ordered_json r = {{"image", image.ref_name},
                                    {"digest", image.descriptor.digest},
                                    {"mediaType", image.descriptor.media_type},
                                    {"kind", index ? "index" : "image"}};
        if (mapping.has_target) {
            r["target"] = target;
        }
        records.push_back(std::move(r));
        out.out += printable(image.ref_name, 300) + "\t" + image.descriptor.digest + (index ? " (index)" : "")
                   + (target.empty() ? "" : "\t" + target) + "\n";
    }
    if (opts.output == "json") {
        out.out = render_json_records(records);
    }
    for (const auto& note : notes) {
        out.warnings += "note: " + note + "\n";
    }
    out.warnings += where->str() + ": " + plural(images.size(), "image", "images") + ", "
                    + plural(referrers, "referrer", "referrers") + " (signatures, attestations, SBOMs)\n";
    return out;
}

Result<CommandOutput> run_images(const ImagesOptions& opts, Io& io) {
    auto mapping = load_mapping(opts.flags);
    if (!mapping) {
        return mapping.error();
    }
    if (!opts.from.empty()) {
        return list_bundle(opts, *mapping);
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
    cmd->add_option("--from",
                    opts->from,
                    "List the images of a bundle (oci:DIR or oci-archive:FILE, as mirror --to writes) instead of "
                    "manifests: reference, digest and, with --registry or --rules, where mirror --from puts it");
    cmd->footer("Text: one normalised image per line; with --registry or --rules, a TAB and its target\n"
                "(or why it stays). JSON adds every location (file, line, column, object, container).\n\n"
                "Examples:\n"
                "  kubectl image-secure images -f deploy/ -R\n"
                "  kubectl image-secure images -f app.yaml --registry r.example.com/mirror -o json\n"
                "  kubectl image-secure images --from oci-archive:images.tar --registry r.example.com/mirror");
    cmd->callback([opts, &action] { action = [opts](Io& io) { return run_images(*opts, io); }; });
}

} // namespace image_secure::cli
