#include "cli/manifest_flags.hpp"

#include <image_secure/config/rules_file.hpp>
#include <image_secure/k8s/names.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>

namespace image_secure::cli {

void add_manifest_flags(CLI::App& cmd, ManifestFlags& flags, bool with_pull_secrets) {
    cmd.add_option("-f,--filename", flags.files, "Manifest file, directory, or - for stdin (repeatable)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd.add_flag("-R,--recursive", flags.recursive, "Read directories recursively");
    cmd.add_option("--registry", flags.registry, "Target registry HOST[:PORT][/PREFIX]")
        ->check([](const std::string& value) {
            return value.empty() ? std::string("an empty value: give HOST[:PORT][/PREFIX]") : std::string();
        });
    cmd.add_option("--path-mode", flags.path_mode, "Repository layout under the registry")
        ->check(CLI::IsMember({"keep", "flatten", "host"}));
    cmd.add_option("--rules", flags.rules_file, "Ordered rewrite rules file (YAML)");
    if (with_pull_secrets) {
        cmd.add_option("--pull-secret", flags.pull_secrets, "imagePullSecrets name to add to every pod spec")
            ->allow_extra_args(false)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    }
    cmd.add_option("-j,--jobs", flags.jobs, "Threads for scanning (default: all cores)");
}

Result<LoadedMapping> load_mapping(const ManifestFlags& flags) {
    LoadedMapping loaded;
    if (!flags.rules_text.empty() || !flags.rules_file.empty()) {
        std::string text = flags.rules_text;
        std::string source = flags.rules_source;
        if (text.empty()) {
            auto bytes = read_file(flags.rules_file);
            if (!bytes) {
                return bytes.error();
            }
            text = std::move(*bytes);
            source = flags.rules_file;
        }
        auto rules = parse_rules(text, source);
        if (!rules) {
            return rules.error();
        }
        loaded.rules = std::make_unique<RuleSet>(std::move(*rules));
        loaded.config.rules = loaded.rules.get();
        loaded.config.registry = loaded.rules->registry;
        loaded.config.path_mode = loaded.rules->path_mode.value_or(PathMode::keep);
        loaded.config.pull_secrets = loaded.rules->pull_secrets;
    }
    if (!flags.registry.empty()) {
        auto target = parse_registry_target(flags.registry);
        if (!target) {
            Error error = target.error();
            error.where = "--registry";
            return error;
        }
        loaded.config.registry = *target;
    }
    if (!flags.path_mode.empty()) {
        auto mode = parse_path_mode(flags.path_mode);
        if (!mode) {
            Error error = mode.error();
            error.where = "--path-mode";
            return error;
        }
        loaded.config.path_mode = *mode;
    }
    if (!flags.pull_secrets.empty()) {
        for (const auto& name : flags.pull_secrets) {
            if (!is_dns_subdomain(name)) {
                return usage_error("\"" + name + "\" is not a valid Secret name (lowercase DNS subdomain)",
                                   "--pull-secret");
            }
        }
        loaded.config.pull_secrets = flags.pull_secrets;
    }
    loaded.has_target = loaded.config.registry.has_value() || (loaded.rules && !loaded.rules->rules.empty());
    return loaded;
}

ScanOptions mapping_scan_options(const ManifestFlags& flags, const LoadedMapping& mapping) {
    ScanOptions options;
    options.threads = flags.jobs;
    if (mapping.rules) {
        options.extra_fields = mapping.rules->fields;
    }
    return options;
}

Result<std::vector<ScannedInput>> read_and_scan(const ManifestFlags& flags, const ScanOptions& options, Io& io) {
    if (flags.files.empty()) {
        return usage_error("at least one -f PATH is required (use - for stdin)", "-f");
    }
    auto inputs = read_inputs(flags.files, flags.recursive, io.in);
    if (!inputs) {
        return inputs.error();
    }
    std::vector<ScannedInput> scanned;
    scanned.reserve(inputs->size());
    for (auto& file : *inputs) {
        auto manifest = scan_manifest(file.bytes, file.display, options);
        if (!manifest) {
            return manifest.error();
        }
        scanned.push_back({std::move(file), std::move(*manifest)});
    }
    return scanned;
}

} // namespace image_secure::cli
