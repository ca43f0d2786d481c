// Hand-written, single-pass parser for the distribution/reference v0.6.0 grammar.
// No regex engine: the upstream patterns make backtracking engines blow up (spec/reference.md §6.1).
#include <image_secure/base/text.hpp>
#include <image_secure/reference/reference.hpp>

#include <algorithm>
#include <utility>

namespace image_secure {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool is_word(char c) { return is_alnum(c) || c == '_'; }

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool has_upper(std::string_view s) {
    return std::any_of(
        s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80; });
}

// alnum (separator alnum)* with separator = [._] | __ | -+
bool is_path_component(std::string_view s) {
    if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) {
        return false;
    }
    std::size_t i = 0;
    while (i < s.size()) {
        if (is_lower_alnum(s[i])) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < s.size() && !is_lower_alnum(s[j])) {
            ++j;
        }
        const std::string_view sep = s.substr(i, j - i);
        const bool dashes = std::all_of(sep.begin(), sep.end(), [](char c) { return c == '-'; });
        if (!(sep == "." || sep == "_" || sep == "__" || dashes)) {
            return false;
        }
        i = j;
    }
    return true;
}

// [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view s) {
    if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_domain_name(std::string_view s) {
    while (true) {
        const auto dot = s.find('.');
        if (!is_domain_component(s.substr(0, dot))) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        s.remove_prefix(dot + 1);
    }
}

bool is_digest_algorithm(std::string_view s) {
    // [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*
    std::size_t i = 0;
    while (true) {
        if (i >= s.size() || !is_alpha(s[i])) {
            return false;
        }
        ++i;
        while (i < s.size() && is_alnum(s[i])) {
            ++i;
        }
        if (i == s.size()) {
            return true;
        }
        const char c = s[i];
        if (c != '-' && c != '_' && c != '+' && c != '.') {
            return false;
        }
        ++i;
    }
}

// The regex level of a digest: algorithm ":" hex{32,}
bool matches_digest_pattern(std::string_view s) {
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || !is_digest_algorithm(s.substr(0, colon))) {
        return false;
    }
    const std::string_view hex = s.substr(colon + 1);
    return hex.size() >= 32 && std::all_of(hex.begin(), hex.end(), is_hex);
}

struct Split {
    std::string_view name;
    std::string_view tag;
    std::string_view digest;
    bool has_tag = false;
};

struct NameParts {
    std::string_view domain;
    std::string_view path;
};

// Whole-string match against the `reference` regex; fills the parts on success.
bool match_reference(std::string_view s, Split& out, NameParts& name) {
    std::string_view rest = s;
    const auto at = rest.find('@');
    if (at != std::string_view::npos) {
        out.digest = rest.substr(at + 1);
        if (!matches_digest_pattern(out.digest)) {
            return false;
        }
        rest = rest.substr(0, at);
    }
    const auto last_slash = rest.rfind('/');
    const auto tag_search_from = last_slash == std::string_view::npos ? 0 : last_slash + 1;
    const auto colon = rest.find(':', tag_search_from);
    if (colon != std::string_view::npos) {
        out.tag = rest.substr(colon + 1);
        out.has_tag = true;
        if (out.tag.empty() || out.tag.size() > 128 || !is_word(out.tag.front())
            || !std::all_of(
                out.tag.begin(), out.tag.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; })) {
            return false;
        }
        rest = rest.substr(0, colon);
    }
    out.name = rest;
    // The optional domain is tried first (greedy), then the whole name as a path.
    const auto slash = rest.find('/');
    if (slash != std::string_view::npos && is_valid_domain(rest.substr(0, slash))
        && is_valid_path(rest.substr(slash + 1))) {
        name.domain = rest.substr(0, slash);
        name.path = rest.substr(slash + 1);
        return true;
    }
    if (is_valid_path(rest)) {
        name.domain = {};
        name.path = rest;
        return true;
    }
    return false;
}

bool is_identifier(std::string_view s) {
    return s.size() == 64
           && std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); });
}

Error ref_error(std::string what) { return input_error(std::move(what)); }

} // namespace

bool is_valid_domain(std::string_view s) {
    // host [":" port], host = domain-name | "[" ipv6 "]"
    std::string_view host = s;
    if (!s.empty() && s.front() == '[') {
        const auto close = s.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        const std::string_view v6 = s.substr(1, close - 1);
        if (v6.empty() || !std::all_of(v6.begin(), v6.end(), [](char c) { return is_hex(c) || c == ':'; })) {
            return false;
        }
        host = {};
        s.remove_prefix(close + 1);
    } else {
        const auto colon = s.find(':');
        host = s.substr(0, colon);
        if (!is_domain_name(host)) {
            return false;
        }
        s = colon == std::string_view::npos ? std::string_view{} : s.substr(colon);
    }
    if (s.empty()) {
        return true;
    }
    if (s.front() != ':' || s.size() < 2) {
        return false;
    }
    s.remove_prefix(1);
    return std::all_of(s.begin(), s.end(), is_digit);
}

bool is_valid_path(std::string_view s) {
    while (true) {
        const auto slash = s.find('/');
        if (!is_path_component(s.substr(0, slash))) {
            return false;
        }
        if (slash == std::string_view::npos) {
            return true;
        }
        s.remove_prefix(slash + 1);
    }
}

bool is_valid_tag(std::string_view s) {
    return !s.empty() && s.size() <= 128 && is_word(s.front())
           && std::all_of(s.begin(), s.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

Result<Ok> validate_digest(std::string_view s) {
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) {
        return ref_error("invalid checksum digest format");
    }
    const std::string_view algorithm = s.substr(0, colon);
    const std::string_view encoded = s.substr(colon + 1);
    std::size_t size = 0;
    if (algorithm == "sha256") {
        size = 64;
    } else if (algorithm == "sha384") {
        size = 96;
    } else if (algorithm == "sha512") {
        size = 128;
    } else {
        if (!matches_digest_pattern(s)) {
            return ref_error("invalid checksum digest format");
        }
        return ref_error("unsupported digest algorithm");
    }
    if (encoded.size() != size) {
        return ref_error("invalid checksum digest length");
    }
    if (!std::all_of(encoded.begin(), encoded.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); })) {
        return ref_error("invalid checksum digest format");
    }
    return Ok{};
}

Result<Reference> parse_reference(std::string_view s) {
    if (is_identifier(s)) {
        return ref_error("invalid repository name (" + std::string(s)
                         + "), cannot specify 64-byte hexadecimal strings");
    }
    // splitDockerDomain
    std::string_view domain = "docker.io";
    std::string_view remainder = s;
    const auto slash = s.find('/');
    if (slash != std::string_view::npos) {
        const std::string_view first = s.substr(0, slash);
        if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" || has_upper(first)) {
            domain = first;
            remainder = s.substr(slash + 1);
        }
    }
    if (domain == "index.docker.io") {
        domain = "docker.io";
    }
    std::string full;
    full.reserve(domain.size() + remainder.size() + 10);
    full.append(domain).push_back('/');
    if (domain == "docker.io" && remainder.find('/') == std::string_view::npos) {
        full.append("library/");
    }
    full.append(remainder);
    const std::string_view normalized_rest = std::string_view(full).substr(domain.size() + 1);
    const std::string_view remote = normalized_rest.substr(0, normalized_rest.find(':'));
    if (has_upper(remote)) {
        return ref_error("invalid reference format: repository name (" + std::string(remote) + ") must be lowercase");
    }
    // Parse(domain + "/" + remainder)
    Split split;
    NameParts parts;
    if (!match_reference(full, split, parts)) {
        Split ignored;
        NameParts ignored_parts;
        if (match_reference(ascii_lower(full), ignored, ignored_parts)) {
            return ref_error("invalid reference format: repository name must be lowercase");
        }
        return ref_error("invalid reference format");
    }
    if (parts.path.size() > k_max_path_length) {
        return ref_error("repository name must not be more than 255 characters");
    }
    if (!split.digest.empty()) {
        if (auto valid = validate_digest(split.digest); !valid) {
            return valid.error();
        }
    }
    Reference ref;
    ref.domain = std::string(parts.domain);
    ref.path = std::string(parts.path);
    ref.tag = std::string(split.tag);
    ref.digest = std::string(split.digest);
    return ref;
}

std::string Reference::name() const { return domain.empty() ? path : domain + "/" + path; }

std::string with_tag_and_digest(std::string name, std::string_view tag, std::string_view digest) {
    if (!tag.empty()) {
        name += ':';
        name.append(tag);
    }
    if (!digest.empty()) {
        name += '@';
        name.append(digest);
    }
    return name;
}

std::string Reference::str() const { return with_tag_and_digest(name(), tag, digest); }

std::string Reference::familiar() const {
    std::string out;
    if (domain == "docker.io") {
        std::string_view rest = path;
        constexpr std::string_view library = "library/";
        if (rest.substr(0, library.size()) == library
            && rest.substr(library.size()).find('/') == std::string_view::npos) {
            rest.remove_prefix(library.size());
        }
        out = std::string(rest);
    } else {
        out = name();
    }
    return with_tag_and_digest(std::move(out), tag, digest);
}

std::string Reference::normalized() const {
    if (tag.empty() && digest.empty()) {
        return name() + ":latest";
    }
    return str();
}

bool is_docker_hub_host(std::string_view host) {
    const std::string lower = ascii_lower(host);
    return lower == k_docker_hub || lower == k_docker_hub_index || lower == k_docker_hub_api;
}

bool same_host(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ascii_lower(a) == ascii_lower(b);
}

} // namespace image_secure
