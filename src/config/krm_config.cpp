// The functionConfig of a KRM ResourceList, read with yaml-cpp.
#include <image_secure/base/location.hpp>
#include <image_secure/config/krm_config.hpp>

#include <yaml-cpp/yaml.h>

namespace image_secure {

namespace {

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::string current;
    const auto flush = [&] {
        const auto begin = current.find_first_not_of(" \t\r");
        const auto end = current.find_last_not_of(" \t\r");
        if (begin != std::string::npos) {
            out.push_back(current.substr(begin, end - begin + 1));
        }
        current.clear();
    };
    for (const char c : text) {
        if (c == ',' || c == '\n') {
            flush();
        } else {
            current += c;
        }
    }
    flush();
    return out;
}

} // namespace

Result<KrmConfig> parse_krm_function_config(std::string_view resource_list) {
    const std::string where = "ResourceList";
    YAML::Node doc;
    try {
        doc = YAML::Load(std::string(resource_list));
    } catch (const YAML::Exception& e) {
        return input_error("the input is not YAML: " + e.msg,
                           format_location(where, static_cast<std::size_t>(e.mark.line + 1)));
    }
    if (!doc.IsMap() || !doc["kind"] || doc["kind"].as<std::string>("") != "ResourceList") {
        return input_error("the input is not a ResourceList (config.kubernetes.io/v1)", where);
    }
    KrmConfig config;
    const YAML::Node fn = doc["functionConfig"];
    if (!fn || fn.IsNull()) {
        return config;
    }
    if (!fn.IsMap()) {
        return input_error("functionConfig is not a mapping", where);
    }
    const YAML::Node data = fn["data"];
    if (!data || data.IsNull()) {
        return config;
    }
    if (!data.IsMap()) {
        return input_error("functionConfig.data is not a mapping", where);
    }
    for (const auto& entry : data) {
        const auto key = entry.first.as<std::string>("");
        if (!entry.second.IsScalar()) {
            return input_error("functionConfig.data." + key + " must be a string", where);
        }
        const auto value = entry.second.as<std::string>("");
        if (key == "registry") {
            config.registry = value;
        } else if (key == "path-mode") {
            config.path_mode = value;
        } else if (key == "rules") {
            config.rules = value;
        } else if (key == "pull-secrets") {
            config.pull_secrets = split_list(value);
        } else {
            return input_error("unknown functionConfig.data key \"" + key
                                   + "\" (known: registry, pull-secrets, path-mode, rules)",
                               where);
        }
    }
    return config;
}

} // namespace image_secure
