// Image-like references outside image fields (args, command, env values, ConfigMap data,
// annotations): the workload starts them itself, so they must be mirrored too.
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/reference/reference.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

namespace {

bool token_char(char c) {
    return !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '=' || c == ','
             || c == ';' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == '<' || c == '>'
             || c == '|' || c == '`');
}

/// How sure the surroundings make us: after `image:` or in a value named *image*, a reference
/// with a path, tag or digest (not a bare word such as "disabled"); elsewhere one with a
/// registry host and a tag or digest.
enum class Context { elsewhere, named_image };

/// A token that is an image reference, as sure as its context requires.
bool image_like(std::string_view token, Context context) {
    while (!token.empty() && (token.back() == '.' || token.back() == ':')) {
        token.remove_suffix(1);
    }
    if (token.empty() || token.size() > 512
        || (context == Context::elsewhere && token.find('/') == std::string_view::npos)
        || (context == Context::named_image && token.find_first_of("/:@") == std::string_view::npos)) {
        return false;
    }
    const auto ref = parse_reference(token);
    if (!ref) {
        return false;
    }
    if (context != Context::elsewhere) {
        return true;
    }
    const auto slash = token.find('/');
    const std::string_view host = token.substr(0, slash);
    const bool has_host =
        host.find('.') != std::string_view::npos || host.find(':') != std::string_view::npos || host == "localhost";
    return has_host && (!ref->tag.empty() || !ref->digest.empty());
}

} // namespace

std::vector<std::string> find_image_mentions(std::string_view text, bool image_context) {
    std::vector<std::string> out;
    if (text.find('/') == std::string_view::npos && !image_context && text.find("image:") == std::string_view::npos) {
        return out; // the common case, cheaply
    }
    auto add = [&out](std::string_view token) {
        while (!token.empty() && (token.back() == '.' || token.back() == ':')) {
            token.remove_suffix(1);
        }
        if (std::find(out.begin(), out.end(), token) == out.end()) {
            out.emplace_back(token);
        }
    };
    std::size_t line_start = 0;
    while (line_start <= text.size()) {
        const auto nl = text.find('\n', line_start);
        const std::string_view line = text.substr(line_start, nl == std::string_view::npos ? nl : nl - line_start);
        // `image: X` inside embedded YAML (a helper pod in a ConfigMap).
        const auto key = line.find("image:");
        const bool key_at_word = key != std::string_view::npos
                                 && (key == 0 || line[key - 1] == ' ' || line[key - 1] == '\t' || line[key - 1] == '-');
        std::size_t i = 0;
        bool done_line = false;
        if (key_at_word) {
            std::size_t v = key + 6;
            while (v < line.size() && (line[v] == ' ' || line[v] == '"' || line[v] == '\'')) {
                ++v;
            }
            std::size_t e = v;
            while (e < line.size() && token_char(line[e])) {
                ++e;
            }
            if (e > v && image_like(line.substr(v, e - v), Context::named_image)) {
                add(line.substr(v, e - v));
                done_line = true;
            }
        }
        while (!done_line && i < line.size()) {
            while (i < line.size() && !token_char(line[i])) {
                ++i;
            }
            const std::size_t begin = i;
            while (i < line.size() && token_char(line[i])) {
                ++i;
            }
            if (i > begin
                && image_like(line.substr(begin, i - begin),
                              image_context ? Context::named_image : Context::elsewhere)) {
                add(line.substr(begin, i - begin));
            }
        }
        if (nl == std::string_view::npos) {
            break;
        }
        line_start = nl + 1;
    }
    return out;
}

} // namespace image_secure
