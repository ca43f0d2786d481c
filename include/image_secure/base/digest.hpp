#pragma once

// Content digests (OpenSSL's EVP): the one home of hashing. The HTTP transport's TLS is
// OpenSSL too, but reached through libcurl.

#include <memory>
#include <string>
#include <string_view>

namespace image_secure {

/// An incremental hash of one algorithm (sha256, sha384 or sha512, as OCI digests name them).
class Hasher {
  public:
    /// `algorithm` as in a digest's prefix ("sha256"); anything else hashes with sha256.
    explicit Hasher(std::string_view algorithm = "sha256");
    ~Hasher();
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void update(std::string_view bytes);
    /// Lower-case hex of the digest; "" when OpenSSL failed (never equal to a real digest).
    [[nodiscard]] std::string hex_final();

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Lower-case hex of the sha256 of `bytes`.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

} // namespace image_secure
