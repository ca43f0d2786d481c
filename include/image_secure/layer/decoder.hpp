#pragma once

// Layer decompression, streaming: gzip (every member of a multi-member stream, RFC 1952),
// zstd (concatenated frames, skippable frames skipped) and uncompressed tar. zlib and libzstd
// live here and nowhere else.

#include <image_secure/base/result.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace image_secure::layer {

enum class Compression { gzip, zstd, none };

/// The decoder a layer's media type asks for (OCI and Docker names); an unknown or
/// non-tar type is an Error.
[[nodiscard]] Result<Compression> compression_of(std::string_view media_type);

[[nodiscard]] std::string_view compression_name(Compression compression);

/// Where decoded bytes go: "" to go on, else why the stream must stop.
class ByteConsumer {
  public:
    virtual ~ByteConsumer() = default;
    ByteConsumer() = default;
    ByteConsumer(const ByteConsumer&) = delete;
    ByteConsumer& operator=(const ByteConsumer&) = delete;
    virtual std::string consume(std::string_view bytes) = 0;
};

/// One stream's decoder. push() may be called with any split of the input; every decoded
/// byte reaches the consumer before push() returns.
class Decoder {
  public:
    virtual ~Decoder() = default;
    Decoder() = default;
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    /// "" or why the stream is unusable (bad magic, corrupt data, a consumer's error).
    virtual std::string push(std::string_view input, ByteConsumer& out) = 0;
    /// The input ended: "" when the stream ended cleanly, else why (truncated).
    virtual std::string finish(ByteConsumer& out) = 0;
    /// Decoded bytes so far.
    [[nodiscard]] virtual std::int64_t produced() const = 0;
};

/// A decoder that refuses to produce more than `max_output` bytes (a decompression bomb).
[[nodiscard]] std::unique_ptr<Decoder> make_decoder(Compression compression, std::int64_t max_output);

} // namespace image_secure::layer
