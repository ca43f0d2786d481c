#include <image_secure/base/digest.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/reference/reference.hpp>
#include <image_secure/registry/oci.hpp>

#include <nlohmann/json.hpp>

namespace image_secure::oci {

namespace {

using nlohmann::json;

std::string_view without_parameters(std::string_view content_type) {
    content_type = content_type.substr(0, content_type.find(';'));
    while (!content_type.empty() && content_type.back() == ' ') {
        content_type.remove_suffix(1);
    }
    return content_type;
}

std::string string_field(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::pair<std::string, std::string>> string_annotations(const json& object) {
    std::vector<std::pair<std::string, std::string>> out;
    if (const auto a = object.find("annotations"); a != object.end() && a->is_object()) {
        for (const auto& [key, value] : a->items()) {
            if (value.is_string()) {
                out.emplace_back(key, value.get<std::string>());
            }
        }
    }
    return out;
}

Result<Descriptor> parse_descriptor(const json& value, std::string_view where) {
    if (!value.is_object()) {
        return input_error("a descriptor is not an object", std::string(where));
    }
    Descriptor d;
    d.media_type = string_field(value, "mediaType");
    d.digest = string_field(value, "digest");
    if (auto valid = validate_digest(d.digest); !valid) {
        return input_error("descriptor has an invalid digest \"" + d.digest + "\"", std::string(where));
    }
    const auto size = value.find("size");
    if (size == value.end() || !size->is_number_integer() || size->get<std::int64_t>() < 0) {
        return input_error("descriptor " + d.digest + " has no valid size", std::string(where));
    }
    d.size = size->get<std::int64_t>();
    if (const auto p = value.find("platform"); p != value.end() && p->is_object()) {
        Platform platform;
        platform.os = string_field(*p, "os");
        platform.architecture = string_field(*p, "architecture");
        platform.variant = string_field(*p, "variant");
        platform.os_version = string_field(*p, "os.version");
        d.platform = std::move(platform);
    }
    if (const auto urls = value.find("urls"); urls != value.end() && urls->is_array()) {
        for (const auto& u : *urls) {
            if (u.is_string()) {
                d.urls.push_back(u.get<std::string>());
            }
        }
    }
    d.artifact_type = string_field(value, "artifactType");
    d.annotations = string_annotations(value);
    return d;
}

} // namespace

std::string Platform::str() const {
    std::string out = os + "/" + architecture;
    if (!variant.empty()) {
        out += "/" + variant;
    }
    return out;
}

Result<Platform> parse_platform(std::string_view text) {
    Platform p;
    const auto first = text.find('/');
    if (first == std::string_view::npos || first == 0) {
        return usage_error("platform \"" + std::string(text) + "\" is not os/arch[/variant]", "--platform");
    }
    p.os = std::string(text.substr(0, first));
    const auto rest = text.substr(first + 1);
    const auto second = rest.find('/');
    p.architecture = std::string(rest.substr(0, second));
    if (second != std::string_view::npos) {
        p.variant = std::string(rest.substr(second + 1));
    }
    if (p.architecture.empty() || (second != std::string_view::npos && p.variant.empty())
        || p.variant.find('/') != std::string::npos) {
        return usage_error("platform \"" + std::string(text) + "\" is not os/arch[/variant]", "--platform");
    }
    return p;
}

bool is_index_type(std::string_view media_type) { return media_type == k_oci_index || media_type == k_docker_list; }

bool is_manifest_type(std::string_view media_type) {
    return media_type == k_oci_manifest || media_type == k_docker_manifest;
}

std::int64_t Manifest::image_size() const {
    std::int64_t total = config.size;
    for (const auto& layer : layers) {
        total += layer.size;
    }
    return total;
}

Result<Manifest> parse_manifest(std::string_view body, std::string_view content_type) {
    const json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return input_error("the manifest is not a JSON object");
    }
    const std::string declared = string_field(doc, "mediaType");
    const std::string_view header = without_parameters(content_type);
    Manifest m;
    if (!declared.empty()) {
        if (!header.empty() && header != declared && (is_index_type(header) || is_manifest_type(header))) {
            return input_error("the manifest says mediaType " + declared + " but was served as " + std::string(header));
        }
        m.media_type = declared;
    } else if (is_index_type(header) || is_manifest_type(header)) {
        m.media_type = std::string(header);
    } else if (doc.contains("manifests")) {
        m.media_type = std::string(k_oci_index);
    } else if (doc.contains("config") && doc.contains("layers")) {
        m.media_type = std::string(k_oci_manifest);
    }
    if (const auto version = doc.find("schemaVersion"); version != doc.end() && *version == 1) {
        return input_error("schema 1 manifests are not supported");
    }
    m.artifact_type = string_field(doc, "artifactType");
    m.annotations = string_annotations(doc);
    if (const auto subject = doc.find("subject"); subject != doc.end()) {
        auto d = parse_descriptor(*subject, "subject");
        if (!d) {
            return d.error();
        }
        m.subject = std::move(*d);
    }
    if (is_index_type(m.media_type)) {
        m.kind = Manifest::Kind::index;
        const auto list = doc.find("manifests");
        if (list == doc.end() || !list->is_array()) {
            return input_error("the index has no manifests array");
        }
        for (const auto& item : *list) {
            auto d = parse_descriptor(item, "manifests");
            if (!d) {
                return d.error();
            }
            m.manifests.push_back(std::move(*d));
        }
        return m;
    }
    if (!is_manifest_type(m.media_type)) {
        return input_error("unsupported manifest media type \"" + m.media_type + "\"");
    }
    const auto config = doc.find("config");
    if (config == doc.end()) {
        return input_error("the image manifest has no config");
    }
    auto c = parse_descriptor(*config, "config");
    if (!c) {
        return c.error();
    }
    m.config = std::move(*c);
    const auto layers = doc.find("layers");
    if (layers == doc.end() || !layers->is_array()) {
        return input_error("the image manifest has no layers array");
    }
    for (const auto& item : *layers) {
        auto d = parse_descriptor(item, "layers");
        if (!d) {
            return d.error();
        }
        m.layers.push_back(std::move(*d));
    }
    return m;
}

const Descriptor* select_platform(const Manifest& index, const Platform& want) {
    const auto default_variant = [](const Platform& p) -> std::string {
        if (!p.variant.empty()) {
            return p.variant;
        }
        if (p.architecture == "arm64") {
            return "v8";
        }
        return {};
    };
    for (const auto& d : index.manifests) {
        if (!d.platform || d.platform->os != want.os || d.platform->architecture != want.architecture) {
            continue;
        }
        if (!want.variant.empty() && default_variant(*d.platform) != want.variant) {
            continue;
        }
        return &d;
    }
    return nullptr;
}

Result<ImageConfig> parse_image_config(std::string_view body) {
    const json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return input_error("the image config is not a JSON object");
    }
    ImageConfig c;
    c.created = string_field(doc, "created");
    c.os = string_field(doc, "os");
    c.architecture = string_field(doc, "architecture");
    c.variant = string_field(doc, "variant");
    return c;
}

std::string sha256_digest(std::string_view bytes) { return "sha256:" + sha256_hex(bytes); }

} // namespace image_secure::oci
