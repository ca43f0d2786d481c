// The tar walker on arbitrary bytes, fed in pieces whose sizes the input chooses: no crash, no
// unbounded memory, and the same entries whatever the split.
#include <image_secure/layer/tar.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::vector<std::string> walk(std::string_view data, std::size_t piece) {
    std::vector<std::string> names;
    image_secure::layer::TarWalker walker(
        [&](image_secure::layer::TarEntry&& e) { names.push_back(e.path + "|" + e.link); },
        [](std::string_view p) { return p.size() % 2 == 0; });
    while (!data.empty()) {
        const auto take = std::min(piece, data.size());
        if (!walker.consume(data.substr(0, take)).empty()) {
            names.emplace_back("error");
            return names;
        }
        data.remove_prefix(take);
    }
    names.push_back(walker.finish().empty() ? "end" : "truncated");
    return names;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t piece = 1 + data[0];
    if (walk(bytes, piece) != walk(bytes, bytes.size() + 1)) {
        std::abort(); // the split must not change what is read
    }
    return 0;
}
