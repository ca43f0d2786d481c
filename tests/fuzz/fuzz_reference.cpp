// No crash, and a valid reference's normalized form re-parses to itself.
#include <image_secure/reference/reference.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto ref = image_secure::parse_reference(text);
    if (ref) {
        const auto again = image_secure::parse_reference(ref->normalized());
        if (!again || again->normalized() != ref->normalized()) {
            std::abort();
        }
    }
    return 0;
}
