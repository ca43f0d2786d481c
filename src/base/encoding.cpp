#include <image_secure/base/encoding.hpp>

#include <cstdint>

namespace image_secure {

namespace {
constexpr std::string_view k_b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
} // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    while (i + 3 <= bytes.size()) {
        const std::uint32_t v = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U)
                                | (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U)
                                | static_cast<unsigned char>(bytes[i + 2]);
        out += k_b64[(v >> 18U) & 63U];
        out += k_b64[(v >> 12U) & 63U];
        out += k_b64[(v >> 6U) & 63U];
        out += k_b64[v & 63U];
        i += 3;
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U;
        if (rest == 2) {
            v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U;
        }
        out += k_b64[(v >> 18U) & 63U];
        out += k_b64[(v >> 12U) & 63U];
        out += rest == 2 ? k_b64[(v >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

bool base64_decode(std::string_view text, std::string& out) {
    out.clear();
    const bool padded = text.size() % 4 == 0;
    std::uint32_t acc = 0;
    unsigned bits = 0;
    std::size_t i = 0;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '=') {
            break;
        }
        const auto pos = k_b64.find(c);
        if (pos == std::string_view::npos) {
            return false;
        }
        acc = (acc << 6U) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFFU);
        }
    }
    const std::size_t data_chars = i;
    if (i < text.size()) {
        // Padding: only in padded mode, only '=' up to the end, and the right amount.
        if (!padded) {
            return false;
        }
        for (std::size_t k = i; k < text.size(); ++k) {
            if (text[k] != '=') {
                return false;
            }
        }
        if (text.size() - i > 2 || (data_chars + (text.size() - i)) % 4 != 0) {
            return false;
        }
    } else if (!padded && data_chars % 4 == 1) {
        return false;
    }
    if (data_chars % 4 == 1) {
        return false;
    }
    return true;
}

namespace {
constexpr std::string_view k_lower_hex = "0123456789abcdef";
constexpr std::string_view k_upper_hex = "0123456789ABCDEF";

bool keeps(PercentSet set, unsigned char u) {
    switch (set) {
    case PercentSet::unreserved:
        return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '_'
               || u == '.' || u == '~';
    case PercentSet::uri_path:
        return u > 0x20 && u < 0x7F && u != '%' && u != '#' && u != '?' && u != '[' && u != ']' && u != '"';
    }
    return false;
}
} // namespace

std::string hex_encode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        out += k_lower_hex[u >> 4U];
        out += k_lower_hex[u & 0xFU];
    }
    return out;
}

std::string percent_encode(std::string_view text, PercentSet keep) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (keeps(keep, u)) {
            out += c;
        } else {
            out += '%';
            out += k_upper_hex[u >> 4U];
            out += k_upper_hex[u & 0xFU];
        }
    }
    return out;
}

} // namespace image_secure
