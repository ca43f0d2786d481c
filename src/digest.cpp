// The only file that includes OpenSSL.
#include <image_secure/text.hpp>

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace image_secure {

namespace {
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
} // namespace

std::string sha256_hex(std::string_view bytes)
{
    const std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1
        || EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1
        || EVP_DigestFinal_ex(ctx.get(), md.data(), &len) != 1) {
        throw std::runtime_error("sha256 failed");
    }
    constexpr const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4U];
        out += hex[md[i] & 0xFU];
    }
    return out;
}

} // namespace image_secure
