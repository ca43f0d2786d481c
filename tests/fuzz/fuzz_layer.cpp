// A whole layer blob (decoder + tar walk + summary) on arbitrary bytes: the first byte picks
// gzip, zstd or plain. No crash, a small decompression limit holds, and a summary that comes
// out survives the cache encoding.
#include <image_secure/layer/summary.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    static constexpr std::string_view k_types[] = {"application/vnd.oci.image.layer.v1.tar+gzip",
                                                   "application/vnd.oci.image.layer.v1.tar+zstd",
                                                   "application/vnd.oci.image.layer.v1.tar"};
    const std::string_view blob(reinterpret_cast<const char*>(data) + 1, size - 1);
    auto summary = image_secure::layer::read_layer(blob, k_types[data[0] % 3], 64U << 20U);
    if (summary) {
        if (summary->uncompressed_bytes > (64 << 20)) {
            std::abort();
        }
        auto again = image_secure::layer::decode_summary(image_secure::layer::encode_summary(*summary));
        if (!again || again->entries.size() != summary->entries.size()) {
            std::abort();
        }
    }
    return 0;
}
