#include "cli/app.hpp"
#include "cli/manifest_flags.hpp"

#include <image_secure/base/io.hpp>
#include <image_secure/config/krm_config.hpp>
#include <image_secure/rewrite/rewrite.hpp>

#include <CLI/CLI.hpp>

#include <memory>

namespace image_secure::cli {

namespace {

Result<CommandOutput> run_krm(Io& io) {
    const std::string input = read_stream(io.in);
    auto config = parse_krm_function_config(input);
    if (!config) {
        return config.error();
    }
    ManifestFlags flags;
    flags.registry = config->registry;
    flags.path_mode = config->path_mode;
    flags.rules_text = config->rules;
    flags.rules_source = "functionConfig.data.rules";
    flags.pull_secrets = config->pull_secrets;
    auto mapping = load_mapping(flags);
    if (!mapping) {
        return mapping.error();
    }
    if (!mapping->has_target && mapping->config.pull_secrets.empty()) {
        return usage_error("nothing to do: set registry, rules or pull-secrets in the functionConfig data",
                           "functionConfig");
    }
    auto manifest = scan_manifest(input, "ResourceList", mapping_scan_options(flags, *mapping));
    if (!manifest) {
        return manifest.error();
    }
    RewriteState state;
    auto plan = plan_rewrite(input, "ResourceList", *manifest, mapping->config, state);
    if (!plan) {
        return plan.error();
    }
    CommandOutput out;
    for (const auto& w : plan->warnings) {
        out.warnings += "warning: " + w + "\n";
    }
    // Only image values and imagePullSecrets change: the items keep their comments and
    // annotations (config.kubernetes.io/path, index) byte for byte.
    out.out = apply_edits(input, plan->edits);
    return out;
}

} // namespace

void add_krm_command(CLI::App& app, Action& action) {
    auto* cmd = app.add_subcommand("krm", "Run as a KRM function: ResourceList on stdin, rewritten on stdout");
    cmd->footer("Reads a config.kubernetes.io/v1 ResourceList on stdin and writes it back with every image\n"
                "rewritten and imagePullSecrets added, exactly as 'rewrite' does. The functionConfig is a\n"
                "ConfigMap whose data holds: registry (HOST[:PORT][/PREFIX]), pull-secrets (comma-separated),\n"
                "path-mode (keep|flatten|host), rules (a rules file, inline). Items keep their comments and\n"
                "annotations.\n\n"
                "Examples:\n"
                "  kpt fn eval deploy/ --exec 'kubectl-image_secure krm' --fn-config image-secure-fn.yaml\n"
                "  # standalone kustomize: transformers: [image-secure-fn.yaml], the ConfigMap annotated\n"
                "  #   config.kubernetes.io/function: 'exec: {path: image-secure-krm}'\n"
                "  # (exec functions take no arguments: image-secure-krm is a link to kubectl-image_secure)\n"
                "  kustomize build --enable-alpha-plugins --enable-exec overlay/\n"
                "  # the kustomize built into kubectl has no --enable-exec and skips exec functions");
    cmd->callback([&action] { action = [](Io& io) { return run_krm(io); }; });
}

} // namespace image_secure::cli
