// The only file of the project that includes OpenSSL.
#include <image_secure/base/digest.hpp>
#include <image_secure/base/encoding.hpp>

#include <openssl/evp.h>

#include <array>

namespace image_secure {

struct Hasher::Impl {
    struct Free {
        void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
    };

    std::unique_ptr<EVP_MD_CTX, Free> ctx{EVP_MD_CTX_new()};
    bool ok = false;
};

Hasher::Hasher(std::string_view algorithm) : m_impl(std::make_unique<Impl>()) {
    const EVP_MD* md = algorithm == "sha512" ? EVP_sha512() : algorithm == "sha384" ? EVP_sha384() : EVP_sha256();
    m_impl->ok = m_impl->ctx && EVP_DigestInit_ex(m_impl->ctx.get(), md, nullptr) == 1;
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::string_view bytes) {
    if (m_impl->ok) {
        m_impl->ok = EVP_DigestUpdate(m_impl->ctx.get(), bytes.data(), bytes.size()) == 1;
    }
}

std::string Hasher::hex_final() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (!m_impl->ok || EVP_DigestFinal_ex(m_impl->ctx.get(), md.data(), &len) != 1) {
        return {};
    }
    m_impl->ok = false;
    return hex_encode(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

std::string sha256_hex(std::string_view bytes) {
    Hasher h;
    h.update(bytes);
    return h.hex_final();
}

} // namespace image_secure
