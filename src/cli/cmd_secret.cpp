#include "cli/app.hpp"

#include <image_secure/io.hpp>
#include <image_secure/secret.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <optional>

namespace image_secure::cli {

namespace {

struct SecretOptions {
    std::vector<std::string> names;
    std::optional<std::string> server;
    std::string username;
    std::optional<std::string> password;
    std::string email;
    bool password_stdin = false;
    std::string password_file;
    std::vector<std::string> from_file;
    bool append_hash = false;
    std::string namespace_name;
    std::string output = "yaml";
    std::string dry_run;
};

Result<std::string> read_password(const SecretOptions& opts, Io& io)
{
    const int sources = (opts.password ? 1 : 0) + (opts.password_stdin ? 1 : 0)
                        + (opts.password_file.empty() ? 0 : 1);
    if (sources > 1) {
        return usage_error("use only one of --docker-password, --password-stdin and --password-file",
                           "secret create");
    }
    if (opts.password_stdin) {
        return strip_password_newline(read_stream(io.in));
    }
    if (!opts.password_file.empty()) {
        auto bytes = read_file(opts.password_file);
        if (!bytes) {
            return bytes.error();
        }
        return strip_password_newline(std::move(*bytes));
    }
    return opts.password.value_or("");
}

Result<Ok> add_from_files(SecretSpec& spec, const std::vector<std::string>& values)
{
    namespace fs = std::filesystem;
    for (const auto& value : values) {
        auto entries = split_csv_flag(value);
        if (!entries) {
            return usage_error("invalid argument \"" + value + "\" for \"--from-file\" flag: "
                               + entries.error().what);
        }
        for (const auto& entry : *entries) {
            auto source = parse_file_source(entry);
            if (!source) {
                return source.error();
            }
            std::error_code ec;
            const auto status = fs::status(source->path, ec);
            if (ec || !fs::exists(status)) {
                return input_error("error reading " + source->path + ": no such file or directory");
            }
            if (fs::is_directory(status)) {
                return usage_error("cannot give a key name for a directory path");
            }
            auto bytes = read_file(source->path);
            if (!bytes) {
                return bytes.error();
            }
            if (auto added = add_secret_file(spec, {source->key, source->path, std::move(*bytes)});
                !added) {
                return added.error();
            }
        }
    }
    return Ok{};
}

Result<CommandOutput> run_secret_create(const SecretOptions& opts, Io& io)
{
    if (opts.names.size() != 1) {
        return usage_error("exactly one NAME is required, got " + std::to_string(opts.names.size()),
                           "secret create");
    }
    if (!opts.dry_run.empty() && opts.dry_run != "client") {
        return usage_error("only --dry-run=client is supported: this command never contacts a cluster",
                           "--dry-run");
    }
    SecretSpec spec;
    spec.name = opts.names.front();
    if (spec.name.empty()) {
        return usage_error("name must be specified", "secret create");
    }
    if (!opts.namespace_name.empty()) {
        spec.namespace_name = opts.namespace_name;
    }
    auto password = read_password(opts, io);
    if (!password) {
        return password.error();
    }
    if (auto added = add_from_files(spec, opts.from_file); !added) {
        return added.error();
    }
    if (spec.data.empty()) {
        DockerCredentials creds;
        creds.server = opts.server.value_or(std::string(k_default_docker_server));
        creds.username = opts.username;
        creds.password = std::move(*password);
        creds.email = opts.email;
        if (creds.username.empty() || creds.password.empty() || creds.server.empty()) {
            return usage_error("either --from-file or the combination of --docker-username, "
                               "--docker-password and --docker-server is required",
                               "secret create");
        }
        spec.data[".dockerconfigjson"] = docker_config_json(creds);
    }
    if (opts.append_hash) {
        spec.name += "-" + secret_hash(spec);
    }
    const SecretFormat format = opts.output == "json"   ? SecretFormat::json
                                : opts.output == "name" ? SecretFormat::name
                                                        : SecretFormat::yaml;
    auto text = render_secret(spec, format);
    if (!text) {
        return text.error();
    }
    CommandOutput out;
    out.out = std::move(*text);
    return out;
}

} // namespace

void add_secret_command(CLI::App& app, Action& action)
{
    auto* secret = app.add_subcommand("secret", "Build docker-registry pull Secrets");
    secret->require_subcommand(1);
    auto opts = std::make_shared<SecretOptions>();
    auto* cmd = secret->add_subcommand(
        "create", "Print a kubernetes.io/dockerconfigjson Secret, byte-identical to kubectl's");
    cmd->footer(
        "Same flags and output as 'kubectl create secret docker-registry NAME --dry-run=client -o yaml',\n"
        "plus --password-stdin and --password-file so the password stays out of argv and history.\n"
        "--password-stdin strips one trailing newline (then one carriage return), like docker login.\n"
        "Nothing is sent to a cluster; pipe the output to 'kubectl apply -f -'. The default output is yaml.\n\n"
        "Examples:\n"
        "  printf '%s' \"$TOKEN\" | kubectl image-secure secret create regcred \\\n"
        "      --docker-server=registry.example.com --docker-username=robot --password-stdin -n apps\n"
        "  kubectl image-secure secret create regcred --from-file=$HOME/.docker/config.json -o json\n"
        "  kubectl image-secure secret create regcred --docker-username=u --password-file=pw.txt --append-hash");
    cmd->add_option("name", opts->names, "Secret name");
    cmd->add_option("--docker-server", opts->server, "Registry server (default https://index.docker.io/v1/)");
    cmd->add_option("--docker-username", opts->username, "Username for registry authentication");
    cmd->add_option("--docker-password", opts->password,
                    "Password (visible in process lists: prefer --password-stdin)");
    cmd->add_option("--docker-email", opts->email, "Email for the registry (optional)");
    cmd->add_flag("--password-stdin", opts->password_stdin, "Read the password from standard input");
    cmd->add_option("--password-file", opts->password_file, "Read the password from FILE");
    cmd->add_option("--from-file", opts->from_file,
                    "[KEY=]PATH of an existing docker config.json (repeatable, comma-separated)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_flag("--append-hash", opts->append_hash, "Append a hash of the Secret to its name");
    cmd->add_option("-n,--namespace", opts->namespace_name, "Namespace written into the Secret");
    cmd->add_option("-o,--output", opts->output, "Output format")
        ->check(CLI::IsMember({"yaml", "json", "name"}));
    cmd->add_flag("--dry-run{client}", opts->dry_run, "Accepted for kubectl compatibility (always client)");
    cmd->callback([opts, &action] { action = [opts](Io& io) { return run_secret_create(*opts, io); }; });
}

} // namespace image_secure::cli
