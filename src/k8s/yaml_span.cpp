#include <image_secure/k8s/yaml_span.hpp>

namespace image_secure {

std::size_t line_start(std::string_view text, std::size_t pos) {
    const auto nl = text.rfind('\n', pos == 0 ? 0 : pos - 1);
    if (pos == 0 || nl == std::string_view::npos) {
        return 0;
    }
    return nl + 1;
}

std::size_t next_line_start(std::string_view text, std::size_t pos) {
    const auto nl = text.find('\n', pos);
    return nl == std::string_view::npos ? text.size() : nl + 1;
}

std::size_t indent_of(std::string_view text, std::size_t start) {
    std::size_t i = start;
    while (i < text.size() && text[i] == ' ') {
        ++i;
    }
    return i - start;
}

bool is_blank_line(std::string_view text, std::size_t start) {
    std::size_t i = start;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
        ++i;
    }
    return i >= text.size() || text[i] == '\n' || text[i] == '\r';
}

bool is_comment_line(std::string_view text, std::size_t start) {
    std::size_t i = start;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
        ++i;
    }
    return i < text.size() && text[i] == '#';
}

std::size_t skip_node_properties(std::string_view text, std::size_t pos) {
    while (pos < text.size()) {
        const char c = text[pos];
        if (c == '&' || c == '!') {
            while (pos < text.size() && text[pos] != ' ' && text[pos] != '\t' && text[pos] != '\n'
                   && text[pos] != '\r') {
                ++pos;
            }
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++pos;
        } else if (c == '#' && pos > 0 && (text[pos - 1] == ' ' || text[pos - 1] == '\t')) {
            pos = next_line_start(text, pos);
        } else {
            break;
        }
    }
    return pos;
}

namespace {

// End of the content on one line for a plain scalar: stops at " #", line end, and in flow
// context at , [ ] { } and ": ". Trailing blanks are not part of the value.
std::size_t plain_line_end(std::string_view text, std::size_t pos, bool in_flow, bool is_key) {
    std::size_t i = pos;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '\n' || c == '\r') {
            break;
        }
        if (c == '#' && i > pos && (text[i - 1] == ' ' || text[i - 1] == '\t')) {
            break;
        }
        if (in_flow && (c == ',' || c == '[' || c == ']' || c == '{' || c == '}')) {
            break;
        }
        if (c == ':' && (is_key || in_flow)
            && (i + 1 >= text.size() || text[i + 1] == ' ' || text[i + 1] == '\t' || text[i + 1] == '\n'
                || text[i + 1] == '\r'
                || (in_flow && (text[i + 1] == ',' || text[i + 1] == '}' || text[i + 1] == ']')))) {
            break;
        }
        ++i;
    }
    while (i > pos && (text[i - 1] == ' ' || text[i - 1] == '\t')) {
        --i;
    }
    return i;
}

std::size_t content_end_of_line(std::string_view text, std::size_t start) {
    // The last non-blank byte before a comment or the line break.
    std::size_t i = start;
    std::size_t last = start;
    while (i < text.size() && text[i] != '\n' && text[i] != '\r') {
        if (text[i] == '#' && i > start && (text[i - 1] == ' ' || text[i - 1] == '\t')) {
            break;
        }
        if (text[i] != ' ' && text[i] != '\t') {
            last = i + 1;
        }
        ++i;
    }
    return last;
}

} // namespace

ScalarSpan scalar_span(std::string_view text, std::size_t pos, std::size_t min_indent, bool in_flow, bool is_key) {
    ScalarSpan span;
    if (pos >= text.size()) {
        span.value_begin = span.value_end = span.end = text.size();
        return span;
    }
    const char c = text[pos];
    if (c == '"' || c == '\'') {
        span.style = c;
        std::size_t i = pos + 1;
        while (i < text.size()) {
            if (c == '"' && text[i] == '\\') {
                i += 2;
                continue;
            }
            if (text[i] == c) {
                if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
                    i += 2;
                    continue;
                }
                break;
            }
            ++i;
        }
        i = std::min(i, text.size());
        span.value_begin = pos + 1;
        span.value_end = i;
        span.end = std::min(i + 1, text.size());
        return span;
    }
    if ((c == '|' || c == '>') && !in_flow) {
        span.style = '|';
        span.value_begin = pos;
        std::size_t line = next_line_start(text, pos);
        std::size_t end = content_end_of_line(text, line_start(text, pos));
        end = std::max(end, pos + 1);
        while (line < text.size()) {
            if (is_blank_line(text, line)) {
                line = next_line_start(text, line);
                continue;
            }
            if (indent_of(text, line) <= min_indent) {
                break;
            }
            std::size_t e = line;
            while (e < text.size() && text[e] != '\n' && text[e] != '\r') {
                ++e;
            }
            end = e;
            line = next_line_start(text, line);
        }
        span.value_end = span.end = end;
        return span;
    }
    span.style = 'p';
    span.value_begin = pos;
    span.value_end = plain_line_end(text, pos, in_flow, is_key);
    span.end = span.value_end;
    if (!in_flow && !is_key) {
        // Multi-line plain scalar: deeper, non-comment lines continue it.
        std::size_t line = next_line_start(text, span.value_end);
        const bool stopped_at_comment = [&] {
            std::size_t i = span.value_end;
            while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
                ++i;
            }
            return i < text.size() && text[i] == '#';
        }();
        while (!stopped_at_comment && line < text.size()) {
            if (is_blank_line(text, line)) {
                line = next_line_start(text, line);
                continue;
            }
            if (indent_of(text, line) <= min_indent || is_comment_line(text, line)) {
                break;
            }
            span.end = content_end_of_line(text, line);
            line = next_line_start(text, line);
        }
    }
    return span;
}

} // namespace image_secure
