#include "cli/app.hpp"
#include "cli/exit_codes.hpp"
#include "cli/manifest_flags.hpp"
#include "cli/progress_line.hpp"
#include "cli/registry_flags.hpp"

#include <image_secure/base/digest.hpp>
#include <image_secure/base/io.hpp>
#include <image_secure/base/json_records.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/bundle/bundle.hpp>
#include <image_secure/registry/mirror.hpp>
#include <image_secure/rewrite/images.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

namespace image_secure::cli {

namespace {

struct MirrorCommandOptions {
    ManifestFlags flags;
    RegistryFlags registry;
    std::vector<std::string> refs;
    bool all_platforms = false;
    std::string platform;
    bool dry_run = false;
    bool no_referrers = false;
    bool quiet = false;
    std::string output = "text";
    std::string shard;  ///< --shard I/N
    std::string shards; ///< --shards N (the index from JOB_COMPLETION_INDEX)
    std::string to;     ///< --to oci:DIR | oci-archive:FILE
    std::string from;   ///< --from oci:DIR | oci-archive:FILE
};

/// Part I of N (0-based) of a run, or the whole run.
struct Shard {
    std::uint64_t index = 0;
    std::uint64_t count = 1;
};

Result<std::uint64_t> shard_number(const std::string& text, const char* flag, const char* what) {
    if (text.empty() || text.size() > 6
        || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return usage_error(std::string(what) + " must be a number, not \"" + text + "\"", flag);
    }
    return std::stoull(text);
}

/// --shard I/N, or --shards N with the index from JOB_COMPLETION_INDEX (an Indexed Job).
Result<Shard> parse_shard(const MirrorCommandOptions& opts) {
    Shard shard;
    if (!opts.shard.empty() && !opts.shards.empty()) {
        return usage_error("give --shard I/N or --shards N (with JOB_COMPLETION_INDEX), not both", "--shard");
    }
    if (!opts.shard.empty()) {
        const auto slash = opts.shard.find('/');
        if (slash == std::string::npos) {
            return usage_error("--shard must be I/N (part I of N, from 0), not \"" + opts.shard + "\"", "--shard");
        }
        auto index = shard_number(opts.shard.substr(0, slash), "--shard", "the part I of --shard I/N");
        auto count = shard_number(opts.shard.substr(slash + 1), "--shard", "the count N of --shard I/N");
        if (!index || !count) {
            return !index ? index.error() : count.error();
        }
        shard = {*index, *count};
    } else if (!opts.shards.empty()) {
        auto count = shard_number(opts.shards, "--shards", "--shards");
        if (!count) {
            return count.error();
        }
        const char* env = std::getenv("JOB_COMPLETION_INDEX");
        if (env == nullptr) {
            return usage_error("--shards needs JOB_COMPLETION_INDEX (set by an Indexed Job); elsewhere use --shard I/N",
                               "--shards");
        }
        auto index = shard_number(env, "--shards", "JOB_COMPLETION_INDEX");
        if (!index) {
            return index.error();
        }
        shard = {*index, *count};
    }
    if (shard.count == 0 || shard.index >= shard.count) {
        return usage_error("part " + std::to_string(shard.index) + " of " + std::to_string(shard.count)
                               + " does not exist: parts count from 0 to N-1",
                           opts.shards.empty() ? "--shard" : "--shards");
    }
    return shard;
}

/// The part of the run an image belongs to: the first 64 bits of the SHA-256 of its
/// normalised source reference, modulo N. The same on every machine and for any input order.
std::uint64_t shard_of(const Reference& source, std::uint64_t count) {
    const std::string hex = sha256_hex(source.normalized());
    return std::stoull(hex.substr(0, 16), nullptr, 16) % count;
}

/// $IMAGE_SECURE_CACHE_DIR, $XDG_CACHE_HOME/kubectl-image_secure or ~/.cache/kubectl-image_secure,
/// + blob-locations.json; "" when there is no home.
std::string blob_cache_path() {
    namespace fs = std::filesystem;
    if (const char* dir = std::getenv("IMAGE_SECURE_CACHE_DIR"); dir != nullptr && *dir != '\0') {
        return (fs::path(dir) / "blob-locations.json").string();
    }
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
        return (fs::path(xdg) / "kubectl-image_secure" / "blob-locations.json").string();
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        return (fs::path(home) / ".cache" / "kubectl-image_secure" / "blob-locations.json").string();
    }
    return {};
}

/// The images to copy: each source and the reference rewrite would write for it.
/// With --to and no --registry/--rules every image goes into the bundle (its target is itself).
Result<std::vector<MirrorItem>>
plan_items(const MirrorCommandOptions& opts, const LoadedMapping& mapping, Io& io, std::string& notes) {
    std::vector<MirrorItem> items;
    const bool every_image = !opts.to.empty() && !mapping.has_target;
    const auto add = [&items, &notes, every_image](
                         const std::string& image, ImageOutcome outcome, const std::string& target) -> Result<Ok> {
        if (every_image) {
            outcome = ImageOutcome::rewrite;
        }
        if (outcome != ImageOutcome::rewrite) {
            notes += "note: " + image + " is not copied (" + std::string(outcome_phrase(outcome)) + ")\n";
            return Ok{};
        }
        auto source = parse_reference(image);
        auto to = parse_reference(every_image ? image : target);
        if (!source || !to) {
            return input_error("invalid image reference \"" + image + "\"");
        }
        for (const auto& existing : items) {
            if (existing.source.normalized() == source->normalized()) {
                return Ok{};
            }
        }
        items.push_back(MirrorItem{*source, *to});
        return Ok{};
    };
    if (!opts.flags.files.empty()) {
        auto inputs = read_and_scan(opts.flags, mapping_scan_options(opts.flags, mapping), io);
        if (!inputs) {
            return inputs.error();
        }
        auto images = collect_images(scanned_files(*inputs), &mapping.config);
        if (!images) {
            return images.error();
        }
        for (const auto& image : *images) {
            if (!image.valid) {
                notes += "note: " + image.image + " is not a valid reference; not copied\n";
                continue;
            }
            if (auto added = add(image.image, image.outcome, image.target); !added) {
                return added.error();
            }
        }
    }
    // A REF named on the command line is copied even from the target registry itself, when it
    // is outside the --registry prefix: promotion between prefixes (blobs are mounted).
    MappingConfig promote = mapping.config;
    promote.promote_within_registry = true;
    for (const auto& ref : opts.refs) {
        auto parsed = parse_reference(ref);
        if (!parsed) {
            return usage_error("invalid reference \"" + ref + "\": " + parsed.error().what, "mirror");
        }
        auto mapped = map_image(ref, promote);
        if (!mapped) {
            return mapped.error();
        }
        if (auto added = add(parsed->normalized(), outcome_of(*mapped), mapped->target); !added) {
            return added.error();
        }
    }
    return items;
}

/// The images of a bundle (--from), each to where rewrite points it.
Result<std::vector<MirrorItem>>
bundle_items(const bundle::Layout& layout, const LoadedMapping& mapping, std::string& notes) {
    std::vector<std::string> left_out;
    std::vector<MirrorItem> items;
    for (const auto& image : bundle::bundle_images(layout, left_out)) {
        auto mapped = map_image(image.ref_name, mapping.config);
        if (!mapped) {
            return mapped.error();
        }
        const auto outcome = outcome_of(*mapped);
        if (outcome != ImageOutcome::rewrite) {
            notes += "note: " + printable(image.ref_name, 300) + " is not copied ("
                     + std::string(outcome_phrase(outcome)) + ")\n";
            continue;
        }
        auto target = parse_reference(mapped->target);
        if (!target) {
            return input_error("invalid target reference \"" + mapped->target + "\"");
        }
        items.push_back(MirrorItem{image.reference, *target});
    }
    for (const auto& note : left_out) {
        notes += "note: " + note + "\n";
    }
    return items;
}

/// "; 2 referrers copied, 1 already there" ("" without referrers).
std::string referrer_counts(const MirrorOutcome& o) {
    std::size_t moved = 0;
    for (const auto& r : o.referrers) {
        moved += r.state == ReferrerOutcome::State::present ? 0 : 1;
    }
    if (o.referrers.empty()) {
        return {};
    }
    const bool plan = o.status == MirrorOutcome::Status::planned;
    return "; " + plural(moved, "referrer", "referrers") + (plan ? " to copy, " : " copied, ")
           + std::to_string(o.referrers.size() - moved) + " already there";
}

/// One indented line per referrer copied (or to be copied), and per note.
std::string referrer_lines(const MirrorOutcome& o) {
    std::string lines;
    for (const auto& r : o.referrers) {
        if (r.state == ReferrerOutcome::State::present) {
            continue;
        }
        lines += "  " + std::string(r.state == ReferrerOutcome::State::planned ? "would copy" : "copied") + " referrer "
                 + r.digest + " (" + printable(r.kind, 120) + (r.tag.empty() ? "" : ", tag " + r.tag) + ") of "
                 + r.subject + "\n";
    }
    for (const auto& note : o.referrer_notes) {
        lines += "  note: " + note + "\n";
    }
    return lines;
}

/// One image's line. `bundle`: the layout --to writes (the arrow points there).
std::string describe(const MirrorItem& item, const MirrorOutcome& o, const std::string& bundle = {}) {
    const std::string arrow = item.source.normalized() + " -> " + (bundle.empty() ? item.target.str() : bundle);
    const std::string note = o.note.empty() ? "" : "; " + o.note;
    switch (o.status) {
    case MirrorOutcome::Status::copied:
        return "copied " + arrow + " " + o.target_digest + " (" + plural(o.blobs_copied, "blob", "blobs") + " copied, "
               + human_size(o.bytes_copied) + "; " + std::to_string(o.blobs_mounted) + " mounted; "
               + std::to_string(o.blobs_present) + " already there" + referrer_counts(o) + ")" + note;
    case MirrorOutcome::Status::up_to_date:
        return "up to date " + arrow + " " + o.target_digest
               + (o.referrers.empty() ? "" : " (" + plural(o.referrers.size(), "referrer", "referrers") + ")");
    case MirrorOutcome::Status::planned:
        return "would copy " + arrow + " " + o.target_digest + " (" + plural(o.manifests, "manifest", "manifests")
               + "; " + plural(o.blobs_copied, "blob", "blobs") + " to copy, " + human_size(o.bytes_planned) + "; "
               + std::to_string(o.blobs_mounted) + " to mount; " + std::to_string(o.blobs_present) + " present"
               + referrer_counts(o) + ")" + note;
    case MirrorOutcome::Status::failed:
        break;
    }
    return "failed " + arrow + ": " + o.step + ": " + (o.error ? o.error->message() : std::string("unknown error"));
}

Result<CommandOutput> run_mirror(MirrorCommandOptions opts, Io& io) {
    auto mapping = load_mapping(opts.flags);
    if (!mapping) {
        return mapping.error();
    }
    if (!opts.to.empty() && !opts.from.empty()) {
        return usage_error("--to writes a bundle and --from reads one: give one of them", "--to");
    }
    std::optional<bundle::BundlePath> to;
    std::optional<bundle::Layout> from;
    if (!opts.to.empty()) {
        auto parsed = bundle::parse_bundle_path(opts.to, "--to");
        if (!parsed) {
            return parsed.error();
        }
        to = *parsed;
    }
    if (!opts.from.empty()) {
        auto parsed = bundle::parse_bundle_path(opts.from, "--from");
        if (!parsed) {
            return parsed.error();
        }
        if (!opts.flags.files.empty() || !opts.refs.empty()) {
            return usage_error("--from takes the images from the bundle: no -f or image references", "--from");
        }
        auto opened = bundle::Layout::open(*parsed);
        if (!opened) {
            return opened.error();
        }
        from = std::move(*opened);
    }
    if (!mapping->has_target && !to) {
        return usage_error("nothing to do: give --registry or --rules (the same as for rewrite), or --to oci:DIR",
                           "mirror");
    }
    if (opts.flags.files.empty() && opts.refs.empty() && !from) {
        return usage_error("give -f MANIFESTS or image references", "mirror");
    }
    if (opts.all_platforms && !opts.platform.empty()) {
        return usage_error("--all-platforms and --platform cannot be combined", "--platform");
    }
    MirrorOptions options;
    if (!opts.platform.empty()) {
        auto p = oci::parse_platform(opts.platform);
        if (!p) {
            return p.error();
        }
        options.platform = *p;
    }
    options.dry_run = opts.dry_run;
    options.referrers = !opts.no_referrers;
    auto shard = parse_shard(opts);
    if (!shard) {
        return shard.error();
    }
    std::string notes;
    auto items = from ? bundle_items(*from, *mapping, notes) : plan_items(opts, *mapping, io, notes);
    if (!items) {
        return items.error();
    }
    if (shard->count > 1) {
        const std::size_t all = items->size();
        items->erase(
            std::remove_if(items->begin(),
                           items->end(),
                           [&](const MirrorItem& item) { return shard_of(item.source, shard->count) != shard->index; }),
            items->end());
        notes += "shard " + std::to_string(shard->index) + "/" + std::to_string(shard->count) + ": "
                 + std::to_string(items->size()) + " of " + plural(all, "image", "images") + "\n";
    }
    std::vector<std::string> hosts; // the destinations (--to: the sources) that credential flags are for
    for (const auto& item : *items) {
        const std::string& host = to ? item.source.domain : item.target.domain;
        if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
            hosts.push_back(host);
        }
    }
    auto registry_options = to ? make_registry_options_for_images(opts.registry, io, hosts, "mirror --to")
                               : make_registry_options(opts.registry, io, hosts);
    if (!registry_options) {
        return registry_options.error();
    }
    if (!opts.quiet) {
        io.err << notes;
    }
    RegistryClient client(std::move(*registry_options));
    // Where blobs live, remembered across runs so that a new repository can mount them.
    const std::string cache_path = blob_cache_path();
    BlobLocations locations;
    if (!cache_path.empty()) {
        if (auto text = read_file(cache_path)) {
            locations = parse_blob_locations(*text);
        }
        options.locations = &locations;
    }
    const auto started = std::chrono::steady_clock::now();
    auto progress = ProgressLine::on_terminal(io.err, opts.quiet);
    const auto& list = *items;
    const std::string bundle_name = to ? to->str() : std::string();
    if (progress.enabled()) {
        options.progress = [&progress](const MirrorProgress& p) {
            progress.show(std::to_string(p.images_done) + "/" + std::to_string(p.images_total) + " images  "
                              + human_size(p.bytes_done) + " of " + human_size(p.bytes_planned),
                          p.bytes_done);
        };
    }
    // Finished images are logged as they happen (long runs), failures even with -q.
    options.image_done = [&](std::size_t i, const MirrorOutcome& o) {
        const bool failed = o.status == MirrorOutcome::Status::failed;
        if (opts.dry_run || (!failed && (opts.quiet || opts.output != "text"))) {
            return;
        }
        progress.clear();
        // The result of each image on stdout (as a dry run's plan is), failures on stderr.
        std::ostream& stream = failed ? io.err : io.out;
        stream << (failed ? "error: " : "") << printable(describe(list[i], o, bundle_name), 4096) << '\n'
               << (failed ? std::string() : printable_lines(referrer_lines(o))) << std::flush;
    };
    std::vector<MirrorOutcome> results;
    if (to) {
        std::vector<Reference> sources;
        for (const auto& item : list) {
            sources.push_back(item.source);
        }
        std::optional<bundle::LayoutWriter> writer;
        std::optional<bundle::Layout> existing;
        if (opts.dry_run) {
            if (auto opened = bundle::Layout::open(*to)) {
                existing = std::move(*opened);
            }
        } else {
            auto created = bundle::LayoutWriter::create(*to);
            if (!created) {
                return created.error();
            }
            writer = std::move(*created);
        }
        results = bundle::write_bundle(
            client, sources, writer ? &*writer : nullptr, existing ? &*existing : nullptr, options);
    } else if (from) {
        bundle::LayoutSource source(*from);
        results = mirror_images(client, source, list, options);
    } else {
        results = mirror_images(client, list, options);
    }
    if (!cache_path.empty() && !opts.dry_run) {
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(cache_path).parent_path(), ec);
        (void)write_atomically(cache_path, render_blob_locations(locations)); // a cache: failure is harmless
    }
    progress.clear();
    CommandOutput out;
    std::size_t copied = 0;
    std::size_t current = 0;
    std::size_t failed = 0;
    std::size_t blobs_copied = 0;
    std::size_t blobs_mounted = 0;
    std::size_t blobs_present = 0;
    std::int64_t bytes = 0;
    std::size_t referrers_moved = 0;
    std::size_t referrers_there = 0;
    std::map<std::string, std::size_t> pulls; // source host -> manifest GETs a real run makes there
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& o = results[i];
        const auto& item = list[i];
        copied += o.status == MirrorOutcome::Status::copied || o.status == MirrorOutcome::Status::planned ? 1 : 0;
        current += o.status == MirrorOutcome::Status::up_to_date ? 1 : 0;
        blobs_copied += o.blobs_copied;
        blobs_mounted += o.blobs_mounted;
        blobs_present += o.blobs_present;
        bytes += o.bytes();
        for (const auto& r : o.referrers) {
            (r.state == ReferrerOutcome::State::present ? referrers_there : referrers_moved) += 1;
        }
        if (o.status == MirrorOutcome::Status::planned) {
            pulls[ascii_lower(item.source.domain)] += o.manifests + o.referrers.size();
        }
        if (o.status == MirrorOutcome::Status::failed) {
            ++failed;
            out.exit_code = std::max(out.exit_code, o.error ? exit_code_for(o.error->kind) : k_exit_network);
            if (opts.dry_run) {
                out.warnings += "error: " + describe(item, o, bundle_name) + "\n";
            }
        } else if (opts.output == "text" && opts.dry_run) {
            out.out += describe(item, o, bundle_name) + "\n" + referrer_lines(o); // the plan is the result of a dry run
        }
        static constexpr const char* k_status[] = {"copied", "up-to-date", "planned", "failed"};
        nlohmann::ordered_json r = {{"source", item.source.normalized()},
                                    {"target", to ? bundle_name : item.target.str()},
                                    {"status", k_status[static_cast<int>(o.status)]},
                                    {"digest", o.target_digest},
                                    {"blobsCopied", o.blobs_copied},
                                    {"blobsMounted", o.blobs_mounted},
                                    {"blobsPresent", o.blobs_present},
                                    {"bytes", o.bytes()}};
        if (o.error) {
            r["step"] = o.step;
            r["error"] = o.error->what;
        }
        if (!o.note.empty()) {
            r["note"] = o.note;
        }
        if (!o.referrers.empty()) {
            static constexpr const char* k_state[] = {"copied", "present", "planned"};
            nlohmann::ordered_json list_json = nlohmann::ordered_json::array();
            for (const auto& ref : o.referrers) {
                nlohmann::ordered_json one = {{"digest", ref.digest},
                                              {"subject", ref.subject},
                                              {"kind", ref.kind},
                                              {"status", k_state[static_cast<int>(ref.state)]}};
                if (!ref.tag.empty()) {
                    one["tag"] = ref.tag;
                }
                list_json.push_back(std::move(one));
            }
            r["referrers"] = std::move(list_json);
        }
        if (!o.referrer_notes.empty()) {
            r["referrerNotes"] = o.referrer_notes;
        }
        records.push_back(std::move(r));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char timing[64];
    std::snprintf(timing, sizeof timing, " in %.2f s", seconds);
    const std::string summary =
        std::string(opts.dry_run ? "mirror (dry run): " : "mirror: ") + std::to_string(copied)
        + (opts.dry_run ? " to copy, " : " copied, ") + std::to_string(current) + " up to date, "
        + std::to_string(failed) + " failed; blobs: " + std::to_string(blobs_copied)
        + (opts.dry_run ? " to copy (" : " copied (") + human_size(bytes) + "), " + std::to_string(blobs_mounted)
        + (opts.dry_run ? " to mount, " : " mounted, ") + std::to_string(blobs_present) + " already there"
        + (referrers_moved + referrers_there == 0
               ? std::string()
               : "; referrers: " + std::to_string(referrers_moved) + (opts.dry_run ? " to copy, " : " copied, ")
                     + std::to_string(referrers_there) + " already there")
        + (opts.dry_run ? "" : timing) + (copied == 0 && failed == 0 && !opts.dry_run ? "; nothing to copy" : "")
        + "\n";
    // What registries announced about their rate limits (Docker Hub: pulls per 6 h), and
    // whether the planned run fits.
    std::string limits;
    for (const auto& [host, limit] : client.rate_limits()) {
        limits += "rate limit of " + printable(host, 100) + ": " + limit.str();
        const auto need = pulls.find(host);
        if (opts.dry_run && need != pulls.end()) {
            limits += "; a real run needs about " + std::to_string(need->second) + " manifest pulls there";
            if (limit.remaining >= 0 && static_cast<std::int64_t>(need->second) > limit.remaining) {
                limits += ": it would stop when the budget is used up (log in for a higher limit, run after the "
                          "window, or split the run with --shard)";
            }
        }
        limits += "\n";
    }
    if (opts.output == "json") {
        out.out = render_json_records(records);
        if (!opts.quiet) {
            out.warnings += summary + limits;
        }
    } else if (!opts.quiet || failed > 0) {
        out.out += summary;
        out.warnings += limits;
    }
    return out;
}

} // namespace

void add_mirror_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<MirrorCommandOptions>();
    auto* cmd = app.add_subcommand("mirror", "Copy every image the manifests use to where rewrite points them");
    cmd->add_option("REF", opts->refs, "Image references (instead of, or besides, -f)");
    add_manifest_flags(*cmd, opts->flags, false);
    cmd->add_flag("--all-platforms",
                  opts->all_platforms,
                  "Copy the whole index / manifest list and every child, digests unchanged (the default)");
    cmd->add_option(
        "--platform", opts->platform, "Copy only the child for os/arch[/variant] (the tag's digest then changes)");
    cmd->add_flag("--dry-run", opts->dry_run, "Print the plan (what exists, what would be copied); write nothing");
    cmd->add_flag("--no-referrers",
                  opts->no_referrers,
                  "Do not copy signatures, attestations and SBOMs (OCI referrers, cosign .sig/.att/.sbom tags)");
    cmd->add_flag("-q,--quiet", opts->quiet, "No progress and no per-image lines; errors only");
    cmd->add_option("-o,--output", opts->output, "Output format")->check(CLI::IsMember({"text", "json"}));
    cmd->add_option("--shard",
                    opts->shard,
                    "Copy only part I of N (I from 0): a fixed, disjoint split by source image, so N machines "
                    "share a run");
    cmd->add_option("--shards", opts->shards, "In an Indexed Job: --shard $JOB_COMPLETION_INDEX/N");
    cmd->add_option("--to",
                    opts->to,
                    "Write the images into a bundle instead of a registry: oci:DIR (an OCI image layout) or "
                    "oci-archive:FILE (a tar of one), each image under its source reference");
    cmd->add_option(
        "--from", opts->from, "Push the images of a bundle (oci:DIR or oci-archive:FILE) to where rewrite points them");
    add_registry_flags(*cmd, opts->registry, k_all_registry_flags);
    cmd->footer(
        "Each source image goes to the reference 'rewrite' writes with the same --registry, --path-mode\n"
        "and --rules. Manifests are copied byte for byte (Docker and OCI stay as they are), so the\n"
        "destination digest equals the source digest. Blobs already in the destination are skipped,\n"
        "blobs in another repository of the destination are mounted, the rest are streamed without\n"
        "touching the disk, each once even when several images share it. Running it again copies only\n"
        "what is missing (an interrupted run resumes).\n\n"
        "What refers to each copied manifest comes along, digests unchanged: OCI 1.1 referrers (Notation\n"
        "signatures, SBOMs, attestations; the referrers API, else its sha256-<hex> fallback tag) and\n"
        "cosign's sha256-<hex>.sig/.att/.sbom tags, and what refers to those. A destination without the\n"
        "referrers API gets the fallback tag index. With --platform only that child's referrers are\n"
        "copied: the index's signature does not apply to one platform. --no-referrers skips them.\n\n"
        "Air gaps: --to oci:DIR (or oci-archive:FILE) writes every image (whole indexes), its referrers and\n"
        "its fully qualified source reference (org.opencontainers.image.ref.name) into an OCI image layout;\n"
        "skopeo and oras read it. Blobs stream to disk, digests checked; a run adds to an existing layout,\n"
        "keeps what is there, and writing the same images twice gives the same bytes. On the other side,\n"
        "--from oci:DIR --registry ... pushes the bundle through the same mapping as rewrite (--path-mode,\n"
        "--rules), blobs streamed from the files and checked against their digests; a re-run resumes.\n"
        "A bundle that lacks a blob, has a corrupt one, an unknown layout version or a tar member\n"
        "escaping its root is refused (exit 2) and the images it concerns are not pushed.\n\n"
        "Credential flags are for the destination (with --to: the sources)\n"
        "(or --docker-server); sources use the docker config. Exit 3 on network or registry errors.\n\n"
        "Examples:\n"
        "  kubectl image-secure mirror -f deploy/ -R --registry r.example.com/mirror --dry-run\n"
        "  kubectl image-secure mirror -f deploy/ -R --registry r.example.com/mirror --docker-config ~/.docker\n"
        "  kubectl image-secure mirror nginx:1.27 --registry r.example.com/mirror --platform linux/amd64\n"
        "  kubectl image-secure mirror -f /manifests -R --registry r.example.com/mirror --shards 4   # Indexed Job\n"
        "  kubectl image-secure mirror -f deploy/ -R --to oci-archive:images.tar        # connected side\n"
        "  kubectl image-secure mirror --from oci-archive:images.tar --registry r.example.com/mirror   # air-gapped "
        "side");
    cmd->callback([opts, &action] { action = [opts](Io& io) { return run_mirror(*opts, io); }; });
}

} // namespace image_secure::cli
