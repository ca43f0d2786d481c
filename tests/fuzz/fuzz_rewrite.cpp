// For any input: no crash; bytes outside the edits never change; rewrite∘rewrite = rewrite.
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/rewrite/rewrite.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace image_secure;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    ScanOptions scan;
    scan.threads = 1;
    auto manifest = scan_manifest(text, "fuzz", scan);
    if (!manifest) {
        return 0;
    }
    MappingConfig config;
    config.registry = parse_registry_target("r.example.com/m").value();
    config.pull_secrets = {"s"};
    RewriteState state;
    auto plan = plan_rewrite(text, "fuzz", *manifest, config, state);
    if (!plan) {
        return 0;
    }
    // Outside the edits every byte is the input's.
    std::size_t pos = 0;
    for (const auto& e : plan->edits) {
        if (e.offset < pos || e.offset + e.length > text.size()) {
            std::abort();
        }
        pos = e.offset + e.length;
    }
    const std::string out = apply_edits(text, plan->edits);
    auto again = scan_manifest(out, "fuzz", scan);
    if (!again) {
        std::abort(); // the rewrite turned valid YAML into invalid YAML
    }
    RewriteState state2;
    auto plan2 = plan_rewrite(out, "fuzz", *again, config, state2);
    if (!plan2 || !plan2->edits.empty()) {
        std::abort(); // not idempotent
    }
    return 0;
}
