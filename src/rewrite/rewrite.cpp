#include <image_secure/base/location.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/rewrite/rewrite.hpp>

#include <algorithm>
#include <set>

namespace image_secure {

namespace {

std::string where(std::string_view source, std::size_t line, std::size_t column) {
    return format_location(source, line, column);
}

void append_unique(std::vector<std::string>& list, const std::vector<std::string>& names) {
    for (const auto& name : names) {
        if (std::find(list.begin(), list.end(), name) == list.end()) {
            list.push_back(name);
        }
    }
}

bool json_style(std::string_view text, const PodSpec& spec) {
    // A pod spec whose keys are "double-quoted" (JSON manifests) gets JSON insertions.
    std::size_t i = spec.offset;
    while (i < text.size()
           && (text[i] == '{' || text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) {
        ++i;
    }
    return i < text.size() && text[i] == '"';
}

std::string entry(std::string_view name, bool json) {
    return json ? "{\"name\": \"" + std::string(name) + "\"}" : "{name: " + std::string(name) + "}";
}

std::string flow_list(const std::vector<std::string>& names, bool json) {
    std::string out;
    for (const auto& name : names) {
        out += out.empty() ? "" : ", ";
        out += entry(name, json);
    }
    return out;
}

void plan_pull_secrets(std::string_view text,
                       std::string_view source,
                       const PodSpec& spec,
                       const std::vector<std::string>& wanted,
                       RewritePlan& plan) {
    std::vector<std::string> missing;
    for (const auto& name : wanted) {
        if (std::find(spec.pull_secrets.names.begin(), spec.pull_secrets.names.end(), name)
                == spec.pull_secrets.names.end()
            && std::find(missing.begin(), missing.end(), name) == missing.end()) {
            missing.push_back(name);
        }
    }
    if (missing.empty()) {
        return;
    }
    const bool json = json_style(text, spec);
    if (spec.pull_secrets.present) {
        if (spec.pull_secrets.null_value) {
            plan.warnings.push_back("imagePullSecrets is not a list; left as it is ("
                                    + where(source, spec.pull_secrets.line, spec.pull_secrets.column) + ")");
            return;
        }
        if (spec.pull_secrets.flow) {
            const std::string sep = spec.pull_secrets.empty ? "" : ", ";
            plan.edits.push_back({spec.pull_secrets.insert, 0, sep + flow_list(missing, json)});
        } else {
            std::string lines = spec.pull_secrets.needs_leading_break ? spec.pull_secrets.eol : "";
            for (const auto& name : missing) {
                lines += std::string(spec.pull_secrets.dash_column, ' ') + "- name: " + name + spec.pull_secrets.eol;
            }
            plan.edits.push_back({spec.pull_secrets.insert, 0, lines});
        }
        plan.pull_secrets_added += missing.size();
        return;
    }
    if (spec.flow) {
        const std::string key = json ? "\"imagePullSecrets\"" : "imagePullSecrets";
        // `{}` gets no leading comma.
        std::size_t k = spec.flow_close;
        while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\n' || text[k - 1] == '\r' || text[k - 1] == '\t')) {
            --k;
        }
        const bool empty = k > 0 && text[k - 1] == '{';
        const bool trailing_comma = k > 0 && text[k - 1] == ',';
        const std::string sep = empty || trailing_comma ? "" : ", ";
        plan.edits.push_back({k, 0, sep + key + ": [" + flow_list(missing, json) + "]"});
    } else {
        const std::string pad(spec.key_column, ' ');
        std::string lines = spec.needs_leading_break ? spec.eol : "";
        if (spec.containers_flow) {
            lines += pad + "imagePullSecrets: [" + flow_list(missing, false) + "]" + spec.eol;
        } else {
            lines += pad + "imagePullSecrets:" + spec.eol;
            const std::string dash(spec.key_column + spec.dash_offset, ' ');
            for (const auto& name : missing) {
                lines += dash + "- name: " + name + spec.eol;
            }
        }
        plan.edits.push_back({spec.insert_at, 0, lines});
    }
    plan.pull_secrets_added += missing.size();
}

} // namespace

Result<RewritePlan> plan_rewrite(std::string_view text,
                                 std::string_view source,
                                 const Manifest& manifest,
                                 const MappingConfig& config,
                                 RewriteState& state) {
    RewritePlan plan;
    // The rules that matched an image of each pod spec: their pull secrets go in rule order
    // (spec/rewrite.md), whatever order the images are written in.
    std::vector<std::set<std::size_t>> matched_rules(manifest.pod_specs.size());
    for (const auto& site : manifest.images) {
        const std::string at = where(source, site.line, site.column);
        if (site.style == ScalarStyle::alias) {
            plan.warnings.push_back("image is an alias; not rewritten (" + at + ")");
            continue;
        }
        auto mapped = map_image(site.value, config);
        if (!mapped) {
            Error error = mapped.error();
            error.where = at;
            return error;
        }
        if (site.pod_spec != k_npos && mapped->rule != 0) {
            matched_rules[site.pod_spec].insert(mapped->rule);
        }
        using Outcome = MappedImage::Outcome;
        if (mapped->outcome == Outcome::not_a_reference) {
            plan.warnings.push_back("image \"" + printable(site.value) + "\" is not a valid reference (" + mapped->note
                                    + "); left as it is (" + at + ")");
            continue;
        }
        if (mapped->outcome != Outcome::rewritten) {
            continue;
        }
        if (!site.rewritable) {
            plan.warnings.push_back("image \"" + printable(site.value)
                                    + "\" spans lines or uses a block scalar; not rewritten (" + at + ")");
            continue;
        }
        const std::string& target_repo = mapped->target_repository;
        const std::string& source_repo = mapped->source_repository;
        auto [it, inserted] = state.target_sources.emplace(target_repo, source_repo);
        if (!inserted && it->second != source_repo) {
            plan.warnings.push_back("images \"" + printable(it->second) + "\" and \"" + printable(source_repo)
                                    + "\" both map to \"" + printable(target_repo) + "\" (" + at + ")");
        }
        plan.edits.push_back({site.begin, site.end - site.begin, mapped->target});
        ++plan.images_rewritten;
    }
    // A pod spec nested in another is found after it, and both may insert at the same offset
    // (the end of the inner one). The inner text must come first, so pod-spec edits are
    // queued innermost-first before the stable sort by offset.
    std::vector<Edit> image_edits = std::move(plan.edits);
    std::vector<std::vector<Edit>> pod_edits(manifest.pod_specs.size());
    for (std::size_t i = 0; i < manifest.pod_specs.size(); ++i) {
        std::vector<std::string> wanted = config.pull_secrets;
        if (config.rules != nullptr) {
            for (const auto& rule : config.rules->rules) {
                if (matched_rules[i].count(rule.number) != 0) {
                    append_unique(wanted, rule.pull_secrets);
                }
            }
        }
        plan.edits.clear();
        plan_pull_secrets(text, source, manifest.pod_specs[i], wanted, plan);
        pod_edits[i] = std::move(plan.edits);
    }
    plan.edits = std::move(image_edits);
    for (auto it = pod_edits.rbegin(); it != pod_edits.rend(); ++it) {
        plan.edits.insert(plan.edits.end(), it->begin(), it->end());
    }
    std::stable_sort(
        plan.edits.begin(), plan.edits.end(), [](const Edit& a, const Edit& b) { return a.offset < b.offset; });
    for (std::size_t i = 1; i < plan.edits.size(); ++i) {
        const Edit& prev = plan.edits[i - 1];
        if (prev.offset + prev.length > plan.edits[i].offset) {
            return input_error("internal error: overlapping edits", std::string(source));
        }
    }
    return plan;
}

std::string apply_edits(std::string_view text, const std::vector<Edit>& edits) {
    std::size_t size = text.size();
    for (const auto& e : edits) {
        size = size - e.length + e.replacement.size();
    }
    std::string out;
    out.reserve(size);
    std::size_t pos = 0;
    for (const auto& e : edits) {
        out.append(text.substr(pos, e.offset - pos));
        out.append(e.replacement);
        pos = e.offset + e.length;
    }
    out.append(text.substr(pos));
    return out;
}

namespace {

struct Region {
    std::size_t first = 0; // first original line (0-based)
    std::size_t last = 0;  // one past the last original line
    std::vector<Edit> edits;
};

std::vector<std::string_view> split_keep(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        lines.push_back(text.substr(pos, end - pos));
        pos = end;
    }
    return lines;
}

void emit(std::string& out, char mark, std::string_view line) {
    out += mark;
    out.append(line);
    if (line.empty() || line.back() != '\n') {
        out += "\n\\ No newline at end of file\n";
    }
}

} // namespace

std::string unified_diff(std::string_view path, std::string_view text, const std::vector<Edit>& edits) {
    if (edits.empty()) {
        return {};
    }
    const auto lines = split_keep(text);
    std::vector<std::size_t> starts;
    std::size_t acc = 0;
    for (const auto line : lines) {
        starts.push_back(acc);
        acc += line.size();
    }
    starts.push_back(text.size());
    auto line_of = [&](std::size_t offset) {
        return static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end() - 1, offset) - starts.begin())
               - 1;
    };
    std::vector<Region> regions;
    for (const auto& e : edits) {
        Region r;
        const bool at_line_start = e.offset == text.size() || e.offset == starts[line_of(e.offset)];
        if (e.length == 0 && at_line_start) {
            r.first = r.last = e.offset == text.size() ? lines.size() : line_of(e.offset);
            if (e.offset == text.size() && !text.empty() && text.back() != '\n') {
                r.first = lines.size() - 1; // rewrites the unterminated last line
                r.last = lines.size();
            }
        } else {
            r.first = line_of(e.offset);
            r.last = line_of(e.offset + (e.length == 0 ? 0 : e.length - 1)) + 1;
        }
        r.edits.push_back(e);
        if (!regions.empty() && r.first < regions.back().last) {
            regions.back().last = std::max(regions.back().last, r.last);
            regions.back().edits.push_back(e);
        } else if (!regions.empty() && r.first == regions.back().last && r.first == r.last
                   && regions.back().first == regions.back().last) {
            regions.back().edits.push_back(e);
        } else {
            regions.push_back(std::move(r));
        }
    }
    std::string out = "--- a/" + std::string(path) + "\n+++ b/" + std::string(path) + "\n";
    constexpr std::size_t k_context = 3;
    long delta = 0;
    std::size_t i = 0;
    while (i < regions.size()) {
        std::size_t j = i;
        while (j + 1 < regions.size() && regions[j + 1].first <= regions[j].last + 2 * k_context) {
            ++j;
        }
        const std::size_t start = regions[i].first > k_context ? regions[i].first - k_context : 0;
        const std::size_t end = std::min(lines.size(), regions[j].last + k_context);
        std::string body;
        std::size_t old_count = 0;
        std::size_t new_count = 0;
        std::size_t line = start;
        for (std::size_t k = i; k <= j; ++k) {
            const Region& r = regions[k];
            for (; line < r.first; ++line) {
                emit(body, ' ', lines[line]);
                ++old_count;
                ++new_count;
            }
            const std::size_t byte_begin = starts[r.first];
            const std::size_t byte_end = starts[std::min(r.last, lines.size())];
            std::vector<Edit> local = r.edits;
            for (auto& e : local) {
                e.offset -= byte_begin;
            }
            const std::string replaced = apply_edits(text.substr(byte_begin, byte_end - byte_begin), local);
            for (std::size_t l = r.first; l < r.last; ++l) {
                emit(body, '-', lines[l]);
                ++old_count;
            }
            for (const auto nl : split_keep(replaced)) {
                emit(body, '+', nl);
                ++new_count;
            }
            line = r.last;
        }
        for (; line < end; ++line) {
            emit(body, ' ', lines[line]);
            ++old_count;
            ++new_count;
        }
        const auto old_start = old_count == 0 ? start : start + 1;
        const auto new_start_base = static_cast<long>(start) + delta;
        const auto new_start = new_count == 0 ? new_start_base : new_start_base + 1;
        out += "@@ -" + std::to_string(old_start) + "," + std::to_string(old_count) + " +" + std::to_string(new_start)
               + "," + std::to_string(new_count) + " @@\n" + body;
        delta += static_cast<long>(new_count) - static_cast<long>(old_count);
        i = j + 1;
    }
    return out;
}

} // namespace image_secure
