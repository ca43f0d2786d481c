#include <image_secure/base/text.hpp>
#include <image_secure/registry/registry_auth.hpp>

#include <nlohmann/json.hpp>

namespace image_secure {

namespace {

bool is_token_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127) {
        return false;
    }
    return std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

void skip_space(std::string_view text, std::size_t& i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
        ++i;
    }
}

std::string read_token(std::string_view text, std::size_t& i) {
    const std::size_t start = i;
    while (i < text.size() && is_token_char(text[i])) {
        ++i;
    }
    return std::string(text.substr(start, i - start));
}

std::string read_quoted(std::string_view text, std::size_t& i) {
    std::string out;
    ++i; // opening quote
    while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) {
            ++i;
        }
        out += text[i++];
    }
    if (i < text.size()) {
        ++i; // closing quote
    }
    return out;
}

} // namespace

std::string Challenge::param(const std::string& name) const {
    const auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
}

std::vector<Challenge> parse_challenges(std::string_view text) {
    std::vector<Challenge> out;
    std::size_t i = 0;
    while (i < text.size()) {
        skip_space(text, i);
        while (i < text.size() && (text[i] == ',' || text[i] == ' ' || text[i] == '\t')) {
            ++i;
        }
        const std::string scheme = read_token(text, i);
        if (scheme.empty()) {
            ++i; // junk: step over it
            continue;
        }
        Challenge challenge;
        challenge.scheme = ascii_lower(scheme);
        // Parameters until the next "token SP" that is not followed by '=' (a new scheme).
        while (i < text.size()) {
            skip_space(text, i);
            while (i < text.size() && text[i] == ',') {
                ++i;
                skip_space(text, i);
            }
            const std::size_t mark = i;
            const std::string name = read_token(text, i);
            std::size_t j = i;
            skip_space(text, j);
            if (name.empty() || j >= text.size() || text[j] != '=') {
                i = mark; // the next challenge's scheme (or the end)
                break;
            }
            i = j + 1;
            skip_space(text, i);
            std::string value;
            if (i < text.size() && text[i] == '"') {
                value = read_quoted(text, i);
            } else {
                // Unquoted: RFC 7235 says token, but servers send URLs too; read to ',' or space.
                const std::size_t start = i;
                while (i < text.size() && text[i] != ',' && text[i] != ' ' && text[i] != '\t') {
                    ++i;
                }
                value = std::string(text.substr(start, i - start));
            }
            challenge.params[ascii_lower(name)] = value;
        }
        out.push_back(std::move(challenge));
    }
    return out;
}

std::string Scope::str() const {
    std::string out = type + ":" + name + ":";
    bool first = true;
    for (const auto& a : actions) {
        out += first ? "" : ",";
        out += a;
        first = false;
    }
    return out;
}

bool Scope::operator<(const Scope& other) const {
    return std::tie(type, name, actions) < std::tie(other.type, other.name, other.actions);
}

bool parse_scope(std::string_view text, Scope& out) {
    const auto first = text.find(':');
    const auto last = text.rfind(':');
    if (first == std::string_view::npos || first == last || first == 0 || last == first + 1) {
        return false;
    }
    out.type = std::string(text.substr(0, first));
    if (const auto paren = out.type.find('('); paren != std::string::npos) {
        out.type.resize(paren); // "repository(plugin)" -> "repository"
    }
    out.name = std::string(text.substr(first + 1, last - first - 1));
    out.actions.clear();
    std::string_view actions = text.substr(last + 1);
    while (!actions.empty()) {
        const auto comma = actions.find(',');
        const auto action = actions.substr(0, comma);
        if (!action.empty()) {
            out.actions.emplace(action);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        actions.remove_prefix(comma + 1);
    }
    return true;
}

std::vector<Scope> parse_scopes(std::string_view text) {
    std::vector<Scope> out;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto end = text.find(' ', i);
        const auto word = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
        Scope scope;
        if (!word.empty() && parse_scope(word, scope)) {
            out.push_back(std::move(scope));
        }
        if (end == std::string_view::npos) {
            break;
        }
        i = end + 1;
    }
    return out;
}

void ScopeSet::add(const Scope& scope) {
    auto& actions = m_scopes[{scope.type, scope.name}];
    actions.insert(scope.actions.begin(), scope.actions.end());
}

void ScopeSet::add(const ScopeSet& other) {
    for (const auto& scope : other.scopes()) {
        add(scope);
    }
}

bool ScopeSet::covers(const ScopeSet& other) const {
    for (const auto& [key, actions] : other.m_scopes) {
        const auto it = m_scopes.find(key);
        if (it == m_scopes.end()) {
            return false;
        }
        for (const auto& a : actions) {
            if (it->second.count(a) == 0 && it->second.count("*") == 0) {
                return false;
            }
        }
    }
    return true;
}

std::vector<Scope> ScopeSet::scopes() const {
    std::vector<Scope> out;
    for (const auto& [key, actions] : m_scopes) {
        out.push_back(Scope{key.first, key.second, actions});
    }
    return out;
}

std::string ScopeSet::key() const {
    std::string out;
    for (const auto& scope : scopes()) {
        out += out.empty() ? "" : " ";
        out += scope.str();
    }
    return out;
}

Result<TokenGrant> parse_token_response(std::string_view body) {
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return Error{ErrorKind::network, "the token server's answer is not JSON", {}};
    }
    TokenGrant grant;
    for (const char* key : {"token", "access_token"}) {
        if (const auto it = doc.find(key); it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
            grant.token = it->get<std::string>();
            break;
        }
    }
    if (grant.token.empty()) {
        return Error{ErrorKind::network, "the token server's answer has no token", {}};
    }
    if (const auto it = doc.find("refresh_token"); it != doc.end() && it->is_string()) {
        grant.refresh_token = it->get<std::string>();
    }
    if (const auto it = doc.find("expires_in"); it != doc.end() && it->is_number() && it->get<double>() > 0) {
        grant.expires_in = static_cast<std::int64_t>(it->get<double>());
    }
    return grant;
}

} // namespace image_secure
