#include <image_secure/base/text.hpp>
#include <image_secure/secret/json_writer.hpp>

#include <array>

namespace image_secure {

namespace {

constexpr const char* k_hex = "0123456789abcdef";

// Bytes that leave the fast path: control bytes, non-ASCII, and what Go escapes.
constexpr std::array<bool, 256> k_special = [] {
    std::array<bool, 256> table{};
    for (std::size_t b = 0; b < 256; ++b) {
        table[b] = b < 0x20 || b >= 0x80 || b == '"' || b == '\\' || b == '<' || b == '>' || b == '&';
    }
    return table;
}();

void append_u(std::string& out, unsigned code) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) {
        out += k_hex[(code >> static_cast<unsigned>(shift)) & 0xFU];
    }
}

} // namespace

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        // Fast path: a run of printable ASCII that needs no escape is copied at once.
        std::size_t run = i;
        while (run < s.size() && !k_special[static_cast<unsigned char>(s[run])]) {
            ++run;
        }
        if (run > i) {
            out.append(s.substr(i, run - i));
            i = run;
            continue;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '<':
            case '>':
            case '&':
                append_u(out, c);
                break;
            default:
                if (c < 0x20) {
                    append_u(out, c);
                } else {
                    out += static_cast<char>(c);
                }
            }
            ++i;
            continue;
        }
        const Utf8Char ch = decode_utf8(s, i);
        if (!ch.valid) {
            out += "\\ufffd";
            i += 1;
            continue;
        }
        if (ch.code == 0x2028 || ch.code == 0x2029) {
            append_u(out, ch.code);
        } else {
            out.append(s.substr(i, ch.length));
        }
        i += ch.length;
    }
    out += '"';
}

std::string json_string(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    append_json_string(out, s);
    return out;
}

std::string to_valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const Utf8Char ch = decode_utf8(s, i);
        if (!ch.valid) {
            out += "\xEF\xBF\xBD";
            i += 1;
            continue;
        }
        out.append(s.substr(i, ch.length));
        i += ch.length;
    }
    return out;
}

} // namespace image_secure
