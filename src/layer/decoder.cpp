// gzip through zlib's inflate (members one after another), zstd through ZSTD_decompressStream
// (which walks concatenated and skippable frames itself), plain tar passed through. The first
// bytes are checked against the media type: a mislabelled layer fails loudly.

#include <image_secure/base/text.hpp>
#include <image_secure/layer/decoder.hpp>

#include <array>
#include <cstring>
#include <vector>
#include <zlib.h>
#include <zstd.h>

namespace image_secure::layer {

namespace {

constexpr std::size_t k_out_chunk = 256U << 10U;
constexpr std::array<unsigned char, 2> k_gzip_magic{0x1f, 0x8b};
constexpr std::array<unsigned char, 4> k_zstd_magic{0x28, 0xb5, 0x2f, 0xfd};

bool starts_with_bytes(std::string_view s, const unsigned char* magic, std::size_t n) {
    return s.size() >= n && std::memcmp(s.data(), magic, n) == 0;
}

bool is_zstd_start(std::string_view s) {
    if (starts_with_bytes(s, k_zstd_magic.data(), k_zstd_magic.size())) {
        return true;
    }
    // A skippable frame: 0x184D2A5? little-endian.
    return s.size() >= 4 && (static_cast<unsigned char>(s[0]) & 0xF0U) == 0x50
           && static_cast<unsigned char>(s[1]) == 0x2A && static_cast<unsigned char>(s[2]) == 0x4D
           && static_cast<unsigned char>(s[3]) == 0x18;
}

/// The common part: the magic check on the first bytes and the output limit.
class DecoderBase : public Decoder {
  public:
    explicit DecoderBase(std::int64_t max_output) : m_max(max_output) {}

    [[nodiscard]] std::int64_t produced() const override { return m_produced; }

  protected:
    /// Hands `bytes` on, counting them against the limit.
    std::string emit(std::string_view bytes, ByteConsumer& out) {
        m_produced += static_cast<std::int64_t>(bytes.size());
        if (m_produced > m_max) {
            return "the layer decompresses to more than " + human_size(m_max) + " (--max-uncompressed)";
        }
        return bytes.empty() ? std::string() : out.consume(bytes);
    }

    /// Moves the first `need` bytes of the stream from `input` into `held` (the stream is judged
    /// by its magic); true once they are all there.
    bool gather_head(std::string_view& input, std::size_t need, std::string& held) {
        const std::size_t take = std::min(need - std::min(need, held.size()), input.size());
        held.append(input.substr(0, take));
        input.remove_prefix(take);
        if (held.size() < need) {
            return false;
        }
        m_head_checked = true;
        return true;
    }

    std::int64_t m_max;
    std::int64_t m_produced = 0;
    bool m_head_checked = false;
};

class GzipDecoder final : public DecoderBase {
  public:
    explicit GzipDecoder(std::int64_t max_output) : DecoderBase(max_output), m_out(k_out_chunk) {
        std::memset(&m_z, 0, sizeof m_z);
        m_ok = inflateInit2(&m_z, 16 + MAX_WBITS) == Z_OK;
    }

    ~GzipDecoder() override {
        if (m_ok) {
            inflateEnd(&m_z);
        }
    }

    GzipDecoder(const GzipDecoder&) = delete;
    GzipDecoder& operator=(const GzipDecoder&) = delete;

    std::string push(std::string_view input, ByteConsumer& out) override {
        if (!m_ok) {
            return "gzip: cannot initialise zlib";
        }
        while (!input.empty()) {
            if (m_between) {
                // At the start and between members the next two bytes must be the gzip magic.
                const std::size_t take = std::min<std::size_t>(2 - m_magic.size(), input.size());
                m_magic.append(input.substr(0, take));
                input.remove_prefix(take);
                if (m_magic.size() < 2) {
                    return {};
                }
                if (!starts_with_bytes(m_magic, k_gzip_magic.data(), 2)) {
                    return m_members == 0 ? "not a gzip stream (the media type says gzip; it starts with "
                                                + hex_prefix(m_magic) + ")"
                                          : "bytes after the last gzip member are not a gzip header";
                }
                m_between = false;
                const std::string magic = std::move(m_magic);
                m_magic.clear();
                if (auto e = inflate_bytes(magic, out); !e.empty()) {
                    return e;
                }
                continue;
            }
            if (auto e = inflate_bytes(input, out); !e.empty()) {
                return e;
            }
            input = m_rest;
            m_rest = {};
        }
        return {};
    }

    std::string finish(ByteConsumer& /*out*/) override {
        if (m_members == 0 && !m_between) {
            return "gzip: the stream is truncated (it ended inside the first member)";
        }
        if (m_members == 0) {
            return "gzip: the stream is empty";
        }
        if (!m_between) {
            return "gzip: the stream is truncated (it ended inside member " + std::to_string(m_members + 1) + ")";
        }
        if (!m_magic.empty()) {
            return "bytes after the last gzip member are not a gzip header";
        }
        return {};
    }

  private:
    static std::string hex_prefix(std::string_view s) {
        static const char* digits = "0123456789abcdef";
        std::string out;
        for (const char ch : s.substr(0, 4)) {
            const auto c = static_cast<unsigned char>(ch);
            out += digits[c >> 4U];
            out += digits[c & 15U];
            out += ' ';
        }
        if (!out.empty()) {
            out.pop_back();
        }
        return out;
    }

    /// Inflates `in` until it is used up or a member ends (then m_rest holds the remainder).
    std::string inflate_bytes(std::string_view in, ByteConsumer& out) {
        m_z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        m_z.avail_in = static_cast<uInt>(in.size());
        m_rest = {};
        while (m_z.avail_in > 0 || m_pending_flush) {
            m_z.next_out = reinterpret_cast<Bytef*>(m_out.data());
            m_z.avail_out = static_cast<uInt>(m_out.size());
            const int rc = inflate(&m_z, Z_NO_FLUSH);
            const std::size_t got = m_out.size() - m_z.avail_out;
            m_pending_flush = m_z.avail_out == 0;
            if (auto e = emit({m_out.data(), got}, out); !e.empty()) {
                return e;
            }
            if (rc == Z_STREAM_END) {
                ++m_members;
                m_between = true;
                m_pending_flush = false;
                const std::size_t used = in.size() - m_z.avail_in;
                m_rest = in.substr(used);
                inflateReset(&m_z);
                return {};
            }
            if (rc == Z_BUF_ERROR && m_z.avail_in == 0) {
                m_pending_flush = false;
                break;
            }
            if (rc != Z_OK) {
                return std::string("gzip: ") + (m_z.msg != nullptr ? m_z.msg : "corrupt data") + " (member "
                       + std::to_string(m_members + 1) + ")";
            }
        }
        return {};
    }

    z_stream m_z{};
    bool m_ok = false;
    bool m_between = true; ///< expecting a member header (start, or after Z_STREAM_END)
    bool m_pending_flush = false;
    std::string m_magic;
    std::string_view m_rest;
    int m_members = 0;
    std::vector<char> m_out;
};

class ZstdDecoder final : public DecoderBase {
  public:
    explicit ZstdDecoder(std::int64_t max_output)
        : DecoderBase(max_output), m_ctx(ZSTD_createDCtx()), m_out(ZSTD_DStreamOutSize()) {
        if (m_ctx != nullptr) {
            // Bound the window a hostile frame can ask for (128 MiB; zstd's default limit).
            ZSTD_DCtx_setParameter(m_ctx, ZSTD_d_windowLogMax, 27);
        }
    }

    ~ZstdDecoder() override { ZSTD_freeDCtx(m_ctx); }

    ZstdDecoder(const ZstdDecoder&) = delete;
    ZstdDecoder& operator=(const ZstdDecoder&) = delete;

    std::string push(std::string_view input, ByteConsumer& out) override {
        if (m_ctx == nullptr) {
            return "zstd: cannot create a decoder";
        }
        if (!m_head_checked) {
            if (!gather_head(input, 4, m_head)) {
                return {};
            }
            if (!is_zstd_start(m_head)) {
                return "not a zstd stream (the media type says zstd)";
            }
            const std::string head = std::move(m_head);
            if (auto e = decode(head, out); !e.empty()) {
                return e;
            }
        }
        return decode(input, out);
    }

    std::string finish(ByteConsumer& /*out*/) override {
        if (!m_head_checked) {
            return m_head.empty() ? "zstd: the stream is empty" : "zstd: the stream is truncated";
        }
        if (m_last != 0) {
            return "zstd: the stream is truncated (it ended inside a frame)";
        }
        return {};
    }

  private:
    std::string decode(std::string_view input, ByteConsumer& out) {
        ZSTD_inBuffer in{input.data(), input.size(), 0};
        for (;;) {
            ZSTD_outBuffer o{m_out.data(), m_out.size(), 0};
            const std::size_t rc = ZSTD_decompressStream(m_ctx, &o, &in);
            if (ZSTD_isError(rc) != 0U) {
                return std::string("zstd: ") + ZSTD_getErrorName(rc);
            }
            m_last = rc;
            if (auto e = emit({m_out.data(), o.pos}, out); !e.empty()) {
                return e;
            }
            // Done with this input once it is consumed and the decoder had room to flush.
            if (in.pos == in.size && o.pos < o.size) {
                return {};
            }
        }
    }

    ZSTD_DCtx* m_ctx;
    std::vector<char> m_out;
    std::string m_head;
    std::size_t m_last = 0; ///< 0 when the last frame is complete
};

class PlainDecoder final : public DecoderBase {
  public:
    using DecoderBase::DecoderBase;

    std::string push(std::string_view input, ByteConsumer& out) override {
        if (!m_head_checked) {
            if (!gather_head(input, 4, m_head)) {
                return {};
            }
            if (starts_with_bytes(m_head, k_gzip_magic.data(), 2) || is_zstd_start(m_head)) {
                return "the layer is compressed but its media type says uncompressed tar";
            }
            const std::string head = std::move(m_head);
            if (auto e = emit(head, out); !e.empty()) {
                return e;
            }
        }
        return emit(input, out);
    }

    std::string finish(ByteConsumer& out) override {
        if (!m_head_checked && !m_head.empty()) {
            std::string head = std::move(m_head);
            m_head_checked = true;
            return emit(head, out);
        }
        return {};
    }

  private:
    std::string m_head;
};

} // namespace

Result<Compression> compression_of(std::string_view media_type) {
    if (media_type.ends_with("+gzip") || media_type.ends_with(".tar.gzip")) {
        return Compression::gzip;
    }
    if (media_type.ends_with("+zstd") || media_type.ends_with(".tar.zstd")) {
        return Compression::zstd;
    }
    if (media_type.ends_with("layer.v1.tar") || media_type.ends_with(".diff.tar")
        || media_type == "application/vnd.docker.image.rootfs.diff.tar") {
        return Compression::none;
    }
    return Error{ErrorKind::network, "unsupported layer media type \"" + printable(media_type) + "\"", {}};
}

std::string_view compression_name(Compression compression) {
    switch (compression) {
    case Compression::gzip:
        return "gzip";
    case Compression::zstd:
        return "zstd";
    case Compression::none:
        return "none";
    }
    return "none";
}

std::unique_ptr<Decoder> make_decoder(Compression compression, std::int64_t max_output) {
    switch (compression) {
    case Compression::gzip:
        return std::make_unique<GzipDecoder>(max_output);
    case Compression::zstd:
        return std::make_unique<ZstdDecoder>(max_output);
    case Compression::none:
        break;
    }
    return std::make_unique<PlainDecoder>(max_output);
}

} // namespace image_secure::layer
