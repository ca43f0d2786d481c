#include "cli/app.hpp"
#include "cli/audit_flags.hpp"
#include "cli/exit_codes.hpp"
#include "cli/manifest_flags.hpp"
#include "cli/policy_flags.hpp"

#include <image_secure/audit/report.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/config/policy_file.hpp>
#include <image_secure/findings/report.hpp>
#include <image_secure/validate/validate.hpp>
#include <image_secure/version.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <unistd.h>

namespace image_secure::cli {

namespace {

struct ValidateOptions {
    std::vector<std::string> files;
    bool recursive = false;
    std::string policy_file;
    std::vector<std::string> allowed_registries;
    std::string output = "text";
    std::string fail_on = "info";
    unsigned jobs = 0;
    std::string color = "auto";
    std::string kubernetes_version;
    bool online = false;
    AuditFlags audit; ///< --online: how images are audited
};

/// validate --online: every image of the bundle audited; findings at the image: lines.
Result<std::vector<Finding>> online_findings(const ValidateOptions& opts,
                                             const std::vector<ScannedInput>& inputs,
                                             const Policy& policy,
                                             std::vector<Finding>& findings,
                                             CommandOutput& result,
                                             Io& io) {
    std::vector<ScannedFile> files;
    for (const auto& input : inputs) {
        files.push_back({input.file.path, &input.manifest});
    }
    auto targets = audit::targets_from_manifests(files, true);
    if (!targets) {
        return targets.error();
    }
    std::vector<Finding> added;
    if (targets->empty()) {
        return added;
    }
    auto results = audit_targets(*targets, opts.audit, policy, io);
    if (!results) {
        return results.error();
    }
    std::vector<audit::AuditedImage> images;
    for (auto& r : *results) {
        if (r.error) {
            result.warnings += "error: " + r.error->message() + "\n";
            result.exit_code = k_exit_network;
            continue;
        }
        images.push_back(std::move(*r.image));
    }
    audit::replace_name_based(findings, images);
    added = audit::as_findings(images);
    return added;
}

/// validate's rules and audit's, for reports of an online run.
const Catalogue& online_catalogue() {
    static const Catalogue catalogue = [] {
        Catalogue c = validate_catalogue();
        const auto& more = audit_catalogue().rules;
        c.rules.insert(c.rules.end(), more.begin(), more.end());
        return c;
    }();
    return catalogue;
}

/// No Kubernetes object at all: kubectl says "no objects passed"; so do we, with a hint.
Error nothing_found(const ValidateOptions& opts) {
    namespace fs = std::filesystem;
    std::string where;
    std::string hint;
    for (const auto& path : opts.files) {
        where += (where.empty() ? "" : ", ") + (path == "-" ? std::string("standard input") : path);
        std::error_code ec;
        if (!opts.recursive && fs::is_directory(path, ec)) {
            for (const auto& entry : fs::directory_iterator(path, ec)) {
                if (entry.is_directory(ec)) {
                    hint = " (directories are read one level deep: add -R to read their subdirectories)";
                    break;
                }
            }
        }
    }
    return input_error("no Kubernetes objects found in " + where + hint);
}

Result<CommandOutput> run_validate(const ValidateOptions& opts, Io& io) {
    auto policy = load_policy(opts.policy_file, opts.allowed_registries, opts.kubernetes_version);
    if (!policy) {
        return policy.error();
    }
    const Severity threshold = *parse_severity(opts.fail_on);
    ManifestFlags flags;
    flags.files = opts.files;
    flags.recursive = opts.recursive;
    ScanOptions scan;
    scan.threads = opts.jobs;
    scan.skip_irrelevant = false; // every document is checked, syntax included
    scan.collect_errors = true;   // a syntax error is a finding (IS001), not exit 2
    scan.validation_facts = true;
    auto inputs = read_and_scan(flags, scan, io);
    if (!inputs) {
        return inputs.error();
    }
    std::vector<BundleFile> bundle;
    std::vector<std::pair<std::string, std::string>> objects;
    std::size_t syntax_errors = 0;
    std::size_t images = 0;
    for (const auto& input : *inputs) {
        const std::string& name = input.file.path; // as given on the command line ("-" for stdin)
        bundle.push_back({name, &input.manifest});
        for (const auto& obj : input.manifest.objects) {
            if (!obj.kind.empty() && !obj.is_list) {
                objects.emplace_back(name, obj.display());
            }
        }
        syntax_errors += input.manifest.errors.size();
        images += input.manifest.images.size();
    }
    if (objects.empty() && syntax_errors == 0) {
        return nothing_found(opts);
    }
    auto findings = validate_bundle(bundle, *policy);
    CommandOutput result;
    if (opts.online) {
        auto added = online_findings(opts, *inputs, *policy, findings, result, io);
        if (!added) {
            return added.error();
        }
        findings.insert(findings.end(), added->begin(), added->end());
    }
    const Catalogue& catalogue = opts.online ? online_catalogue() : validate_catalogue();
    if (opts.output == "json") {
        result.out = render_json(findings);
    } else if (opts.output == "sarif") {
        std::error_code ec;
        result.out = render_sarif(findings, catalogue, k_version, std::filesystem::current_path(ec).string());
    } else if (opts.output == "junit") {
        result.out = render_junit(findings, catalogue, objects);
    } else {
        result.out = render_text(findings, use_color(opts.color, STDOUT_FILENO));
    }
    std::size_t counts[3] = {0, 0, 0};
    std::size_t suppressed = 0;
    for (const auto& f : findings) {
        if (f.suppressed) {
            ++suppressed;
            continue;
        }
        ++counts[static_cast<int>(f.severity)];
        if (f.severity >= threshold && result.exit_code == 0) {
            result.exit_code = k_exit_findings;
        }
    }
    const auto sev = [&counts](Severity s) { return counts[static_cast<int>(s)]; };
    result.done_note =
        "validated " + plural(objects.size(), "object", "objects") + " in " + plural(inputs->size(), "file", "files")
        + " (" + plural(images, "image", "images") + "): " + plural(sev(Severity::error), "error", "errors") + ", "
        + plural(sev(Severity::warning), "warning", "warnings") + ", " + std::to_string(sev(Severity::info)) + " info"
        + (suppressed > 0 ? ", " + std::to_string(suppressed) + " suppressed" : "") + "\n";
    return result;
}

} // namespace

void add_validate_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<ValidateOptions>();
    auto* cmd = app.add_subcommand("validate", "Check manifests against image-security practice, offline");
    cmd->add_option("-f,--filename", opts->files, "Manifest file, directory, or - for stdin (repeatable)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_flag("-R,--recursive", opts->recursive, "Read directories recursively");
    cmd->add_option("--policy", opts->policy_file, "Policy file (YAML): enable/disable, severity, registries, ...");
    cmd->add_option("--allowed-registry", opts->allowed_registries, "Allowed registry HOST[:PORT][/PATH] (repeatable)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("-o,--output", opts->output, "Output format")
        ->check(CLI::IsMember({"text", "json", "sarif", "junit"}));
    cmd->add_option("--fail-on", opts->fail_on, "Lowest severity that makes the exit code 1 (default info)")
        ->check(CLI::IsMember({"error", "warning", "info"}));
    cmd->add_option("-j,--jobs", opts->jobs, "Threads for scanning (default: all cores)");
    add_color_flag(*cmd, opts->color);
    cmd->add_flag("--online",
                  opts->online,
                  "Also audit every image from the registry (IS101-IS114 at the image: lines; IS110 and IS112 "
                  "replace IS010 and IS011 where the image gives evidence)");
    add_audit_flags(*cmd, opts->audit);
    cmd->add_option("--kubernetes-version",
                    opts->kubernetes_version,
                    "The cluster's version (1.N): from 1.35 a missing pull secret (IS008) is an error");
    cmd->footer("Rules: IS001 yaml-syntax, IS002 missing-required-field, IS003 invalid-image-reference,\n"
                "IS004 image-tag-latest, IS005 image-not-pinned (off by default), IS006 registry-not-allowed,\n"
                "IS007 dockerhub-not-official, IS008 missing-pull-secret, IS009 pull-secret-mismatch,\n"
                "IS010 heavy-base-image, IS011 state-in-container, IS012 credentials-in-manifest,\n"
                "IS013 unknown-field, IS014 pull-policy, IS015 image-outside-image-field (info). All files of one\n"
                "run form the bundle whose Secrets and\n"
                "ServiceAccounts count for IS008/IS009. Suppress per object with the annotation\n"
                "  image-secure.dev/ignore: \"IS004,IS007: reason\"   (reported as suppressed in JSON and SARIF)\n"
                "Exit 1 when an unsuppressed finding is at or above --fail-on, else 0; a YAML syntax error is a\n"
                "finding (IS001), not an error.\n"
                "--online (with the registry flags of `audit`) reads every image's manifest, config and layers and\n"
                "adds audit's IS101-IS114 at each image: line; --online --metadata-only reads no layer (IS108,\n"
                "IS112, IS113, IS114). Exit 3 when an image cannot be read.\n\n"
                "Examples:\n"
                "  kubectl image-secure validate -f k8s/ -R --allowed-registry registry.example.com\n"
                "  kubectl image-secure validate -f app.yaml --policy policy.yaml -o sarif > results.sarif\n"
                "  helm template ./chart | kubectl image-secure validate -f - --fail-on error\n"
                "  kubectl image-secure validate -f k8s/ -R --online -o sarif > results.sarif");
    cmd->callback([opts, &action] { action = [opts](Io& io) { return run_validate(*opts, io); }; });
}

} // namespace image_secure::cli
