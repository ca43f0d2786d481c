#include "cli/app.hpp"
#include "cli/exit_codes.hpp"
#include "cli/manifest_flags.hpp"
#include "cli/registry_flags.hpp"

#include <image_secure/base/json_records.hpp>
#include <image_secure/base/location.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/registry/image_walk.hpp>
#include <image_secure/registry/oci.hpp>
#include <image_secure/registry/registry.hpp>
#include <image_secure/rewrite/images.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

namespace image_secure::cli {

namespace {

struct RegistryCommandOptions {
    RegistryFlags registry;
    ManifestFlags manifests;
    std::vector<std::string> args;
    std::string output = "text";
    std::string platform;
};

/// The worst exit code of several failures: network (3) over not found (1).
int worse(int a, int b) { return std::max(a, b); }

// ------------------------------------------------------------------------------- check

/// The repository of `registry check SERVER/REPO` ("" for a bare server or an API URL).
std::string repository_of(std::string_view server) {
    if (const auto scheme = server.find("://"); scheme != std::string_view::npos) {
        server.remove_prefix(scheme + 3);
    }
    const auto slash = server.find('/');
    if (slash == std::string_view::npos) {
        return {};
    }
    std::string path(server.substr(slash + 1));
    while (!path.empty() && path.back() == '/') {
        path.pop_back();
    }
    if (path == "v2" || path == "v1" || path.rfind("v2/", 0) == 0 || path.rfind("v1/", 0) == 0) {
        return {}; // https://r.io/v2/ and Docker Hub's https://index.docker.io/v1/ name the API
    }
    return path;
}

Result<CommandOutput> run_check(RegistryCommandOptions opts, Io& io) {
    if (opts.args.size() != 1) {
        return usage_error("registry check takes exactly one SERVER", "registry check");
    }
    const std::string host = server_host(opts.args.front(), &opts.registry);
    if (host.empty()) {
        return usage_error("no registry host in \"" + opts.args.front() + "\"", "registry check");
    }
    auto options = make_registry_options(opts.registry, io, {host});
    if (!options) {
        return options.error();
    }
    RegistryClient client(std::move(*options));
    auto result = client.check(host);
    if (!result) {
        return result.error();
    }
    CommandOutput out;
    const std::string who = result->username.empty() ? "anonymous access" : "credentials for " + result->username;
    const std::string repo = repository_of(opts.args.front());
    if (result->accepted && !repo.empty()) {
        // SERVER/REPO: the login is not enough; these credentials must be able to pull there.
        auto pull = client.check_pull(host, repo);
        if (!pull) {
            return pull.error();
        }
        if (pull->verdict == PullCheck::Verdict::may_pull) {
            out.out = host + "/" + repo + ": " + who + " may pull (" + result->scheme + ")\n";
            return out;
        }
        const std::string reason = pull->verdict == PullCheck::Verdict::missing
                                       ? "the repository does not exist (or is hidden from you)"
                                   : pull->verdict == PullCheck::Verdict::no_access
                                       ? "no pull access to this repository"
                                       : "the registry answered HTTP " + std::to_string(pull->status);
        out.warnings = "error: " + host + "/" + repo + ": " + who + " rejected (" + result->scheme + "): " + reason
                       + (pull->detail.empty() ? "" : " (" + pull->detail + ")") + "\n";
        out.exit_code = k_exit_findings;
        return out;
    }
    if (result->accepted) {
        out.out = host + ": " + (result->scheme == "none" ? "no authentication required" : who + " accepted") + " ("
                  + result->scheme + ")\n";
        return out;
    }
    out.warnings = "error: " + host + ": " + who + " rejected (" + result->scheme + "): " + result->reason + "\n";
    out.exit_code = k_exit_findings;
    return out;
}

// ------------------------------------------------------------------------------- inputs

struct Target {
    std::string input;
    Reference ref;
};

/// REF arguments, or the images of -f manifests; an invalid reference is a usage error.
Result<std::vector<Target>> targets_of(const RegistryCommandOptions& opts, Io& io, const char* command) {
    std::vector<Target> out;
    if (!opts.manifests.files.empty()) {
        if (!opts.args.empty()) {
            return usage_error("give REF arguments or -f, not both", command);
        }
        auto inputs = read_and_scan(opts.manifests, ScanOptions{}, io);
        if (!inputs) {
            return inputs.error();
        }
        auto images = collect_images(scanned_files(*inputs), nullptr);
        if (!images) {
            return images.error();
        }
        for (const auto& image : *images) {
            if (!image.valid) {
                return input_error(
                    "invalid image reference \"" + image.image + "\": " + image.error,
                    image.uses.empty()
                        ? std::string()
                        : format_location(image.uses.front().file, image.uses.front().line, image.uses.front().column));
            }
            out.push_back({image.image, *parse_reference(image.image)});
        }
        return out;
    }
    if (opts.args.empty()) {
        return usage_error("give at least one REF, or -f MANIFESTS", command);
    }
    for (const auto& arg : opts.args) {
        auto ref = parse_reference(arg);
        if (!ref) {
            return usage_error("invalid reference \"" + arg + "\": " + ref.error().what, command);
        }
        out.push_back({arg, *ref});
    }
    return out;
}

std::vector<std::string> hosts_of(const std::vector<Target>& targets) {
    std::vector<std::string> hosts;
    for (const auto& t : targets) {
        if (std::find(hosts.begin(), hosts.end(), t.ref.domain) == hosts.end()) {
            hosts.push_back(t.ref.domain);
        }
    }
    return hosts;
}

Result<RegistryOptions>
options_for(const RegistryCommandOptions& opts, Io& io, const std::vector<Target>& targets, const char* command) {
    return make_registry_options_for_images(opts.registry, io, hosts_of(targets), command);
}

/// What resolve and inspect start from: the references, a client, and where each image is.
struct Session {
    std::vector<Target> targets;
    std::unique_ptr<RegistryClient> client;
    std::vector<ImageLocator> locators;
};

Result<Session> open_session(const RegistryCommandOptions& opts, Io& io, const char* command) {
    auto targets = targets_of(opts, io, command);
    if (!targets) {
        return targets.error();
    }
    auto options = options_for(opts, io, *targets, command);
    if (!options) {
        return options.error();
    }
    Session session;
    session.client = std::make_unique<RegistryClient>(std::move(*options));
    for (const auto& t : *targets) {
        session.locators.push_back(ImageLocator::from(t.ref));
    }
    session.targets = std::move(*targets);
    return session;
}

// ------------------------------------------------------------------------------- resolve

struct Resolved {
    std::string digest;
    std::string media_type;
    std::string platform;
};

Result<CommandOutput> run_resolve(const RegistryCommandOptions& opts, Io& io) {
    std::optional<oci::Platform> platform;
    if (!opts.platform.empty()) {
        auto p = oci::parse_platform(opts.platform);
        if (!p) {
            return p.error();
        }
        platform = *p;
    }
    auto session = open_session(opts, io, "registry resolve");
    if (!session) {
        return session.error();
    }
    const auto& targets = session->targets;
    const auto& locators = session->locators;
    WalkOptions walk;
    if (platform) {
        // An index: its child for the platform (descriptor only). A single image: its config
        // says which platform it is; one that is not the one asked for is not an answer.
        walk.depth = WalkOptions::Depth::platform;
        walk.platform = platform;
        walk.fetch_chosen = false;
        walk.check_single_platform = true;
    }
    auto walked = walk_images(*session->client, locators, walk);
    std::vector<Result<Resolved>> results;
    for (std::size_t i = 0; i < walked.size(); ++i) {
        const auto& w = walked[i];
        if (!w) {
            results.emplace_back(w.error());
        } else if (!platform) {
            results.emplace_back(Resolved{w->head.digest, w->head.media_type, {}});
        } else if (w->platform_missing) {
            results.emplace_back(
                Error{ErrorKind::not_found, locators[i].str() + ": no image for platform " + platform->str(), {}});
        } else if (w->platform_mismatch) {
            results.emplace_back(
                Error{ErrorKind::not_found,
                      locators[i].str() + ": a single-platform image for " + w->platform + ", not " + platform->str(),
                      {}});
        } else if (w->chosen) {
            results.emplace_back(Resolved{w->chosen->digest, w->chosen->media_type, w->platform});
        } else {
            results.emplace_back(Resolved{w->head.digest, w->head.media_type, w->platform});
        }
    }
    CommandOutput out;
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& t = targets[i];
        const std::string normalized = t.ref.normalized();
        if (!results[i]) {
            out.exit_code = worse(out.exit_code, exit_code_for(results[i].error().kind));
            out.warnings += "error: " + results[i].error().message() + "\n";
            if (opts.output == "json") {
                records.push_back({{"input", t.input}, {"normalized", normalized}, {"error", results[i].error().what}});
            }
            continue;
        }
        if (opts.output == "json") {
            nlohmann::ordered_json r = {{"input", t.input},
                                        {"normalized", normalized},
                                        {"digest", results[i]->digest},
                                        {"mediaType", results[i]->media_type}};
            if (!results[i]->platform.empty()) {
                r["platform"] = results[i]->platform;
            }
            records.push_back(std::move(r));
        } else {
            out.out += t.input + " " + results[i]->digest + "\n";
        }
    }
    if (opts.output == "json") {
        out.out = render_json_records(records);
    }
    return out;
}

// ------------------------------------------------------------------------------- inspect

struct PlatformFacts {
    std::string platform;
    std::string digest;
    std::string media_type;
    std::int64_t size = 0;
    std::size_t layers = 0;
    std::string created;
    std::string os;
    std::string architecture;
};

struct Inspected {
    std::string digest;
    std::string media_type;
    std::vector<PlatformFacts> platforms;
};

Result<CommandOutput> run_inspect(const RegistryCommandOptions& opts, Io& io) {
    auto session = open_session(opts, io, "registry inspect");
    if (!session) {
        return session.error();
    }
    const auto& targets = session->targets;
    WalkOptions walk;
    walk.depth = WalkOptions::Depth::all;
    walk.configs = true;
    auto walked = walk_images(*session->client, session->locators, walk);
    std::vector<Result<Inspected>> results;
    for (auto& w : walked) {
        if (!w) {
            results.emplace_back(w.error());
            continue;
        }
        Inspected in;
        in.digest = w->head.digest;
        in.media_type = w->head.media_type;
        const auto facts_of =
            [](const FetchedManifest& m, const std::string& platform, const std::string& config_blob) {
                PlatformFacts facts;
                facts.digest = m.digest;
                facts.media_type = m.media_type;
                facts.size = m.parsed.image_size();
                facts.layers = m.parsed.layers.size();
                if (auto config = oci::parse_image_config(config_blob)) {
                    facts.created = config->created;
                    facts.os = config->os;
                    facts.architecture = config->architecture;
                    facts.platform = platform.empty()
                                         ? oci::Platform{config->os, config->architecture, config->variant, {}}.str()
                                         : platform;
                }
                return facts;
            };
        if (w->top->parsed.kind == oci::Manifest::Kind::image) {
            in.platforms.push_back(facts_of(*w->top, {}, w->top_config.value_or(std::string())));
        }
        for (const auto& child : w->children) {
            if (child.manifest.parsed.kind == oci::Manifest::Kind::image) { // nested indexes are skipped
                in.platforms.push_back(facts_of(child.manifest, child.platform, child.config.value_or(std::string())));
            }
        }
        results.emplace_back(std::move(in));
    }
    CommandOutput out;
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& t = targets[i];
        if (!results[i]) {
            out.exit_code = worse(out.exit_code, exit_code_for(results[i].error().kind));
            out.warnings += "error: " + results[i].error().message() + "\n";
            continue;
        }
        const Inspected& in = *results[i];
        if (opts.output == "json") {
            nlohmann::ordered_json platforms = nlohmann::ordered_json::array();
            for (const auto& f : in.platforms) {
                platforms.push_back({{"platform", f.platform},
                                     {"digest", f.digest},
                                     {"mediaType", f.media_type},
                                     {"size", f.size},
                                     {"layers", f.layers},
                                     {"created", f.created},
                                     {"os", f.os}});
            }
            records.push_back({{"input", t.input},
                               {"normalized", t.ref.normalized()},
                               {"digest", in.digest},
                               {"mediaType", in.media_type},
                               {"platforms", std::move(platforms)}});
            continue;
        }
        out.out += t.ref.normalized() + "\n";
        out.out += "  digest:     " + in.digest + "\n";
        out.out += "  mediaType:  " + in.media_type + "\n";
        for (const auto& f : in.platforms) {
            out.out += "  platform:   " + f.platform + "\n";
            out.out += "    digest:   " + f.digest + "\n";
            out.out += "    size:     " + human_size(f.size) + " (" + std::to_string(f.size) + " bytes, "
                       + std::to_string(f.layers) + (f.layers == 1 ? " layer" : " layers") + ", compressed)\n";
            out.out += "    created:  " + (f.created.empty() ? std::string("-") : f.created) + "\n";
            out.out += "    os:       " + (f.os.empty() ? std::string("-") : f.os) + "\n";
        }
    }
    if (opts.output == "json") {
        out.out = render_json_records(records);
    }
    return out;
}

/// The flags resolve and inspect share: REF... or -f, -R, -o, and the connection flags.
void add_image_flags(CLI::App& cmd, RegistryCommandOptions& opts, const char* files_help) {
    cmd.add_option("REF", opts.args, "Image references");
    cmd.add_option("-f,--filename", opts.manifests.files, files_help)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd.add_flag("-R,--recursive", opts.manifests.recursive, "Read directories recursively");
    cmd.add_option("-o,--output", opts.output, "Output format")->check(CLI::IsMember({"text", "json"}));
    add_registry_flags(cmd, opts.registry, k_all_registry_flags);
}

} // namespace

void add_registry_command(CLI::App& app, Action& action) {
    auto* registry = app.add_subcommand("registry", "Talk to registries: check credentials, resolve digests, inspect");
    registry->require_subcommand(1);
    registry->footer(
        "Connection flags (every subcommand): --ca-file, --certs-dir, --insecure-skip-tls-verify,\n"
        "--plain-http HOST, --concurrency N, -v. Credentials: --docker-username with --password-stdin or\n"
        "--password-file, else the docker config (auths, credHelpers, credsStore).\n\n"
        "Examples:\n"
        "  kubectl image-secure registry check r.example.com --docker-username ci --password-stdin <pw\n"
        "  kubectl image-secure registry resolve -o json nginx:1.27 quay.io/jetstack/cert-manager-controller:v1.16.2\n"
        "  kubectl image-secure registry inspect r.example.com/apps/web:2.1");

    auto check = std::make_shared<RegistryCommandOptions>();
    auto* cmd = registry->add_subcommand("check", "Check that a registry accepts the credentials");
    cmd->add_option("SERVER", check->args, "Registry HOST[:PORT] or URL; HOST/REPO also checks pull access to REPO")
        ->required();
    add_registry_flags(*cmd, check->registry, k_credential_flags | k_docker_config_flag);
    cmd->footer("Exit 0 when the registry accepts the credentials (prints who and how: none, basic or token),\n"
                "1 when it rejects them, 3 when it cannot be reached. Credentials come from the flags, else\n"
                "from the docker config (auths, credHelpers, credsStore).\n\n"
                "Examples:\n"
                "  kubectl image-secure registry check registry.example.com --docker-username ci --password-stdin <pw\n"
                "  kubectl image-secure registry check registry.example.com --docker-config ~/.docker/config.json");
    cmd->callback([check, &action] { action = [check](Io& io) { return run_check(*check, io); }; });

    auto resolve = std::make_shared<RegistryCommandOptions>();
    cmd = registry->add_subcommand("resolve", "Resolve image references to digests (HEAD; no pulls counted)");
    add_image_flags(*cmd, *resolve, "Resolve every image these manifests use");
    cmd->add_option("--platform", resolve->platform, "For multi-arch images: the child for os/arch[/variant]");
    cmd->footer("Text: one line per image, 'INPUT DIGEST'. JSON: [{input, normalized, digest, mediaType}].\n"
                "A multi-arch image resolves to its index digest unless --platform picks a child.\n"
                "Missing images are reported on stderr; the exit code is then 1 (3 for network errors).\n\n"
                "Examples:\n"
                "  kubectl image-secure registry resolve nginx:1.27 quay.io/jetstack/cert-manager-controller:v1.16.2\n"
                "  kubectl image-secure registry resolve -f deploy/ -R -o json\n"
                "  kubectl image-secure registry resolve --platform linux/arm64 nginx:1.27");
    cmd->callback([resolve, &action] { action = [resolve](Io& io) { return run_resolve(*resolve, io); }; });

    auto inspect = std::make_shared<RegistryCommandOptions>();
    cmd = registry->add_subcommand("inspect", "Show media type, platforms, sizes, layers and creation time");
    add_image_flags(*cmd, *inspect, "Inspect every image these manifests use");
    cmd->footer("Sizes are compressed sizes as stored (config + layers), read from the manifests: no layer\n"
                "is downloaded. Creation time and OS come from each image's config.\n\n"
                "Examples:\n"
                "  kubectl image-secure registry inspect nginx:1.27\n"
                "  kubectl image-secure registry inspect r.example.com/apps/web:2.1 -o json");
    cmd->callback([inspect, &action] { action = [inspect](Io& io) { return run_inspect(*inspect, io); }; });
}

} // namespace image_secure::cli
