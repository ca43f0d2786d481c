#include "cli/app.hpp"
#include "cli/manifest_flags.hpp"

#include <image_secure/rewrite.hpp>

#include <CLI/CLI.hpp>

#include <memory>

namespace image_secure::cli {

namespace {

struct RewriteOptions {
    ManifestFlags flags;
    bool in_place = false;
    bool diff = false;
};

Result<CommandOutput> run_rewrite(const RewriteOptions& opts, Io& io)
{
    if (opts.in_place && opts.diff) {
        return usage_error("--in-place and --diff cannot be combined", "rewrite");
    }
    auto mapping = load_mapping(opts.flags);
    if (!mapping) {
        return mapping.error();
    }
    if (!mapping->has_target && mapping->config.pull_secrets.empty()) {
        return usage_error("nothing to do: give --registry, --rules or --pull-secret", "rewrite");
    }
    auto inputs = read_and_scan(opts.flags, mapping_scan_options(opts.flags, *mapping), io);
    if (!inputs) {
        return inputs.error();
    }
    CommandOutput result;
    RewriteState state;
    std::size_t rewritten = 0;
    std::size_t secrets = 0;
    for (const auto& input : *inputs) {
        if (opts.in_place && input.file.path == "-") {
            return usage_error("--in-place cannot write to standard input", "-f -");
        }
        auto plan = plan_rewrite(input.file.bytes, input.file.display, input.manifest, mapping->config, state);
        if (!plan) {
            return plan.error();
        }
        for (const auto& w : plan->warnings) {
            result.warnings += "warning: " + w + "\n";
        }
        rewritten += plan->images_rewritten;
        secrets += plan->pull_secrets_added;
        if (opts.diff) {
            result.out += unified_diff(input.file.display, input.file.bytes, plan->edits);
        } else if (opts.in_place) {
            if (!plan->edits.empty()) {
                result.files.emplace_back(input.file.path, apply_edits(input.file.bytes, plan->edits));
            }
        } else {
            std::string text = apply_edits(input.file.bytes, plan->edits);
            if (result.out.empty()) {
                result.out = std::move(text);
                continue;
            }
            {
                if (result.out.back() != '\n') {
                    result.out += '\n';
                }
                if (text.rfind("---", 0) != 0) {
                    result.out += "---\n";
                }
            }
            result.out += text;
        }
    }
    if (opts.in_place) {
        result.warnings += "rewrote " + std::to_string(rewritten) + " image(s), added " + std::to_string(secrets)
                           + " pull secret(s) in " + std::to_string(result.files.size()) + " file(s)\n";
    }
    return result;
}

} // namespace

void add_rewrite_command(CLI::App& app, Action& action)
{
    auto opts = std::make_shared<RewriteOptions>();
    auto* cmd = app.add_subcommand("rewrite", "Point every image at the private registry; add imagePullSecrets");
    add_manifest_flags(*cmd, opts->flags, true);
    cmd->add_flag("--in-place", opts->in_place, "Replace changed files atomically (all inputs are checked first)");
    cmd->add_flag("--diff", opts->diff, "Print a unified diff; write nothing");
    cmd->footer(
        "Only image values and inserted imagePullSecrets entries change: comments, key order, quoting,\n"
        "blank lines and document markers survive byte for byte. Rewriting twice equals rewriting once.\n"
        "Path modes for --registry r.example.com/apps and quay.io/prometheus/node-exporter:v1.8.2:\n"
        "  keep (default) r.example.com/apps/prometheus/node-exporter:v1.8.2\n"
        "  flatten        r.example.com/apps/node-exporter:v1.8.2\n"
        "  host           r.example.com/apps/quay.io/prometheus/node-exporter:v1.8.2\n"
        "Several files on stdout are joined with '---' lines.\n\n"
        "Examples:\n"
        "  kubectl image-secure rewrite -f deploy/ -R --registry registry.example.com/mirror --pull-secret regcred\n"
        "  kubectl image-secure rewrite -f app.yaml --rules rules.yaml --diff\n"
        "  helm template app ./chart | kubectl image-secure rewrite -f - --registry r.example.com\n"
        "  kubectl image-secure rewrite -f k8s/ -R --registry r.example.com --in-place");
    cmd->callback([opts, &action] { action = [opts](Io& io) { return run_rewrite(*opts, io); }; });
}

} // namespace image_secure::cli
