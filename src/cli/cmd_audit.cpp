#include "cli/app.hpp"
#include "cli/audit_flags.hpp"
#include "cli/exit_codes.hpp"
#include "cli/manifest_flags.hpp"
#include "cli/policy_flags.hpp"
#include "cli/progress_line.hpp"

#include <image_secure/audit/report.hpp>
#include <image_secure/base/io.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/config/policy_file.hpp>
#include <image_secure/findings/report.hpp>
#include <image_secure/reference/reference.hpp>
#include <image_secure/version.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <unistd.h>

namespace image_secure::cli {

namespace {

struct AuditCommandOptions {
    AuditFlags audit;
    std::vector<std::string> args;
    std::vector<std::string> files;
    bool recursive = false;
    std::vector<std::string> fail_on{"shell", "package-manager"};
    std::string policy_file;
    std::string output = "text";
    std::string color = "auto";
};

Result<std::vector<audit::AuditTarget>> targets_of(const AuditCommandOptions& opts, Io& io) {
    if (!opts.files.empty()) {
        if (!opts.args.empty()) {
            return usage_error("give REF arguments or -f, not both", "audit");
        }
        ManifestFlags flags;
        flags.files = opts.files;
        flags.recursive = opts.recursive;
        ScanOptions scan;
        scan.validation_facts = true; // containers: command, probes, mounts, securityContext
        auto inputs = read_and_scan(flags, scan, io);
        if (!inputs) {
            return inputs.error();
        }
        return audit::targets_from_manifests(scanned_files(*inputs));
    }
    if (opts.args.empty()) {
        return usage_error("give at least one REF, or -f MANIFESTS", "audit");
    }
    std::vector<audit::AuditTarget> out;
    for (const auto& arg : opts.args) {
        auto ref = parse_reference(arg);
        if (!ref) {
            return usage_error("invalid reference \"" + printable(arg, 200) + "\": " + ref.error().what, "audit");
        }
        out.push_back({arg, ImageLocator::from(*ref), {}});
    }
    return out;
}

Result<CommandOutput> run_audit_command(const AuditCommandOptions& opts, Io& io) {
    auto fail_on = audit::parse_fail_on(opts.fail_on);
    if (!fail_on) {
        return fail_on.error();
    }
    auto policy = load_policy(opts.policy_file);
    if (!policy) {
        return policy.error();
    }
    auto targets = targets_of(opts, io);
    if (!targets) {
        return targets.error();
    }
    if (targets->empty()) {
        return input_error("no images found in the manifests");
    }
    auto results = audit_targets(*targets, opts.audit, *policy, io);
    if (!results) {
        return results.error();
    }
    CommandOutput out;
    std::vector<audit::AuditedImage> images;
    for (auto& r : *results) {
        if (r.error) {
            out.warnings += "error: " + r.error->message() + "\n";
            out.exit_code = k_exit_network;
            continue;
        }
        images.push_back(std::move(*r.image));
    }
    const auto fails = [&](const audit::AuditFinding& f) {
        if (f.suppressed) {
            return false;
        }
        const auto& list = *fail_on;
        if (std::find(list.begin(), list.end(), "none") != list.end()) {
            return false;
        }
        return std::find(list.begin(), list.end(), "all") != list.end()
               || std::find(list.begin(), list.end(), audit::rule_category(f.rule)) != list.end();
    };
    if (out.exit_code == 0) {
        for (const auto& img : images) {
            if (std::any_of(img.findings.begin(), img.findings.end(), fails)) {
                out.exit_code = k_exit_findings;
            }
        }
    }
    if (opts.audit.quiet) {
        return out;
    }
    if (opts.output == "json") {
        out.out = audit::render_audit_json(images);
    } else if (opts.output == "sarif") {
        std::error_code ec;
        out.out = render_sarif(
            audit::as_findings(images), audit_catalogue(), k_version, std::filesystem::current_path(ec).string());
    } else {
        out.out = audit::render_audit_text(images, use_color(opts.color, STDOUT_FILENO));
    }
    return out;
}

} // namespace

void add_audit_flags(CLI::App& cmd, AuditFlags& flags) {
    cmd.add_option("--platform", flags.platform, "For multi-arch images: os/arch[/variant] (default linux/amd64)");
    cmd.add_flag("--all-platforms", flags.all_platforms, "Audit every platform of a multi-arch image");
    cmd.add_flag("--metadata-only",
                 flags.metadata_only,
                 "Manifests and configs only, no layer is downloaded (sizes, volumes, user, age)");
    cmd.add_option("--max-uncompressed",
                   flags.max_uncompressed,
                   "Stop an image whose layers decompress to more than this (default 8GiB)");
    cmd.add_flag("--no-cache", flags.no_cache, "Neither read nor write the layer cache: nothing is written to disk");
    cmd.add_option(
        "--cache-dir", flags.cache_dir, "Layer cache directory (default $XDG_CACHE_HOME/kubectl-image_secure/layers)");
    add_registry_flags(cmd, flags.registry, k_all_registry_flags);
}

Result<std::vector<audit::AuditResult>>
audit_targets(const std::vector<audit::AuditTarget>& targets, const AuditFlags& flags, const Policy& policy, Io& io) {
    audit::AuditOptions options;
    options.policy = policy;
    if (!flags.platform.empty()) {
        if (flags.all_platforms) {
            return usage_error("give --platform or --all-platforms, not both", "--platform");
        }
        auto platform = oci::parse_platform(flags.platform);
        if (!platform) {
            return usage_error(platform.error().what, "--platform");
        }
        options.platform = *platform;
    }
    options.all_platforms = flags.all_platforms;
    options.metadata_only = flags.metadata_only;
    auto limit = parse_byte_size(flags.max_uncompressed);
    if (!limit) {
        return usage_error(limit.error().what, "--max-uncompressed");
    }
    options.max_uncompressed = *limit;
    if (!flags.no_cache) {
        options.cache_dir = flags.cache_dir.empty() ? audit::default_cache_dir() : flags.cache_dir;
    } else if (!flags.cache_dir.empty()) {
        return usage_error("give --no-cache or --cache-dir, not both", "--no-cache");
    }
    std::vector<std::string> hosts;
    for (const auto& t : targets) {
        if (std::find(hosts.begin(), hosts.end(), t.locator.host) == hosts.end()) {
            hosts.push_back(t.locator.host);
        }
    }
    auto registry_options = make_registry_options_for_images(flags.registry, io, hosts, "audit");
    if (!registry_options) {
        return registry_options.error();
    }
    RegistryClient client(std::move(*registry_options));
    auto progress = ProgressLine::on_terminal(io.err, flags.quiet);
    if (progress.enabled()) {
        options.progress = [&progress](const audit::AuditProgress& p) {
            progress.show("audit: " + std::to_string(p.images_done) + "/" + std::to_string(p.images) + " images  "
                              + human_size(p.bytes) + " read",
                          p.bytes);
        };
    }
    auto results = audit::run_audit(client, targets, options);
    progress.clear();
    return results;
}

void add_audit_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<AuditCommandOptions>();
    auto* cmd = app.add_subcommand("audit",
                                   "Read image layers from the registry and report shells, package managers, setuid "
                                   "files, OS and wasted bytes");
    cmd->add_option("REF", opts->args, "Image references");
    cmd->add_option("-f,--filename", opts->files, "Audit every image these manifests use (file, directory or -)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_flag("-R,--recursive", opts->recursive, "Read directories recursively");
    cmd->add_option("--fail-on",
                    opts->fail_on,
                    "Categories that make the exit code 1 (default shell,package-manager): shell, "
                    "package-manager, network-tool, editor, compiler, setuid, package-cache, size, base, command, "
                    "volume, age, root, all, none")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--policy", opts->policy_file, "Policy file: rule switches, severities, the audit: section");
    cmd->add_option("-o,--output", opts->output, "Output format")->check(CLI::IsMember({"text", "json", "sarif"}));
    cmd->add_flag("-q,--quiet", opts->audit.quiet, "No output but errors; the exit code tells");
    add_color_flag(*cmd, opts->color);
    add_audit_flags(*cmd, opts->audit);
    cmd->footer(
        "Every layer is streamed once from the registry (decompressed, tar-walked, both digests checked) and\n"
        "nothing is written to disk but the layer cache. Findings: IS101 shell, IS102 package-manager,\n"
        "IS103 network-tool, IS104 editor, IS105 compiler, IS106 setuid-setgid, IS107 package-cache,\n"
        "IS108 image-too-large, IS109 wasted-bytes, IS110 full-distribution-base, IS113 stale-image,\n"
        "IS114 runs-as-root; with -f also IS111 shell-required-but-absent and IS112 declared-volume-not-mounted,\n"
        "each at the manifest lines that use the image.\n"
        "Exit 0: no finding in a --fail-on category; 1: findings; 2: usage or input; 3: an image could not\n"
        "be read (registry, network, digest mismatch, corrupt or truncated layer).\n\n"
        "Examples:\n"
        "  kubectl image-secure audit nginx:1.27 gcr.io/distroless/static-debian12:nonroot\n"
        "  kubectl image-secure audit -f deploy/ -R -o sarif > audit.sarif\n"
        "  kubectl image-secure audit --metadata-only -o json r.example.com/apps/web:2.1");
    cmd->callback([opts, &action] { action = [opts](Io& io) { return run_audit_command(*opts, io); }; });
}

} // namespace image_secure::cli
