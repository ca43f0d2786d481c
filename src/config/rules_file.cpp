// The rules file (--rules): yaml-cpp nodes, the file is small.
#include "yaml_node.hpp"

#include <image_secure/config/rules_file.hpp>

#include <set>

namespace image_secure {

namespace {

struct Ctx {
    std::string_view source;
};

Error rules_error(const Ctx& ctx, const YAML::Node& node, const std::string& what) {
    return config::node_error(ctx.source, node, what);
}

Result<Ok>
check_keys(const Ctx& ctx, const YAML::Node& map, const std::set<std::string>& allowed, const std::string& where) {
    if (!map.IsMap()) {
        return rules_error(ctx, map, where + " must be a mapping");
    }
    for (const auto& entry : map) {
        const auto key = entry.first.as<std::string>();
        if (allowed.count(key) == 0) {
            return rules_error(ctx, entry.first, "unknown key \"" + key + "\" in " + where);
        }
    }
    return Ok{};
}

Result<std::vector<std::string>> string_list(const Ctx& ctx, const YAML::Node& node, const std::string& what) {
    std::vector<std::string> out;
    if (!node.IsSequence()) {
        return rules_error(ctx, node, what + " must be a list of names");
    }
    for (const auto& item : node) {
        if (!item.IsScalar()) {
            return rules_error(ctx, item, what + " must be a list of names");
        }
        out.push_back(item.as<std::string>());
    }
    return out;
}

Result<Rule> parse_rule(const Ctx& ctx, const YAML::Node& node, std::size_t number) {
    const std::string where = "rule " + std::to_string(number);
    if (auto ok = check_keys(
            ctx,
            node,
            {"match", "registry", "pathMode", "newName", "replace", "newTag", "digest", "action", "pullSecrets"},
            where);
        !ok) {
        return ok.error();
    }
    Rule rule;
    rule.number = number;
    const auto match = node["match"];
    if (!match) {
        return rules_error(ctx, node, where + " has no match");
    }
    if (auto ok = check_keys(ctx, match, {"registry", "name", "regex"}, where + " match"); !ok) {
        return ok.error();
    }
    if (match.size() != 1) {
        return rules_error(ctx, match, where + " must match on exactly one of registry, name or regex");
    }
    const auto key = match.begin()->first.as<std::string>();
    rule.pattern = match.begin()->second.as<std::string>();
    if (key == "registry") {
        rule.match = Rule::Match::registry;
    } else if (key == "name") {
        rule.match = Rule::Match::name;
    } else {
        rule.match = Rule::Match::regex;
        auto re = compile_regex(rule.pattern);
        if (!re) {
            return rules_error(ctx, match, where + ": " + re.error().what);
        }
        rule.regex = std::move(*re);
    }
    if (node["registry"]) {
        auto target = parse_registry_target(node["registry"].as<std::string>());
        if (!target) {
            return rules_error(ctx, node["registry"], where + ": " + target.error().what);
        }
        rule.registry = *target;
    }
    if (node["pathMode"]) {
        auto mode = parse_path_mode(node["pathMode"].as<std::string>());
        if (!mode) {
            return rules_error(ctx, node["pathMode"], where + ": " + mode.error().what);
        }
        rule.path_mode = *mode;
    }
    if (node["newName"]) {
        rule.new_name = node["newName"].as<std::string>();
    }
    if (node["replace"]) {
        if (rule.match != Rule::Match::regex) {
            return rules_error(ctx, node["replace"], where + ": replace needs a regex match");
        }
        rule.replace = node["replace"].as<std::string>();
    }
    if (node["newTag"]) {
        rule.new_tag = node["newTag"].as<std::string>();
        if (!is_valid_tag(rule.new_tag)) {
            return rules_error(ctx, node["newTag"], where + ": invalid tag \"" + rule.new_tag + "\"");
        }
    }
    if (node["digest"]) {
        rule.digest = node["digest"].as<std::string>();
        if (auto ok = validate_digest(rule.digest); !ok) {
            return rules_error(ctx, node["digest"], where + ": " + ok.error().what);
        }
    }
    if (node["action"]) {
        const auto action = node["action"].as<std::string>();
        if (action != "skip") {
            return rules_error(ctx, node["action"], where + ": action must be skip");
        }
        rule.skip = true;
    }
    if (node["pullSecrets"]) {
        auto list = string_list(ctx, node["pullSecrets"], where + " pullSecrets");
        if (!list) {
            return list.error();
        }
        rule.pull_secrets = std::move(*list);
    }
    return rule;
}

Result<FieldSpec> parse_field(const Ctx& ctx, const YAML::Node& node) {
    if (auto ok = check_keys(ctx, node, {"group", "version", "kind", "path"}, "fields"); !ok) {
        return ok.error();
    }
    FieldSpec spec;
    if (node["group"]) {
        spec.group = node["group"].as<std::string>();
    }
    if (node["kind"]) {
        spec.kind = node["kind"].as<std::string>();
    }
    if (!node["path"]) {
        return rules_error(ctx, node, "a field needs a path");
    }
    std::string_view path = node["path"].Scalar();
    while (!path.empty()) {
        const auto slash = path.find('/');
        spec.path.emplace_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            break;
        }
        path.remove_prefix(slash + 1);
    }
    return spec;
}

Result<RuleSet> parse_rules_node(const Ctx& ctx, const YAML::Node& root) {
    if (auto ok = check_keys(ctx, root, {"apiVersion", "kind", "defaults", "rules", "fields"}, "the rules file"); !ok) {
        return ok.error();
    }
    if (root["kind"] && root["kind"].as<std::string>() != "RewriteRules") {
        return rules_error(ctx, root["kind"], "kind must be RewriteRules");
    }
    RuleSet set;
    if (const auto defaults = root["defaults"]) {
        if (auto ok = check_keys(ctx, defaults, {"registry", "pathMode", "pullSecrets"}, "defaults"); !ok) {
            return ok.error();
        }
        if (defaults["registry"]) {
            auto target = parse_registry_target(defaults["registry"].as<std::string>());
            if (!target) {
                return rules_error(ctx, defaults["registry"], target.error().what);
            }
            set.registry = *target;
        }
        if (defaults["pathMode"]) {
            auto mode = parse_path_mode(defaults["pathMode"].as<std::string>());
            if (!mode) {
                return rules_error(ctx, defaults["pathMode"], mode.error().what);
            }
            set.path_mode = *mode;
        }
        if (defaults["pullSecrets"]) {
            auto list = string_list(ctx, defaults["pullSecrets"], "defaults pullSecrets");
            if (!list) {
                return list.error();
            }
            set.pull_secrets = std::move(*list);
        }
    }
    if (const auto rules = root["rules"]) {
        if (!rules.IsSequence()) {
            return rules_error(ctx, rules, "rules must be a list");
        }
        std::size_t number = 0;
        for (const auto& node : rules) {
            auto rule = parse_rule(ctx, node, ++number);
            if (!rule) {
                return rule.error();
            }
            set.rules.push_back(std::move(*rule));
        }
    }
    if (const auto fields = root["fields"]) {
        if (!fields.IsSequence()) {
            return rules_error(ctx, fields, "fields must be a list");
        }
        for (const auto& node : fields) {
            auto field = parse_field(ctx, node);
            if (!field) {
                return field.error();
            }
            set.fields.push_back(std::move(*field));
        }
    }
    return set;
}

} // namespace

Result<RuleSet> parse_rules(std::string_view text, std::string_view source) {
    const Ctx ctx{source};
    auto root = config::load_yaml(text, source, "invalid rules file");
    if (!root) {
        return root.error();
    }
    return config::guarded([&] { return parse_rules_node(ctx, *root); }, source, "invalid rules file");
}

} // namespace image_secure
