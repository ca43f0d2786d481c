#include "cli/app.hpp"
#include "cli/manifest_flags.hpp"
#include "cli/pflag.hpp"
#include "cli/registry_flags.hpp"

#include <image_secure/registry/image_walk.hpp>
#include <image_secure/registry/registry.hpp>
#include <image_secure/rewrite/images.hpp>
#include <image_secure/rewrite/rewrite.hpp>

#include <CLI/CLI.hpp>

#include <memory>

namespace image_secure::cli {

namespace {

struct RewriteOptions {
    ManifestFlags flags;
    bool in_place = false;
    bool diff = false;
    bool pin = false;
    std::string dry_run;
    RegistryFlags registry;
};

/// `--pin`: the digest of every target (and of every image already on a target host),
/// resolved in the target registry. A missing image is an error that names it.
Result<std::map<std::string, std::string>> resolve_pins(const std::vector<ScannedInput>& inputs,
                                                        const LoadedMapping& mapping,
                                                        const RegistryFlags& flags,
                                                        Io& io) {
    auto images = collect_images(scanned_files(inputs), &mapping.config);
    if (!images) {
        return images.error();
    }
    std::vector<Reference> wanted;
    std::vector<std::string> hosts;
    for (const auto& image : *images) {
        const std::string* text = image.outcome == ImageOutcome::rewrite           ? &image.target
                                  : image.outcome == ImageOutcome::already_private ? &image.image
                                                                                   : nullptr;
        if (text == nullptr) {
            continue;
        }
        auto ref = parse_reference(*text);
        if (!ref) {
            continue;
        }
        // Already pinned targets are checked too (HEAD by digest): the target registry must
        // hold exactly what the rewritten manifest will ask for.
        wanted.push_back(*ref);
        if (std::find(hosts.begin(), hosts.end(), ref->domain) == hosts.end()) {
            hosts.push_back(ref->domain);
        }
    }
    std::map<std::string, std::string> pins;
    if (wanted.empty()) {
        return pins;
    }
    auto options = make_registry_options(flags, io, hosts);
    if (!options) {
        return options.error();
    }
    RegistryClient client(std::move(*options));
    std::vector<ImageLocator> locators;
    for (const auto& ref : wanted) {
        locators.push_back(ImageLocator::from(ref));
    }
    auto heads = walk_images(client, locators, WalkOptions{}); // HEAD: digests, no pulls counted
    std::vector<std::string> missing;
    for (std::size_t i = 0; i < heads.size(); ++i) {
        if (heads[i]) {
            if (wanted[i].digest.empty()) {
                pins[wanted[i].normalized()] = heads[i]->head.digest;
            }
        } else if (heads[i].error().kind == ErrorKind::not_found) {
            missing.push_back(wanted[i].normalized());
        } else {
            return heads[i].error();
        }
    }
    if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) {
            list += (list.empty() ? "" : ", ") + m;
        }
        return network_error(std::to_string(missing.size()) + (missing.size() == 1 ? " image is" : " images are")
                                 + " not in the target registry: " + list
                                 + " (copy them first: kubectl image-secure mirror with the same flags)",
                             "--pin");
    }
    return pins;
}

Result<CommandOutput> run_rewrite(const RewriteOptions& opts, Io& io) {
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
    std::map<std::string, std::string> pins;
    if (opts.pin) {
        if (!mapping->has_target) {
            return usage_error("--pin needs a target: give --registry or --rules", "--pin");
        }
        if (opts.registry.password_stdin
            && std::find(opts.flags.files.begin(), opts.flags.files.end(), "-") != opts.flags.files.end()) {
            return usage_error("--password-stdin and -f - both want standard input; use --password-file",
                               "--password-stdin");
        }
        auto resolved = resolve_pins(*inputs, *mapping, opts.registry, io);
        if (!resolved) {
            return resolved.error();
        }
        pins = std::move(*resolved);
        mapping->config.pins = &pins;
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
        for (const auto& w : mention_warnings({{input.file.display, &input.manifest}}, &mapping->config)) {
            result.warnings += "warning: " + w + "\n";
        }
        rewritten += plan->images_rewritten;
        secrets += plan->pull_secrets_added;
        if (opts.diff) {
            result.out += unified_diff(input.file.display, input.file.bytes, plan->edits);
            if (!plan->edits.empty()) {
                result.exit_code = 1; // like `kubectl diff` and `git diff --exit-code`
            }
        } else if (opts.in_place) {
            if (!plan->edits.empty()) {
                result.files.push_back({input.file.path, apply_edits(input.file.bytes, plan->edits), input.file.bytes});
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
        result.done_note = "rewrote " + std::to_string(rewritten) + " image(s), added " + std::to_string(secrets)
                           + " pull secret(s) in " + std::to_string(result.files.size()) + " file(s)\n";
    }
    return result;
}

} // namespace

void add_rewrite_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<RewriteOptions>();
    auto* cmd = app.add_subcommand("rewrite", "Point every image at the private registry; add imagePullSecrets");
    add_manifest_flags(*cmd, opts->flags, true);
    cmd->add_flag("--in-place", opts->in_place, "Replace changed files atomically (all inputs are checked first)");
    cmd->add_flag("--diff", opts->diff, "Print a unified diff; write nothing; exit 1 when there are changes");
    optional_value(cmd->add_option("--dry-run",
                                   opts->dry_run,
                                   "Accepted like kubectl's --dry-run=client: rewrite never writes to a cluster "
                                   "(nothing changes)")
                       ->check(CLI::IsMember({"client"})),
                   "client");
    cmd->add_flag("--pin",
                  opts->pin,
                  "Resolve each target in the target registry and write repo:tag@sha256:... "
                  "(a missing image is an error: mirror it first)");
    add_registry_flags(*cmd, opts->registry, k_all_registry_flags);
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
        "  kubectl image-secure rewrite -f k8s/ -R --registry r.example.com --in-place\n"
        "  kubectl image-secure rewrite -f app.yaml --registry r.example.com --pin --docker-config ~/.docker");
    cmd->callback([opts, &action] { action = [opts](Io& io) { return run_rewrite(*opts, io); }; });
}

} // namespace image_secure::cli
