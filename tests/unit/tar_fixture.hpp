#pragma once

// Hand-made tar, gzip and zstd bytes for the layer tests: every header field is written here
// from the format's definition (POSIX ustar, GNU, PAX), not by the code under test.

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>
#include <zlib.h>
#include <zstd.h>

namespace image_secure::testing {

struct TarMember {
    TarMember(std::string n, char t = '0', std::string d = {}, unsigned m = 0644, std::string l = {})
        : name(std::move(n)), type(t), data(std::move(d)), mode(m), link(std::move(l)) {}

    std::string name;
    char type = '0';
    std::string data;
    unsigned mode = 0644;
    std::string link;
    std::string prefix;        ///< ustar prefix field
    bool gnu = false;          ///< "ustar  \0" magic (GNU) instead of "ustar\0" "00"
    bool base256_size = false; ///< size as base-256
    bool signed_checksum = false;
    bool bad_checksum = false;
    std::string gnu_tail; ///< bytes written at offset 345 (a GNU header keeps atime/ctime there)
};

inline void put_octal(std::string& h, std::size_t off, std::size_t len, std::uint64_t v) {
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + (v & 7U)));
        v >>= 3U;
    } while (v != 0);
    while (digits.size() < len - 1) {
        digits.insert(digits.begin(), '0');
    }
    std::memcpy(&h[off], digits.data(), len - 1);
}

inline std::string tar_header(const TarMember& m, std::int64_t payload_size) {
    std::string h(512, '\0');
    std::memcpy(&h[0], m.name.data(), std::min<std::size_t>(m.name.size(), 100));
    put_octal(h, 100, 8, m.mode);
    put_octal(h, 108, 8, 0);
    put_octal(h, 116, 8, 0);
    if (m.base256_size) {
        h[124] = static_cast<char>(0x80);
        for (int i = 0; i < 8; ++i) {
            h[static_cast<std::size_t>(135 - i)] = static_cast<char>(
                (static_cast<std::uint64_t>(payload_size) >> (8U * static_cast<unsigned>(i))) & 0xFFU);
        }
    } else {
        put_octal(h, 124, 12, static_cast<std::uint64_t>(payload_size));
    }
    put_octal(h, 136, 12, 0);
    h[156] = m.type;
    std::memcpy(&h[157], m.link.data(), std::min<std::size_t>(m.link.size(), 100));
    if (m.gnu) {
        std::memcpy(&h[257], "ustar  ", 8);
    } else {
        std::memcpy(&h[257], "ustar", 6);
        std::memcpy(&h[263], "00", 2);
    }
    if (!m.prefix.empty()) {
        std::memcpy(&h[345], m.prefix.data(), m.prefix.size());
    }
    if (!m.gnu_tail.empty()) {
        std::memcpy(&h[345], m.gnu_tail.data(), m.gnu_tail.size());
    }
    std::memset(&h[148], ' ', 8);
    long sum = 0;
    for (const char c : h) {
        sum += m.signed_checksum ? static_cast<long>(static_cast<signed char>(c))
                                 : static_cast<long>(static_cast<unsigned char>(c));
    }
    if (m.bad_checksum) {
        sum += 1;
    }
    std::string chk(7, '0');
    for (int i = 5; i >= 0; --i) {
        chk[static_cast<std::size_t>(i)] = static_cast<char>('0' + (static_cast<unsigned long>(sum) & 7U));
        sum = static_cast<long>(static_cast<unsigned long>(sum) >> 3U);
    }
    chk[6] = '\0';
    std::memcpy(&h[148], chk.data(), 7);
    return h;
}

inline std::string tar_member(const TarMember& m) {
    std::string out = tar_header(m, static_cast<std::int64_t>(m.data.size()));
    out += m.data;
    out.append((512 - m.data.size() % 512) % 512, '\0');
    return out;
}

/// A PAX record "LEN key=value\n".
inline std::string pax_record(const std::string& key, const std::string& value) {
    const std::string body = " " + key + "=" + value + "\n";
    std::size_t len = body.size() + 1;
    while (std::to_string(len).size() + body.size() != len) {
        ++len;
    }
    return std::to_string(len) + body;
}

inline std::string tar_end() { return std::string(1024, '\0'); }

/// One gzip member of `data` (zlib, gzip wrapper).
inline std::string gzip_member(const std::string& data) {
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

inline std::string zstd_frame(const std::string& data) {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
    return out;
}

inline std::string zstd_skippable(const std::string& payload) {
    std::string out = {'\x50', '\x2a', '\x4d', '\x18'};
    const auto n = static_cast<std::uint32_t>(payload.size());
    for (int i = 0; i < 4; ++i) {
        out += static_cast<char>((n >> (8U * static_cast<unsigned>(i))) & 0xFFU);
    }
    return out + payload;
}

} // namespace image_secure::testing
