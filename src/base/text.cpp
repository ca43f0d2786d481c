#include <image_secure/base/text.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <iterator>

namespace image_secure {

Utf8Char decode_utf8(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        return {b0, 1, true};
    }
    std::size_t need = 0;
    std::uint32_t code = 0;
    std::uint32_t min = 0;
    if ((b0 & 0xE0U) == 0xC0U) {
        need = 1;
        code = b0 & 0x1FU;
        min = 0x80;
    } else if ((b0 & 0xF0U) == 0xE0U) {
        need = 2;
        code = b0 & 0x0FU;
        min = 0x800;
    } else if ((b0 & 0xF8U) == 0xF0U) {
        need = 3;
        code = b0 & 0x07U;
        min = 0x10000;
    } else {
        return {};
    }
    if (i + need >= s.size()) {
        return {};
    }
    for (std::size_t k = 1; k <= need; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0U) != 0x80U) {
            return {};
        }
        code = (code << 6U) | (b & 0x3FU);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
        return {};
    }
    return {code, need + 1, true};
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0U | (code >> 6U));
        out += static_cast<char>(0x80U | (code & 0x3FU));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0U | (code >> 12U));
        out += static_cast<char>(0x80U | ((code >> 6U) & 0x3FU));
        out += static_cast<char>(0x80U | (code & 0x3FU));
    } else {
        out += static_cast<char>(0xF0U | (code >> 18U));
        out += static_cast<char>(0x80U | ((code >> 12U) & 0x3FU));
        out += static_cast<char>(0x80U | ((code >> 6U) & 0x3FU));
        out += static_cast<char>(0x80U | (code & 0x3FU));
    }
}

namespace {

bool invisible(std::uint32_t code) {
    return code < 0x20 || code == 0x7F || (code >= 0x80 && code <= 0x9F) || (code >= 0x202A && code <= 0x202E)
           || (code >= 0x2066 && code <= 0x2069) || code == 0x200E || code == 0x200F || code == 0x061C
           || code == 0xFEFF;
}

void append_escape(std::string& out, std::uint32_t code, bool byte) {
    static constexpr const char* k_hex = "0123456789abcdef";
    switch (code) {
    case '\n':
        out += "\\n";
        return;
    case '\r':
        out += "\\r";
        return;
    case '\t':
        out += "\\t";
        return;
    case 0x1B:
        out += "\\e";
        return;
    default:
        break;
    }
    if (byte || code < 0x100) {
        out += "\\x";
        out += k_hex[(code >> 4U) & 0xFU];
        out += k_hex[code & 0xFU];
        return;
    }
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) {
        out += k_hex[(code >> static_cast<unsigned>(shift)) & 0xFU];
    }
}

} // namespace

std::string printable(std::string_view s, std::size_t cap) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        if (out.size() >= cap) {
            out += "\u2026(" + std::to_string(s.size()) + " bytes)";
            return out;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7F) {
            out += s[i++];
            continue;
        }
        const Utf8Char ch = decode_utf8(s, i);
        if (!ch.valid) {
            append_escape(out, c, true);
            i += 1;
            continue;
        }
        if (invisible(ch.code)) {
            append_escape(out, ch.code, false);
        } else {
            out.append(s.substr(i, ch.length));
        }
        i += ch.length;
    }
    return out;
}

std::string printable_lines(std::string_view text, std::size_t line_cap) {
    std::string out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        out += printable(line, line_cap);
        if (nl == std::string_view::npos) {
            break;
        }
        out += '\n';
        text.remove_prefix(nl + 1);
    }
    return out;
}

std::string human_size(std::int64_t bytes) {
    static constexpr const char* k_units[] = {"B", "kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1000 && unit + 1 < std::size(k_units)) {
        value /= 1000;
        ++unit;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f %s" : "%.1f %s", value, k_units[unit]);
    return buffer;
}

Result<std::int64_t> parse_byte_size(std::string_view text) {
    const auto bad = [&] {
        return usage_error("invalid size \"" + printable(text, 64)
                           + "\": give bytes, or a number with KiB, MiB, GiB, TiB (or kB, MB, GB, TB)");
    };
    std::size_t i = 0;
    std::uint64_t value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        if (value > (UINT64_MAX / 10)) {
            return bad();
        }
        value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
        ++i;
    }
    if (i == 0) {
        return bad();
    }
    std::string unit(text.substr(i));
    if (!unit.empty() && unit.back() == 'B') {
        unit.pop_back();
    }
    std::uint64_t scale = 1;
    if (unit.empty()) {
        scale = 1;
    } else if (unit.size() == 2 && unit[1] == 'i') {
        const std::string_view binary = "KMGT";
        const auto k = binary.find(unit[0]);
        if (k == std::string_view::npos) {
            return bad();
        }
        scale = std::uint64_t{1} << (10U * (k + 1));
    } else if (unit.size() == 1) {
        const std::string_view decimal = "kMGT";
        auto k = decimal.find(unit[0]);
        if (unit[0] == 'K') {
            k = 0;
        }
        if (k == std::string_view::npos) {
            return bad();
        }
        for (std::size_t n = 0; n <= k; ++n) {
            scale *= 1000;
        }
    } else {
        return bad();
    }
    if (value > static_cast<std::uint64_t>(INT64_MAX) / scale) {
        return bad();
    }
    return static_cast<std::int64_t>(value * scale);
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
    return std::to_string(count) + " " + std::string(count == 1 ? one : many);
}

} // namespace image_secure
