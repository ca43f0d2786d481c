#include "cli/app.hpp"
#include "cli/manifest_flags.hpp"
#include "cli/policy_flags.hpp"

#include <image_secure/admission/admission.hpp>
#include <image_secure/base/text.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>

namespace image_secure::cli {

namespace {

struct AdmissionCommandOptions {
    std::string policy_file;
    std::vector<std::string> allowed_registries;
    std::string fail_on = "warning";
    std::vector<std::string> actions;
    std::vector<std::string> namespace_selectors;
    std::vector<std::string> exclude_namespaces;
    bool exclude_given = false;
    std::string kubernetes_version;
    std::string name = "image-secure";
    bool mutate = false;
    ManifestFlags mapping; ///< --registry, --path-mode, --rules, --pull-secret
};

Result<std::vector<std::string>> validation_actions(const std::vector<std::string>& given) {
    std::vector<std::string> out;
    for (const auto& item : given) {
        const std::string lower = ascii_lower(item);
        const std::string action = lower == "deny"    ? "Deny"
                                   : lower == "warn"  ? "Warn"
                                   : lower == "audit" ? "Audit"
                                                      : "";
        if (action.empty()) {
            return usage_error("--action must be deny, warn or audit, not \"" + printable(item, 40) + "\"", "--action");
        }
        if (std::find(out.begin(), out.end(), action) == out.end()) {
            out.push_back(action);
        }
    }
    if (out.empty()) {
        out.emplace_back("Deny");
    }
    const bool deny = std::find(out.begin(), out.end(), "Deny") != out.end();
    const bool warn = std::find(out.begin(), out.end(), "Warn") != out.end();
    if (deny && warn) {
        return usage_error("--action deny and warn cannot be combined (Kubernetes refuses the binding); "
                           "roll out with warn,audit, then deny,audit",
                           "--action");
    }
    return out;
}

Result<CommandOutput> run_admission(const AdmissionCommandOptions& opts) {
    AdmissionOptions o;
    auto policy = load_policy(opts.policy_file, opts.allowed_registries, opts.kubernetes_version);
    if (!policy) {
        return policy.error();
    }
    o.policy = std::move(*policy);
    o.kubernetes_minor = o.policy.kubernetes_minor != 0 ? o.policy.kubernetes_minor : k_map_min_minor;
    o.policy.kubernetes_minor = o.kubernetes_minor; // IS008's level follows the cluster
    o.fail_on = *parse_severity(opts.fail_on);
    auto actions = validation_actions(opts.actions);
    if (!actions) {
        return actions.error();
    }
    o.actions = std::move(*actions);
    for (const auto& selector : opts.namespace_selectors) {
        const auto eq = selector.find('=');
        if (eq == std::string::npos || eq == 0) {
            return usage_error("--namespace-selector must be KEY=VALUE, not \"" + selector + "\"",
                               "--namespace-selector");
        }
        o.namespace_labels.emplace_back(selector.substr(0, eq), selector.substr(eq + 1));
    }
    if (opts.exclude_given) {
        o.exclude_namespaces.clear();
        for (const auto& ns : opts.exclude_namespaces) {
            if (!ns.empty()) {
                o.exclude_namespaces.push_back(ns);
            }
        }
    }
    o.name = opts.name;
    o.source = opts.policy_file;
    o.mutate = opts.mutate;
    LoadedMapping mapping;
    const bool mapping_given = !opts.mapping.registry.empty() || !opts.mapping.rules_file.empty()
                               || !opts.mapping.path_mode.empty() || !opts.mapping.pull_secrets.empty();
    if (mapping_given && !opts.mutate) {
        return usage_error("--registry, --path-mode, --rules and --pull-secret describe the mutation: add --mutate",
                           "admission");
    }
    if (opts.mutate) {
        auto loaded = load_mapping(opts.mapping);
        if (!loaded) {
            return loaded.error();
        }
        mapping = std::move(*loaded);
        if (!mapping.has_target && mapping.config.pull_secrets.empty()) {
            return usage_error("--mutate needs a target: give --registry, --rules or --pull-secret", "--mutate");
        }
        o.mapping = &mapping.config;
    }
    auto yaml = generate_admission(o);
    if (!yaml) {
        return yaml.error();
    }
    CommandOutput result;
    result.out = std::move(*yaml);
    if (mapping.rules != nullptr && !mapping.rules->fields.empty()) {
        result.warnings += "warning: the rules file's fields: (image locations in custom resources) are not part of "
                           "the MutatingAdmissionPolicy, which matches pods and the built-in workloads only\n";
    }
    return result;
}

} // namespace

void add_admission_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<AdmissionCommandOptions>();
    auto* cmd = app.add_subcommand(
        "admission", "Print validate's rules (and rewrite's mapping) as Kubernetes admission policies (CEL)");
    cmd->add_option("--policy", opts->policy_file, "Policy file (YAML), the one validate reads");
    cmd->add_option("--allowed-registry", opts->allowed_registries, "Allowed registry HOST[:PORT][/PATH] (repeatable)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--fail-on", opts->fail_on, "Lowest severity the policy enforces (default warning)")
        ->check(CLI::IsMember({"error", "warning", "info"}));
    cmd->add_option("--action", opts->actions, "What a violation does: deny (default), warn, audit (repeatable)")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--namespace-selector",
                    opts->namespace_selectors,
                    "Only namespaces with this label KEY=VALUE (repeatable: all must match)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    auto* exclude = cmd->add_option("--exclude-namespace",
                                    opts->exclude_namespaces,
                                    "Never check this namespace (repeatable; default kube-system; "
                                    "--exclude-namespace= for none)")
                        ->allow_extra_args(false)
                        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--kubernetes-version",
                    opts->kubernetes_version,
                    "The cluster's version 1.30 and later (default: the policy file's, else 1.34): picks API "
                    "versions and IS008's level");
    cmd->add_option("--name", opts->name, "metadata.name of the policies and bindings (default image-secure)");
    cmd->add_flag("--mutate",
                  opts->mutate,
                  "Also print a MutatingAdmissionPolicy that rewrites images as rewrite does (Kubernetes 1.34+)");
    cmd->add_option("--registry", opts->mapping.registry, "With --mutate: target registry HOST[:PORT][/PREFIX]");
    cmd->add_option("--path-mode", opts->mapping.path_mode, "With --mutate: repository layout under the registry")
        ->check(CLI::IsMember({"keep", "flatten", "host"}));
    cmd->add_option("--rules", opts->mapping.rules_file, "With --mutate: ordered rewrite rules file (YAML)");
    cmd->add_option("--pull-secret", opts->mapping.pull_secrets, "With --mutate: imagePullSecrets name to add")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->footer(
        "Prints one YAML stream for kubectl apply -f -: a ValidatingAdmissionPolicy with one validation per\n"
        "rule (IS003-IS008, IS010-IS012, IS014, as validate decides them) and its binding; with\n"
        "--mutate also a MutatingAdmissionPolicy that maps every image exactly as rewrite does, adds the pull\n"
        "secrets and never moves an image that is already on the target. The header lists the rules that\n"
        "stay in CI and why. Exempt an object with the annotation image-secure.dev/ignore, as for validate.\n"
        "API versions follow --kubernetes-version: ValidatingAdmissionPolicy v1 (1.30+),\n"
        "MutatingAdmissionPolicy v1beta1 (1.34, 1.35) or v1 (1.36+).\n\n"
        "Examples:\n"
        "  kubectl image-secure admission --policy policy.yaml --action warn,audit | kubectl apply -f -\n"
        "  kubectl image-secure admission --allowed-registry registry.example.com --fail-on error\n"
        "  kubectl image-secure admission --mutate --registry registry.example.com/mirror --pull-secret regcred \\\n"
        "      --kubernetes-version 1.36 | kubectl apply -f -");
    cmd->callback([opts, exclude, &action] {
        opts->exclude_given = exclude->count() > 0;
        action = [opts](Io&) { return run_admission(*opts); };
    });
}

} // namespace image_secure::cli
