#include "cli/app.hpp"

#include <image_secure/base/io.hpp>
#include <image_secure/reference/reference.hpp>
#include <image_secure/secret/json_writer.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace image_secure::cli {

namespace {

struct RefOptions {
    std::string output = "json";
    std::string file;
    std::vector<std::string> refs;
};

// `prefix` is the literal JSON that precedes the value (`"key": `, with a leading ", "
// after the first field): the keys are constants and need no escaping at run time.
void append_field(std::string& out, std::string_view prefix, std::string_view value) {
    out += prefix;
    append_json_string(out, value);
}

void append_ref_json(std::string& out, std::string_view input, const Result<Reference>& ref) {
    append_field(out, "{\"input\": ", input);
    if (!ref) {
        out += ", \"valid\": false";
        append_field(out, ", \"error\": ", ref.error().what);
        out += R"(, "domain": "", "path": "", "tag": "", "digest": "", "name": "", "familiar": "", "normalized": ""})";
        return;
    }
    out += ", \"valid\": true, \"error\": \"\"";
    append_field(out, ", \"domain\": ", ref->domain);
    append_field(out, ", \"path\": ", ref->path);
    append_field(out, ", \"tag\": ", ref->tag);
    append_field(out, ", \"digest\": ", ref->digest);
    append_field(out, ", \"name\": ", ref->name());
    append_field(out, ", \"familiar\": ", ref->familiar());
    append_field(out, ", \"normalized\": ", ref->normalized());
    out += '}';
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        lines.push_back(line);
        if (nl == std::string_view::npos) {
            break;
        }
        text.remove_prefix(nl + 1);
    }
    return lines;
}

Result<CommandOutput> run_ref(const RefOptions& opts, Io& io) {
    std::string file_text;
    std::vector<std::string_view> refs(opts.refs.begin(), opts.refs.end());
    if (!opts.file.empty()) {
        if (!opts.refs.empty()) {
            return usage_error("give references as arguments or with -f, not both", "ref");
        }
        if (opts.file == "-") {
            file_text = read_stream(io.in);
        } else {
            auto bytes = read_file(opts.file);
            if (!bytes) {
                return bytes.error();
            }
            file_text = std::move(*bytes);
        }
        refs = split_lines(file_text);
    } else if (refs.empty()) {
        return usage_error("at least one reference is required", "ref");
    }
    // From here nothing can fail (an invalid reference is a result, not an error), so the
    // output streams in chunks instead of being held whole: `ref -f` on a million
    // references would otherwise build a 300 MB string.
    constexpr std::size_t k_chunk = 1U << 20U;
    CommandOutput result;
    const bool json = opts.output == "json";
    std::string out;
    out.reserve(k_chunk + 4096);
    if (json) {
        out += "[";
    }
    bool first = true;
    for (const auto input : refs) {
        const auto ref = parse_reference(input);
        if (!ref) {
            result.exit_code = 1;
        }
        if (json) {
            out += first ? "\n  " : ",\n  ";
            append_ref_json(out, input, ref);
        } else if (ref) {
            out += ref->normalized();
            out += '\n';
        } else {
            out += "invalid\t";
            out += ref.error().what;
            out += '\n';
        }
        first = false;
        if (out.size() >= k_chunk) {
            io.out.write(out.data(), static_cast<std::streamsize>(out.size()));
            out.clear();
        }
    }
    if (json) {
        out += refs.empty() ? "]\n" : "\n]\n";
    }
    result.out = std::move(out);
    return result;
}

} // namespace

void add_ref_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<RefOptions>();
    auto* cmd = app.add_subcommand("ref", "Parse and normalise image references (docker/distribution grammar)");
    cmd->footer("Examples:\n"
                "  kubectl image-secure ref nginx quay.io/prometheus/node-exporter:v1.8.2\n"
                "  kubectl image-secure ref -o text -f images.txt\n"
                "  kubectl image-secure ref -- -not-a-ref\n"
                "JSON: one object per reference with input, valid, error, domain, path, tag, digest,\n"
                "name, familiar and normalized. Text: the normalized reference, or 'invalid<TAB>why'.\n"
                "Exit 1 when any reference is invalid.");
    cmd->add_option("-o,--output", opts->output, "Output format")->check(CLI::IsMember({"json", "text"}));
    cmd->add_option("-f,--filename", opts->file, "Read references from FILE, one per line ('-' for stdin)");
    cmd->add_option("refs", opts->refs, "Image references");
    cmd->callback([opts, &action] { action = [opts](Io& io) { return run_ref(*opts, io); }; });
}

} // namespace image_secure::cli
