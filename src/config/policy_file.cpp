// Policy files (validate --policy): yaml-cpp nodes, the file is small.
#include "yaml_node.hpp"

#include <image_secure/base/text.hpp>
#include <image_secure/config/policy_file.hpp>

#include <set>

namespace image_secure {

namespace {

Error policy_error(std::string_view source, const YAML::Node& node, const std::string& what) {
    return config::node_error(source, node, what);
}

Result<std::vector<std::string>> strings(std::string_view source, const YAML::Node& node, const std::string& key) {
    if (!node.IsSequence()) {
        return policy_error(source, node, key + " must be a list");
    }
    std::vector<std::string> out;
    for (const auto& item : node) {
        if (!item.IsScalar()) {
            return policy_error(source, item, key + " must be a list of strings");
        }
        out.push_back(item.Scalar());
    }
    return out;
}

Result<Ok>
rule_list(std::string_view source, const YAML::Node& node, const std::string& key, bool value, Policy& policy) {
    auto ids = strings(source, node, key);
    if (!ids) {
        return ids.error();
    }
    for (const auto& id : *ids) {
        if (find_rule(id) == nullptr) {
            return policy_error(source, node, "unknown rule \"" + id + "\" in " + key);
        }
        policy.enabled[id] = value;
    }
    return Ok{};
}

Result<std::int64_t> size_value(std::string_view source, const YAML::Node& node, const std::string& key) {
    auto size = parse_byte_size(node.IsScalar() ? node.Scalar() : std::string());
    if (!size) {
        return policy_error(source, node, "audit." + key + ": " + size.error().what);
    }
    return *size;
}

/// The `audit:` section: maxCompressed, maxWastedBytes, maxAgeDays, allow.
Result<Ok> audit_section(std::string_view source, const YAML::Node& node, AuditPolicy& audit) {
    if (!node.IsMap()) {
        return policy_error(source, node, "audit must be a mapping (maxCompressed, maxWastedBytes, maxAgeDays, allow)");
    }
    for (const auto& entry : node) {
        const std::string key = entry.first.Scalar();
        const YAML::Node& value = entry.second;
        if (key == "maxCompressed" || key == "maxWastedBytes") {
            auto size = size_value(source, value, key);
            if (!size) {
                return size.error();
            }
            (key == "maxCompressed" ? audit.max_compressed : audit.max_wasted) = *size;
        } else if (key == "maxAgeDays") {
            const std::string text = value.IsScalar() ? value.Scalar() : std::string();
            if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos) {
                return policy_error(source, value, "audit.maxAgeDays must be a whole number of days");
            }
            audit.max_age_days = std::stoi(text);
        } else if (key == "allow") {
            if (!value.IsSequence()) {
                return policy_error(source, value, "audit.allow must be a list of {image, paths, rules}");
            }
            for (const auto& item : value) {
                if (!item.IsMap() || !item["image"] || !item["image"].IsScalar()) {
                    return policy_error(source, item, "an audit.allow entry needs image: GLOB");
                }
                AuditAllow allow;
                for (const auto& field : item) {
                    const std::string name = field.first.Scalar();
                    if (name == "image") {
                        allow.image = field.second.Scalar();
                    } else if (name == "paths" || name == "rules") {
                        auto list = strings(source, field.second, "audit.allow." + name);
                        if (!list) {
                            return list.error();
                        }
                        if (name == "rules") {
                            for (const auto& id : *list) {
                                if (audit_catalogue().find(id) == nullptr) {
                                    return policy_error(source, field.second, "unknown audit rule \"" + id + "\"");
                                }
                            }
                            allow.rules = std::move(*list);
                        } else {
                            allow.paths = std::move(*list);
                        }
                    } else {
                        return policy_error(source, field.first, "unknown key \"" + name + "\" in audit.allow");
                    }
                }
                audit.allow.push_back(std::move(allow));
            }
        } else {
            return policy_error(source, entry.first, "unknown key \"" + key + "\" in audit");
        }
    }
    return Ok{};
}

Result<Policy> parse_policy_node(std::string_view source, const YAML::Node& root) {
    Policy policy;
    if (root.IsNull()) {
        return policy;
    }
    if (!root.IsMap()) {
        return policy_error(source, root, "a policy file is a mapping");
    }
    static const std::set<std::string> keys = {"apiVersion",
                                               "kind",
                                               "enable",
                                               "disable",
                                               "severity",
                                               "allowedRegistries",
                                               "verifiedPublishers",
                                               "publicRegistries",
                                               "heavyImages",
                                               "statefulImages",
                                               "kubernetesVersion",
                                               "audit"};
    for (const auto& entry : root) {
        const std::string key = entry.first.Scalar();
        if (keys.count(key) == 0) {
            return policy_error(source, entry.first, "unknown key \"" + key + "\" in the policy file");
        }
        const YAML::Node& value = entry.second;
        if (key == "enable" || key == "disable") {
            if (auto ok = rule_list(source, value, key, key == "enable", policy); !ok) {
                return ok.error();
            }
        } else if (key == "severity") {
            if (!value.IsMap()) {
                return policy_error(source, value, "severity must map rule ids to error, warning or info");
            }
            for (const auto& rule : value) {
                const std::string id = rule.first.Scalar();
                if (find_rule(id) == nullptr) {
                    return policy_error(source, rule.first, "unknown rule \"" + id + "\" in severity");
                }
                auto level = parse_severity(rule.second.Scalar());
                if (!level) {
                    return policy_error(source, rule.second, level.error().what);
                }
                policy.severity[id] = *level;
            }
        } else if (key == "statefulImages") {
            if (!value.IsMap()) {
                return policy_error(source, value, "statefulImages must map image names to data paths");
            }
            for (const auto& image : value) {
                auto paths = strings(source, image.second, "statefulImages." + image.first.Scalar());
                if (!paths) {
                    return paths.error();
                }
                policy.stateful_images[image.first.Scalar()] = std::move(*paths);
            }
        } else if (key == "audit") {
            if (auto ok = audit_section(source, value, policy.audit); !ok) {
                return ok.error();
            }
        } else if (key == "kubernetesVersion") {
            auto minor = parse_kubernetes_version(value.IsScalar() ? value.Scalar() : std::string());
            if (!minor) {
                return policy_error(source, value, minor.error().what);
            }
            policy.kubernetes_minor = *minor;
        } else if (key != "apiVersion" && key != "kind") {
            auto list = strings(source, value, key);
            if (!list) {
                return list.error();
            }
            if (key == "allowedRegistries") {
                for (auto& allowed : *list) {
                    auto normal = normalize_allowed_registry(allowed);
                    if (!normal) {
                        return policy_error(source, value, normal.error().what);
                    }
                    allowed = std::move(*normal);
                }
                policy.allowed_registries = std::move(*list);
            } else if (key == "verifiedPublishers") {
                policy.verified_publishers = std::move(*list);
            } else if (key == "publicRegistries") {
                policy.public_registries = std::move(*list);
            } else {
                policy.heavy_images = std::move(*list);
            }
        }
    }
    return policy;
}

} // namespace

Result<Policy> parse_policy(std::string_view text, std::string_view source) {
    auto root = config::load_yaml(text, source, "invalid policy file");
    if (!root) {
        return root.error();
    }
    return config::guarded([&] { return parse_policy_node(source, *root); }, source, "invalid policy file");
}

} // namespace image_secure
