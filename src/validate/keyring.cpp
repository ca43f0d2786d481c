// The kubelet's view of pull secrets (spec/secret.md §8–9): which Secrets it can use and
// which `auths` keys give credentials for an image.
#include <image_secure/base/encoding.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/validate/validate.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

namespace image_secure {

namespace {

// Go filepath.Match for one host label: '*', '?', '[...]' (ranges, '^' negation), '\' escape.
bool glob_match(std::string_view pattern, std::string_view name) {
    std::size_t p = 0;
    std::size_t n = 0;
    std::size_t star_p = std::string_view::npos;
    std::size_t star_n = 0;
    auto match_class = [&](std::size_t& pi, char c) -> std::optional<bool> {
        // pattern[pi] == '['; advances pi past ']'
        std::size_t i = pi + 1;
        bool negate = false;
        if (i < pattern.size() && pattern[i] == '^') {
            negate = true;
            ++i;
        }
        bool matched = false;
        bool first = true;
        while (i < pattern.size() && (first || pattern[i] != ']')) {
            first = false;
            char lo = pattern[i];
            if (lo == '\\' && i + 1 < pattern.size()) {
                lo = pattern[++i];
            }
            char hi = lo;
            if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
                hi = pattern[i + 2];
                i += 2;
            }
            if (c >= lo && c <= hi) {
                matched = true;
            }
            ++i;
        }
        if (i >= pattern.size()) {
            return std::nullopt; // malformed: filepath.ErrBadPattern
        }
        pi = i + 1;
        return matched != negate;
    };
    while (n < name.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star_p = p++;
            star_n = n;
            continue;
        }
        if (p < pattern.size()) {
            std::size_t next = p;
            bool ok = false;
            if (pattern[p] == '?') {
                ok = true;
                next = p + 1;
            } else if (pattern[p] == '[') {
                const auto r = match_class(next, name[n]);
                if (!r) {
                    return false;
                }
                ok = *r;
            } else {
                char c = pattern[p];
                next = p + 1;
                if (c == '\\' && p + 1 < pattern.size()) {
                    c = pattern[p + 1];
                    next = p + 2;
                }
                ok = c == name[n];
            }
            if (ok) {
                p = next;
                ++n;
                continue;
            }
        }
        if (star_p == std::string_view::npos) {
            return false;
        }
        p = star_p + 1;
        n = ++star_n;
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

struct ParsedUrl {
    std::string host; // without port; IPv6 without brackets
    std::string port;
    std::string path;
};

// What Go's url.Parse("https://" + s) yields for the parts the kubelet uses; nullopt when
// it fails (the kubelet then drops the entry).
std::optional<ParsedUrl> parse_url(std::string_view s) {
    if (s.substr(0, 8) == "https://") {
        s.remove_prefix(8);
    } else if (s.substr(0, 7) == "http://") {
        s.remove_prefix(7);
    }
    const auto end_authority = s.find_first_of("/?#");
    std::string_view authority = s.substr(0, end_authority);
    std::string_view rest = end_authority == std::string_view::npos ? std::string_view{} : s.substr(end_authority);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    ParsedUrl url;
    std::string_view port_part;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        const auto inside = authority.substr(1, close - 1);
        if (inside.empty() || !std::all_of(inside.begin(), inside.end(), [](char c) {
                return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':'
                       || c == '.';
            })) {
            return std::nullopt;
        }
        url.host = std::string(inside);
        port_part = authority.substr(close + 1);
    } else {
        const auto colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        port_part = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
    }
    if (!port_part.empty()) {
        if (port_part.front() != ':'
            || !std::all_of(port_part.begin() + 1, port_part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return std::nullopt; // "invalid port"
        }
        url.port = std::string(port_part.substr(1));
    }
    url.path = std::string(rest.substr(0, rest.find_first_of("?#")));
    return url;
}

// BasicDockerKeyring.Add: the index key of an `auths` entry, or nullopt when dropped.
std::optional<std::string> index_key(std::string_view key) {
    const auto url = parse_url(key);
    if (!url) {
        return std::nullopt;
    }
    std::string path = url->path;
    if (path.rfind("/v1/", 0) == 0 || path.rfind("/v2/", 0) == 0) {
        path = path.substr(3);
    }
    std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
    if (!url->port.empty()) {
        host += ":" + url->port;
    }
    return path.empty() || path == "/" ? host : host + path;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto pos = s.find(sep, start);
        parts.emplace_back(s.substr(start, pos - start));
        if (pos == std::string_view::npos) {
            return parts;
        }
        start = pos + 1;
    }
}

bool is_docker_hub_repo(std::string_view repo) {
    const auto first = repo.substr(0, repo.find('/'));
    return first == "docker.io" || first == "index.docker.io" || first.find_first_of(".:") == std::string_view::npos;
}

} // namespace

bool auths_key_matches(std::string_view key, std::string_view repo) {
    const auto indexed = index_key(key);
    if (!indexed) {
        return false;
    }
    const auto glob = parse_url(*indexed);
    const auto target = parse_url(repo);
    if (!glob || !target || glob->port != target->port) {
        return false;
    }
    const auto glob_labels = split(glob->host, '.');
    const auto target_labels = split(target->host, '.');
    if (glob_labels.size() != target_labels.size()) {
        return false;
    }
    for (std::size_t i = 0; i < glob_labels.size(); ++i) {
        if (!glob_match(glob_labels[i], target_labels[i])) {
            return false;
        }
    }
    return target->path.rfind(glob->path, 0) == 0;
}

bool auths_cover(const std::vector<std::string>& keys, std::string_view repo) {
    for (const auto& key : keys) {
        if (auths_key_matches(key, repo)) {
            return true;
        }
    }
    // The default-registry fallback: a key indexed exactly as index.docker.io covers Docker Hub.
    if (is_docker_hub_repo(repo)) {
        return std::any_of(keys.begin(), keys.end(), [](const std::string& key) {
            const auto indexed = index_key(key);
            return indexed && *indexed == "index.docker.io";
        });
    }
    return false;
}

namespace {

// DockerConfigEntry.UnmarshalJSON: a non-empty `auth` must decode to "user:password".
std::string entry_problem(const std::string& server, const nlohmann::json& entry) {
    if (!entry.is_object()) {
        return "its entry for \"" + server + "\" is not an object";
    }
    const auto auth = entry.find("auth");
    if (auth == entry.end() || !auth->is_string() || auth->get<std::string>().empty()) {
        return {};
    }
    std::string decoded;
    if (!base64_decode(auth->get<std::string>(), decoded) || decoded.find(':') == std::string::npos) {
        return "the auth of its entry for \"" + server + "\" does not decode to user:password";
    }
    return {};
}

} // namespace

std::string pull_secret_problem(const SecretFact& secret, std::vector<std::string>& auths_keys) {
    const bool json_type = secret.type == "kubernetes.io/dockerconfigjson";
    const bool legacy_type = secret.type == "kubernetes.io/dockercfg";
    if (!json_type && !legacy_type) {
        return "has type " + (secret.type.empty() ? std::string("Opaque") : secret.type)
               + ", not kubernetes.io/dockerconfigjson";
    }
    const std::string key = json_type ? ".dockerconfigjson" : ".dockercfg";
    const std::string& data = json_type ? secret.dockerconfigjson : secret.dockercfg;
    if (data.empty()) {
        return "has no " + key + " data";
    }
    std::string decoded;
    if (!base64_decode(data, decoded)) {
        return "has " + key + " data that is not valid base64";
    }
    const auto json = nlohmann::json::parse(decoded, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        return "has " + key + " data that is not a JSON object";
    }
    const nlohmann::json* servers = &json;
    if (json_type) {
        const auto auths = json.find("auths");
        if (auths == json.end() || !auths->is_object()) {
            return "has no auths object in " + key;
        }
        servers = &*auths;
    }
    for (const auto& [server, entry] : servers->items()) {
        if (auto problem = entry_problem(server, entry); !problem.empty()) {
            return problem;
        }
        auths_keys.push_back(server);
    }
    return {};
}

} // namespace image_secure
