#include <image_secure/base/text.hpp>
#include <image_secure/rewrite/mapping.hpp>

#include <algorithm>

namespace image_secure {

Result<PathMode> parse_path_mode(std::string_view text) {
    if (text == "keep") {
        return PathMode::keep;
    }
    if (text == "flatten") {
        return PathMode::flatten;
    }
    if (text == "host") {
        return PathMode::host;
    }
    return usage_error("path mode must be keep, flatten or host, not \"" + std::string(text) + "\"");
}

Result<RegistryTarget> parse_registry_target(std::string_view text) {
    RegistryTarget target;
    const auto slash = text.find('/');
    target.host = std::string(text.substr(0, slash));
    if (slash != std::string_view::npos) {
        target.prefix = std::string(text.substr(slash + 1));
        while (!target.prefix.empty() && target.prefix.back() == '/') {
            target.prefix.pop_back();
        }
    }
    if (target.host.find("://") != std::string::npos || text.find("://") != std::string_view::npos) {
        return usage_error("registry must be HOST[:PORT][/PREFIX] without a scheme, not \"" + std::string(text) + "\"");
    }
    if (!is_valid_domain(target.host)
        || (target.host.find_first_of(".:") == std::string::npos && target.host != "localhost"
            && std::none_of(target.host.begin(), target.host.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))) {
        return usage_error("registry host \"" + target.host
                           + "\" is not a registry host (it needs a '.', a ':port' or to be localhost)");
    }
    if (!target.prefix.empty() && !is_valid_path(target.prefix)) {
        return usage_error("registry prefix \"" + target.prefix + "\" is not a valid repository path");
    }
    return target;
}

namespace {

std::string last_component(std::string_view path) {
    const auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// The repository (no tag/digest) under `target` for `ref`, per path mode.
Result<std::string> layout(const Reference& ref, const RegistryTarget& target, PathMode mode) {
    std::string repo = target.str() + "/";
    switch (mode) {
    case PathMode::keep:
        repo += ref.path;
        break;
    case PathMode::flatten:
        repo += last_component(ref.path);
        break;
    case PathMode::host: {
        if (ref.domain.empty()) {
            return input_error("image \"" + ref.str()
                               + "\" has no valid registry host; path mode host cannot place it");
        }
        std::string host = ascii_lower(ref.domain);
        std::replace(host.begin(), host.end(), ':', '_');
        repo += host + "/" + ref.path;
        break;
    }
    }
    return repo;
}

} // namespace

// Defined in rules.cpp (RE2 lives there).
bool regex_full_match(const RegexMatcher& matcher, std::string_view text, std::vector<std::string>& groups);

namespace {

std::string expand_replace(std::string_view pattern,
                           const std::vector<std::string>& groups,
                           const Reference& ref,
                           const std::optional<RegistryTarget>& registry) {
    std::string out;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '$' && i + 1 < pattern.size() && pattern[i + 1] >= '1' && pattern[i + 1] <= '9') {
            const auto n = static_cast<std::size_t>(pattern[i + 1] - '0');
            if (n < groups.size()) {
                out += groups[n];
            }
            ++i;
            continue;
        }
        if (c == '$' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
            const auto close = pattern.find('}', i);
            if (close != std::string_view::npos) {
                const auto var = pattern.substr(i + 2, close - i - 2);
                if (var == "host") {
                    out += ref.domain;
                } else if (var == "path") {
                    out += ref.path;
                } else if (var == "basename") {
                    out += last_component(ref.path);
                } else if (var == "registry") {
                    out += registry ? registry->str() : "";
                }
                i = close;
                continue;
            }
        }
        out += c;
    }
    return out;
}

std::string_view host_of(std::string_view repo) { return repo.substr(0, repo.find('/')); }

bool is_target_host(std::string_view host, const MappingConfig& config) {
    const auto hosts = target_hosts(config);
    return !host.empty() && std::any_of(hosts.begin(), hosts.end(), [&](const std::string& target) {
        return same_host(host, target);
    });
}

bool rule_matches(const Rule& rule, const Reference& ref, std::vector<std::string>& groups) {
    switch (rule.match) {
    case Rule::Match::registry:
        return same_host(ref.domain, rule.pattern);
    case Rule::Match::name:
        return ref.name() == rule.pattern;
    case Rule::Match::regex:
        return regex_full_match(*rule.regex, ref.name(), groups);
    }
    return false;
}

} // namespace

namespace {

const std::string* pin_for(const Reference& ref, const MappingConfig& config) {
    if (config.pins == nullptr || !ref.digest.empty()) {
        return nullptr;
    }
    const auto it = config.pins->find(ref.normalized());
    return it == config.pins->end() ? nullptr : &it->second;
}

} // namespace

std::vector<std::string> target_hosts(const MappingConfig& config) {
    std::vector<std::string> hosts;
    const auto add = [&hosts](std::string_view host) {
        std::string lower = ascii_lower(host);
        if (!lower.empty() && std::find(hosts.begin(), hosts.end(), lower) == hosts.end()) {
            hosts.push_back(std::move(lower));
        }
    };
    if (config.registry) {
        add(config.registry->host);
    }
    if (config.rules != nullptr) {
        for (const auto& rule : config.rules->rules) {
            if (rule.registry) {
                add(rule.registry->host);
            }
            if (!rule.new_name.empty()) {
                add(host_of(rule.new_name));
            }
            const auto replace_host = host_of(rule.replace);
            if (!rule.replace.empty() && replace_host.find('$') == std::string_view::npos) {
                add(replace_host);
            }
        }
    }
    return hosts;
}

Result<MappedImage> map_image(std::string_view value, const MappingConfig& config) {
    MappedImage mapped;
    auto parsed = parse_reference(value);
    if (!parsed) {
        mapped.outcome = MappedImage::Outcome::not_a_reference;
        mapped.note = parsed.error().what;
        return mapped;
    }
    const Reference& ref = *parsed;
    mapped.source_repository = ref.name();
    const bool under_prefix =
        config.registry && !config.registry->prefix.empty()
        && (ref.path == config.registry->prefix || ref.path.rfind(config.registry->prefix + "/", 0) == 0);
    const bool promote = config.promote_within_registry && config.registry && !config.registry->prefix.empty()
                         && same_host(ref.domain, config.registry->host) && !under_prefix;
    if (is_target_host(ref.domain, config) && !promote) {
        // Already where a rewrite would put it: never move it again (idempotence).
        mapped.outcome = MappedImage::Outcome::already_private;
        if (const std::string* digest = pin_for(ref, config)) {
            mapped.outcome = MappedImage::Outcome::rewritten;
            mapped.target = ref.str() + "@" + *digest;
            mapped.target_repository = ref.name();
        }
        return mapped;
    }
    const Rule* rule = nullptr;
    std::vector<std::string> groups;
    if (config.rules != nullptr) {
        for (const auto& candidate : config.rules->rules) {
            groups.clear();
            if (rule_matches(candidate, ref, groups)) {
                rule = &candidate;
                break;
            }
        }
    }
    std::optional<RegistryTarget> registry = config.registry;
    PathMode mode = config.path_mode;
    std::string repo;
    std::string tag = ref.tag;
    std::string digest = ref.digest;
    if (rule != nullptr) {
        mapped.rule = rule->number;
        if (rule->skip) {
            mapped.outcome = MappedImage::Outcome::skipped;
            mapped.note = "rule " + std::to_string(rule->number) + " skips it";
            return mapped;
        }
        if (rule->registry) {
            registry = rule->registry;
        }
        if (rule->path_mode) {
            mode = *rule->path_mode;
        }
        if (!rule->new_name.empty()) {
            repo = rule->new_name;
        } else if (!rule->replace.empty()) {
            repo = expand_replace(rule->replace, groups, ref, registry);
        }
        if (!rule->new_tag.empty()) {
            tag = rule->new_tag;
            digest.clear(); // the old digest belongs to the old tag
        }
        if (!rule->digest.empty()) {
            digest = rule->digest;
        }
    }
    if (repo.empty()) {
        if (!registry) {
            mapped.outcome = MappedImage::Outcome::no_target;
            return mapped;
        }
        auto laid_out = layout(ref, *registry, mode);
        if (!laid_out) {
            return laid_out.error();
        }
        repo = std::move(*laid_out);
    }
    std::string target = with_tag_and_digest(repo, tag, digest);
    auto check = parse_reference(target);
    if (check && check->digest.empty()) {
        if (const std::string* pinned = pin_for(*check, config)) {
            target += "@" + *pinned;
            check = parse_reference(target);
        }
    }
    if (!check || check->str() != target) {
        const std::string who = rule != nullptr ? "rule " + std::to_string(rule->number) : "the mapping";
        return input_error(who + " produced invalid reference \"" + target + "\" for image \"" + std::string(value)
                           + "\"" + (check ? "" : ": " + check.error().what));
    }
    if (target == value) {
        mapped.outcome = MappedImage::Outcome::already_private;
        return mapped;
    }
    mapped.outcome = MappedImage::Outcome::rewritten;
    mapped.target = target;
    mapped.target_repository = check->name();
    return mapped;
}

} // namespace image_secure
