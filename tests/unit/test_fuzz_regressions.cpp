// Replays every input that once crashed a fuzz target (tests/fuzz/regressions/<target>/).
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/layer/summary.hpp>
#include <image_secure/layer/tar.hpp>
#include <image_secure/reference/reference.hpp>
#include <image_secure/rewrite/rewrite.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;
using namespace image_secure;

namespace {

std::vector<std::string> inputs(const std::string& target) {
    std::vector<std::string> out;
    const fs::path dir = fs::path(IMAGE_SECURE_FUZZ_REGRESSIONS) / target;
    if (!fs::exists(dir)) {
        return out;
    }
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::ifstream in(entry.path(), std::ios::binary);
        out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
}

} // namespace

TEST_CASE("fuzz regressions: reference") {
    for (const auto& data : inputs("reference")) {
        const auto ref = parse_reference(data);
        if (ref) {
            CHECK(parse_reference(ref->normalized()).has_value());
        }
    }
}

TEST_CASE("fuzz regressions: rewrite") {
    for (const auto& data : inputs("rewrite")) {
        auto manifest = scan_manifest(data, "fuzz", ScanOptions{});
        if (!manifest) {
            continue;
        }
        MappingConfig config;
        config.registry = parse_registry_target("r.example.com/m").value();
        config.pull_secrets = {"s"};
        RewriteState state;
        auto plan = plan_rewrite(data, "fuzz", *manifest, config, state);
        REQUIRE(plan.has_value());
        // Rewriting keeps the YAML valid and a second rewrite changes nothing.
        const std::string out = apply_edits(data, plan->edits);
        auto again = scan_manifest(out, "fuzz", ScanOptions{});
        REQUIRE(again.has_value());
        RewriteState state2;
        auto plan2 = plan_rewrite(out, "fuzz", *again, config, state2);
        REQUIRE(plan2.has_value());
        CHECK(plan2->edits.empty());
    }
}

TEST_CASE("fuzz regressions: tar walker (any split reads the same)") {
    const auto walk = [](std::string_view data, std::size_t piece) {
        std::vector<std::string> names;
        layer::TarWalker walker([&](layer::TarEntry&& e) { names.push_back(e.path + "|" + e.link); },
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
    };
    for (const auto& data : inputs("tar")) {
        if (data.empty()) {
            continue;
        }
        const std::string_view bytes = std::string_view(data).substr(1);
        const std::size_t piece = 1 + static_cast<unsigned char>(data[0]);
        CHECK(walk(bytes, piece) == walk(bytes, bytes.size() + 1));
    }
}

TEST_CASE("fuzz regressions: layer blobs (decoders, walk, cache encoding)") {
    static constexpr std::string_view k_types[] = {"application/vnd.oci.image.layer.v1.tar+gzip",
                                                   "application/vnd.oci.image.layer.v1.tar+zstd",
                                                   "application/vnd.oci.image.layer.v1.tar"};
    for (const auto& data : inputs("layer")) {
        if (data.empty()) {
            continue;
        }
        const std::string_view blob = std::string_view(data).substr(1);
        auto summary = layer::read_layer(blob, k_types[static_cast<unsigned char>(data[0]) % 3], 64U << 20U);
        if (summary) {
            CHECK(summary->uncompressed_bytes <= (64 << 20));
            auto again = layer::decode_summary(layer::encode_summary(*summary));
            REQUIRE(again.has_value());
            CHECK(again->entries.size() == summary->entries.size());
        }
    }
}
