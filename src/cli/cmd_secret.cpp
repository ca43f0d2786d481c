#include "cli/app.hpp"
#include "cli/pflag.hpp"
#include "cli/registry_flags.hpp"
#include "cli/secret_flags.hpp"

#include <image_secure/base/io.hpp>
#include <image_secure/registry/registry.hpp>
#include <image_secure/secret/secret.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <optional>

namespace image_secure::cli {

namespace {

struct SecretOptions {
    std::vector<std::string> names;
    SecretFlags secret;
    bool append_hash = false;
    std::string namespace_name;
    std::string output = "yaml";
    std::string dry_run;
    bool dry_run_given = false;
    std::string kubectl_version;
    bool verify = false;
    RegistryFlags registry;
};

Result<CommandOutput> run_secret_create(const SecretOptions& opts, Io& io) {
    if (opts.names.size() != 1) {
        return usage_error("exactly one NAME is required, got " + std::to_string(opts.names.size()), "secret create");
    }
    if (opts.dry_run_given && opts.dry_run != "client") {
        return usage_error("only --dry-run=client is supported: this command never contacts a cluster", "--dry-run");
    }
    const auto minor = kubectl_minor(opts.kubectl_version);
    if (!minor) {
        return minor.error();
    }
    SecretSpec spec;
    spec.creation_timestamp_null = kubectl_prints_null_timestamp(*minor);
    spec.name = opts.names.front();
    if (spec.name.empty()) {
        return usage_error("name must be specified", "secret create");
    }
    if (!opts.namespace_name.empty()) {
        spec.namespace_name = opts.namespace_name;
    }
    SecretFlags secret_flags = opts.secret;
    secret_flags.kubectl_minor = *minor;
    auto material = build_secret_material(secret_flags, io, "secret create");
    if (!material) {
        return material.error();
    }
    if (opts.verify) {
        if (auto verified = verify_logins(*material, opts.secret.servers, opts.registry, io); !verified) {
            return verified.error();
        }
    }
    spec.data = std::move(material->data);
    if (opts.append_hash) {
        spec.name += "-" + secret_hash(spec);
    }
    CommandOutput out;
    if (opts.output.empty()) { // -o '': kubectl's default printer
        out.out = "secret/" + spec.name + " created (dry run)\n";
        return out;
    }
    const SecretFormat format = opts.output == "json"   ? SecretFormat::json
                                : opts.output == "name" ? SecretFormat::name
                                                        : SecretFormat::yaml;
    auto text = render_secret(spec, format);
    if (!text) {
        return text.error();
    }
    out.out = std::move(*text);
    return out;
}

} // namespace

void add_secret_command(CLI::App& app, Action& action) {
    auto* secret = app.add_subcommand("secret", "Build docker-registry pull Secrets");
    secret->require_subcommand(1);
    secret->footer(
        "Examples:\n"
        "  printf '%s' \"$PW\" | kubectl image-secure secret create regcred --docker-server r.example.com \\\n"
        "      --docker-username robot --password-stdin -n apps | kubectl apply -f -\n"
        "  kubectl image-secure secret create --help");
    auto opts = std::make_shared<SecretOptions>();
    auto* cmd =
        secret->add_subcommand("create", "Print a kubernetes.io/dockerconfigjson Secret, byte-identical to kubectl's");
    cmd->footer(
        "Same flags and output as 'kubectl create secret docker-registry NAME --dry-run=client -o yaml',\n"
        "plus --password-stdin and --password-file so the password stays out of argv and history.\n"
        "--password-stdin strips one trailing newline (then one carriage return), like docker login.\n"
        "Nothing is sent to a cluster; pipe the output to 'kubectl apply -f -'. The default output is yaml.\n\n"
        "Examples:\n"
        "  printf '%s' \"$TOKEN\" | kubectl image-secure secret create regcred \\\n"
        "      --docker-server=registry.example.com --docker-username=robot --password-stdin -n apps\n"
        "  kubectl image-secure secret create regcred --from-file=$HOME/.docker/config.json -o json\n"
        "  kubectl image-secure secret create regcred --docker-username=u --password-file=pw.txt --append-hash\n"
        "  kubectl image-secure secret create regcred --docker-server=r.example.com --docker-username=u \\\n"
        "      --password-stdin --verify    # log in first; print nothing if the registry says no");
    cmd->add_option("NAME", opts->names, "Secret name");
    add_secret_flags(*cmd, opts->secret, false, false);
    cmd->add_flag("--append-hash", opts->append_hash, "Append a hash of the Secret to its name");
    cmd->add_option("-n,--namespace", opts->namespace_name, "Namespace written into the Secret");
    cmd->add_option("-o,--output", opts->output, "Output format")->check(CLI::IsMember({"yaml", "json", "name", ""}));
    auto* dry_run = optional_value(
        cmd->add_option("--dry-run", opts->dry_run, "Accepted for kubectl compatibility (only client)"), "client");
    cmd->add_flag("--verify",
                  opts->verify,
                  "Log in to each registry in the Secret first; print nothing if one rejects the credentials");
    add_kubectl_version_flag(*cmd, opts->kubectl_version);
    add_registry_flags(*cmd, opts->registry, k_tls_only);
    cmd->callback([opts, dry_run, &action] {
        opts->dry_run_given = dry_run->count() > 0;
        action = [opts](Io& io) { return run_secret_create(*opts, io); };
    });
}

} // namespace image_secure::cli
