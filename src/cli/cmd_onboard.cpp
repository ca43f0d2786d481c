#include "cli/app.hpp"
#include "cli/manifest_flags.hpp"
#include "cli/registry_flags.hpp"
#include "cli/secret_flags.hpp"

#include <image_secure/k8s/names.hpp>
#include <image_secure/secret/secret.hpp>
#include <image_secure/secret/yaml_emitter.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>

namespace image_secure::cli {

namespace {

constexpr const char* k_pull_secret_label = "image-secure.dev/pull-secret";

struct OnboardOptions {
    std::vector<std::string> namespaces;
    SecretFlags secret;
    std::string secret_name = "regcred";
    std::vector<std::string> service_accounts;
    bool create_namespace = false;
    bool append_hash = false;
    bool verify = false;
    std::string output = "yaml";
    std::string kubectl_version;
    std::vector<std::string> manifests; ///< -f: take the namespaces the workloads use
    bool recursive = false;
    RegistryFlags registry;
};

/// The namespaces of the workloads in `-f` manifests (pod-bearing objects, and Namespaces they
/// create), in order of first use. Objects without metadata.namespace are named in a warning.
Result<std::vector<std::string>> namespaces_of(const OnboardOptions& opts, Io& io, std::string& warnings) {
    ManifestFlags flags;
    flags.files = opts.manifests;
    flags.recursive = opts.recursive;
    ScanOptions scan;
    scan.skip_irrelevant = false;
    auto inputs = read_and_scan(flags, scan, io);
    if (!inputs) {
        return inputs.error();
    }
    std::vector<std::string> found;
    std::size_t without = 0;
    auto add = [&found](const std::string& ns) {
        if (!ns.empty() && std::find(found.begin(), found.end(), ns) == found.end()) {
            found.push_back(ns);
        }
    };
    for (const auto& input : *inputs) {
        std::vector<bool> has_pods(input.manifest.objects.size(), false);
        for (const auto& spec : input.manifest.pod_specs) {
            has_pods[spec.object] = true;
        }
        for (std::size_t i = 0; i < input.manifest.objects.size(); ++i) {
            const auto& obj = input.manifest.objects[i];
            if (obj.kind == "Namespace") {
                add(obj.name);
            } else if (has_pods[i]) {
                if (obj.namespace_name.empty()) {
                    ++without;
                }
                add(obj.namespace_name);
            }
        }
    }
    if (without > 0) {
        warnings += "warning: " + std::to_string(without) + (without == 1 ? " workload has" : " workloads have")
                    + " no metadata.namespace (it runs in the namespace kubectl applies it to): name that "
                      "namespace too (-f)\n";
    }
    if (found.empty()) {
        return input_error("no namespaces found in the manifests (workloads without metadata.namespace)", "-f");
    }
    return found;
}

/// `kubectl create namespace NAME --dry-run=client -o yaml`.
std::string namespace_yaml(const std::string& name, bool null_timestamp) {
    YamlV2Writer w;
    w.key("apiVersion", 0);
    w.string_value("v1");
    w.key("kind", 0);
    w.string_value("Namespace");
    w.key("metadata", 0);
    if (null_timestamp) {
        w.key("creationTimestamp", 2);
        w.null_value();
    }
    w.key("name", 2);
    w.string_value(name);
    std::string out = w.text();
    out += out.back() == '\n' ? "" : "\n";
    return out + "spec: {}\nstatus: {}\n";
}

/// `kubectl create serviceaccount NAME -n NS` patched with imagePullSecrets, as kubectl prints it.
std::string
service_account_yaml(const std::string& name, const std::string& ns, const std::string& secret, bool null_timestamp) {
    YamlV2Writer head;
    head.key("apiVersion", 0);
    head.string_value("v1");
    head.key("imagePullSecrets", 0);
    YamlV2Writer item; // "- name: X": a one-key mapping in a block sequence at column 0
    item.key("name", 2);
    item.string_value(secret);
    YamlV2Writer tail;
    tail.key("kind", 0);
    tail.string_value("ServiceAccount");
    tail.key("metadata", 0);
    if (null_timestamp) {
        tail.key("creationTimestamp", 2);
        tail.null_value();
    }
    tail.key("name", 2);
    tail.string_value(name);
    tail.key("namespace", 2);
    tail.string_value(ns);
    const auto line = [](std::string text) {
        if (text.empty() || text.back() != '\n') {
            text += '\n';
        }
        return text;
    };
    std::string item_text = line(item.text());
    item_text.replace(0, 2, "- ");
    return line(head.text()) + item_text + line(tail.text());
}

Result<CommandOutput> run_onboard(OnboardOptions opts, Io& io) {
    std::string warnings;
    if (!opts.manifests.empty()) {
        auto found = namespaces_of(opts, io, warnings);
        if (!found) {
            return found.error();
        }
        for (auto& ns : *found) {
            if (std::find(opts.namespaces.begin(), opts.namespaces.end(), ns) == opts.namespaces.end()) {
                opts.namespaces.push_back(std::move(ns));
            }
        }
    }
    if (opts.namespaces.empty()) {
        return usage_error("give at least one NAMESPACE", "onboard");
    }
    if (opts.output != "yaml") {
        return usage_error("onboard prints YAML for 'kubectl apply -f -' (-o yaml)", "-o");
    }
    for (const auto& ns : opts.namespaces) {
        if (!is_dns_label(ns)) {
            return usage_error("\"" + ns
                                   + "\" is not a valid namespace name (a DNS-1123 label: lowercase "
                                     "letters, digits and '-', at most 63 characters)",
                               "onboard");
        }
    }
    if (!is_dns_subdomain(opts.secret_name) || opts.secret_name.size() > 242) {
        return usage_error("\"" + opts.secret_name + "\" is not a valid Secret name", "--secret-name");
    }
    if (opts.service_accounts.empty()) {
        opts.service_accounts.emplace_back("default");
    }
    for (const auto& sa : opts.service_accounts) {
        if (!is_dns_subdomain(sa)) {
            return usage_error("\"" + sa + "\" is not a valid ServiceAccount name", "--service-account");
        }
    }
    const auto minor = kubectl_minor(opts.kubectl_version);
    if (!minor) {
        return minor.error();
    }
    const bool null_timestamp = kubectl_prints_null_timestamp(*minor);
    opts.secret.kubectl_minor = *minor;
    auto material = build_secret_material(opts.secret, io, "onboard");
    if (!material) {
        return material.error();
    }
    if (opts.verify) {
        if (auto verified = verify_logins(*material, opts.secret.servers, opts.registry, io); !verified) {
            return verified.error();
        }
    }
    SecretSpec spec;
    spec.name = opts.secret_name;
    spec.creation_timestamp_null = null_timestamp;
    spec.data = std::move(material->data);
    spec.labels[k_pull_secret_label] = opts.secret_name;
    if (opts.append_hash) {
        spec.name += "-" + secret_hash(spec); // by content: the same in every namespace
    }
    CommandOutput out;
    out.warnings = warnings;
    const auto document = [&out](const std::string& text) {
        if (!out.out.empty()) {
            out.out += "---\n";
        }
        out.out += text;
    };
    for (const auto& ns : opts.namespaces) {
        if (opts.create_namespace) {
            document(namespace_yaml(ns, null_timestamp));
        }
        spec.namespace_name = ns;
        auto secret = render_secret(spec, SecretFormat::yaml);
        if (!secret) {
            return secret.error();
        }
        document(*secret);
        for (const auto& sa : opts.service_accounts) {
            document(service_account_yaml(sa, ns, spec.name, null_timestamp));
        }
    }
    return out;
}

} // namespace

void add_onboard_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<OnboardOptions>();
    auto* cmd = app.add_subcommand("onboard", "Prepare namespaces: pull Secret + ServiceAccounts that use it");
    cmd->add_option("NAMESPACE", opts->namespaces, "Namespaces to prepare");
    cmd->add_option("-n,--namespace", opts->namespaces, "A namespace to prepare (repeatable; same as NAMESPACE)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    add_secret_flags(*cmd, opts->secret, true, true);
    cmd->add_option("--secret-name", opts->secret_name, "Name of the pull Secret (default regcred)");
    cmd->add_option("--service-account",
                    opts->service_accounts,
                    "ServiceAccount to give the Secret in imagePullSecrets (repeatable; default 'default')")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_flag("--create-namespace", opts->create_namespace, "Also print each Namespace");
    cmd->add_flag("--append-hash",
                  opts->append_hash,
                  "Name the Secret by its content (regcred-<hash>) so a new password makes a new Secret");
    cmd->add_flag("--verify", opts->verify, "Log in to each registry first; print nothing if one says no");
    cmd->add_option("-o,--output", opts->output, "Output format (yaml)")->check(CLI::IsMember({"yaml"}));
    add_kubectl_version_flag(*cmd, opts->kubectl_version);
    cmd->add_option("-f,--filename",
                    opts->manifests,
                    "Manifests (file, directory, - for stdin): onboard the namespaces their workloads use")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_flag("-R,--recursive", opts->recursive, "Read -f directories recursively");
    add_registry_flags(*cmd, opts->registry, k_tls_only);
    cmd->footer("Prints, per namespace, [the Namespace,] the docker-registry Secret (as 'secret create' does,\n"
                "labelled image-secure.dev/pull-secret=<name>) and each ServiceAccount with imagePullSecrets\n"
                "naming it, as one stream for 'kubectl apply -f -'. Applying replaces the imagePullSecrets list\n"
                "of those ServiceAccounts. Names are checked before anything is printed.\n\n"
                "Rotation: with --append-hash the Secret is named by its content, the ServiceAccounts point at\n"
                "the new name, and the old Secrets can be pruned by label:\n"
                "  kubectl image-secure onboard team-a team-b --docker-server r.example.com \\\n"
                "      --docker-username robot --password-stdin --append-hash <pw.txt \\\n"
                "    | kubectl apply -f - --prune -l image-secure.dev/pull-secret=regcred \\\n"
                "      --prune-allowlist=core/v1/Secret -n team-a\n\n"
                "Examples:\n"
                "  printf '%s' \"$PW\" | kubectl image-secure onboard team-a team-b --create-namespace \\\n"
                "      --docker-server r.example.com --docker-username robot --password-stdin | kubectl apply -f -\n"
                "  kubectl image-secure onboard ci --docker-server r.example.com --docker-config ~/.docker \\\n"
                "      --service-account default --service-account builder");
    cmd->callback([opts, &action] { action = [opts](Io& io) { return run_onboard(*opts, io); }; });
}

} // namespace image_secure::cli
