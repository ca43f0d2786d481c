#include "cel.hpp"

#include <image_secure/base/text.hpp>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace image_secure::admission {

namespace {

// The docker/distribution grammar as RE2 (reference/reference.cpp decides the same language).
constexpr std::string_view k_domain_component = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
constexpr std::string_view k_path_component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
constexpr std::string_view k_tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
constexpr std::string_view k_digest = "(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})";
// Characters parse_reference counts as upper case: A-Z and every non-ASCII character.
constexpr std::string_view k_upper = "[A-Z]|[^\\x00-\\x7F]";

std::string domain_re() {
    const std::string c(k_domain_component);
    return "(?:" + c + "(?:\\." + c + ")*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?";
}

std::string path_re() {
    const std::string c(k_path_component);
    return c + "(?:/" + c + ")*";
}

std::string reference_re() {
    return "^(?:" + domain_re() + "/)?" + path_re() + "(?::" + std::string(k_tag) + ")?(?:@" + std::string(k_digest)
           + ")?$";
}

using Fields = std::vector<std::pair<std::string, std::string>>;

// `in.map(var, {carried keys..., added...})`: one step of a pipeline over lists of maps.
std::string
stage(const std::string& in, const std::string& var, const std::vector<std::string>& carry, const Fields& added) {
    std::string out = in + "\n.map(" + var + ", {";
    bool first = true;
    for (const auto& key : carry) {
        out += (first ? "" : ", ") + cel_string(key) + ": " + var + "." + key;
        first = false;
    }
    for (const auto& [key, value] : added) {
        out += (first ? "" : ",\n  ") + cel_string(key) + ": " + value;
        first = false;
    }
    return out + "})";
}

// "a == 'x' || a == 'y'" for a small set, or "a in [...]".
std::string in_list(const std::string& value, const std::vector<std::string>& items) {
    if (items.empty()) {
        return "false";
    }
    if (items.size() == 1) {
        return value + " == " + cel_string(items.front());
    }
    return value + " in " + cel_strings(items);
}

// The repository under `target` for parsed image `r` (mapping.cpp's layout); the host mode
// of an image without a valid host keeps it unchanged (rewrite refuses it).
std::string layout(const RegistryTarget& target, PathMode mode) {
    const std::string base = cel_string(target.str() + "/");
    switch (mode) {
    case PathMode::keep:
        return base + " + r.pa";
    case PathMode::flatten:
        return base + " + r.pa.substring(r.pa.lastIndexOf('/') + 1)";
    case PathMode::host:
        return base + " + r.d.lowerAscii().replace(':', '_') + '/' + r.pa";
    }
    return "r.s";
}

// For a regex rule of the form `^LITERAL(.+)$` (or `(.*)`; anchors optional, as the match is
// whole), $1 is what follows LITERAL: the number of characters to skip. Anything else: none.
std::optional<std::size_t> literal_prefix_group(const Rule& rule) {
    if (rule.match != Rule::Match::regex) {
        return std::nullopt;
    }
    std::string_view p = rule.pattern;
    if (!p.empty() && p.front() == '^') {
        p.remove_prefix(1);
    }
    if (!p.empty() && p.back() == '$' && (p.size() < 2 || p[p.size() - 2] != '\\')) {
        p.remove_suffix(1);
    }
    for (const std::string_view group : {std::string_view("(.+)"), std::string_view("(.*)")}) {
        if (p.size() >= group.size() && p.substr(p.size() - group.size()) == group) {
            p.remove_suffix(group.size());
            std::size_t length = 0;
            for (std::size_t i = 0; i < p.size(); ++i) {
                const char c = p[i];
                const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                                   || c == '/' || c == '-' || c == '_' || c == ':' || c == '@';
                if (c == '\\' && i + 1 < p.size()
                    && std::string_view(".-/_:").find(p[i + 1]) != std::string_view::npos) {
                    ++i; // an escaped punctuation character stands for itself
                } else if (!plain) {
                    return std::nullopt;
                }
                ++length;
            }
            return length;
        }
    }
    return std::nullopt;
}

// A replace pattern with ${host} ${path} ${basename} ${registry} (and $1 after a literal
// prefix) as a CEL concatenation.
Result<std::string> expand_replace(const Rule& rule, const std::optional<RegistryTarget>& registry) {
    const auto prefix = literal_prefix_group(rule);
    std::string out;
    std::string literal;
    const auto flush = [&] {
        if (!literal.empty()) {
            out += (out.empty() ? "" : " + ") + cel_string(literal);
            literal.clear();
        }
    };
    const auto add = [&](const std::string& expr) {
        flush();
        out += (out.empty() ? "" : " + ") + expr;
    };
    const std::string& p = rule.replace;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == '$' && i + 1 < p.size() && p[i + 1] == '1' && prefix) {
            add("r.nm.substring(" + std::to_string(*prefix) + ")");
            ++i;
            continue;
        }
        if (p[i] == '$' && i + 1 < p.size() && p[i + 1] >= '1' && p[i + 1] <= '9') {
            return usage_error(
                "rule " + std::to_string(rule.number) + " replaces with the capture group $" + std::string(1, p[i + 1])
                    + ", which Kubernetes CEL cannot express (it has no regex replace) unless the regex is "
                      "^LITERAL(.+)$; use that form, ${host}, ${path}, ${basename} or ${registry}, "
                      "or a registry/name rule",
                "--mutate");
        }
        if (p[i] == '$' && i + 1 < p.size() && p[i + 1] == '{') {
            const auto close = p.find('}', i);
            if (close != std::string::npos) {
                const std::string var = p.substr(i + 2, close - i - 2);
                if (var == "host") {
                    add("r.d");
                } else if (var == "path") {
                    add("r.pa");
                } else if (var == "basename") {
                    add("r.pa.substring(r.pa.lastIndexOf('/') + 1)");
                } else if (var == "registry") {
                    literal += registry ? registry->str() : "";
                }
                i = close;
                continue;
            }
        }
        literal += p[i];
    }
    flush();
    return out.empty() ? cel_string("") : out;
}

// repo (a CEL string expression) + tag + digest, as rewrite assembles the target: a rule's
// newTag replaces the tag and drops the digest, its digest replaces the digest.
std::string assemble(const std::string& repo, const Rule* rule) {
    const bool new_tag = rule != nullptr && !rule->new_tag.empty();
    std::string out = repo + (new_tag ? " + " + cel_string(":" + rule->new_tag) : " + (r.tg != '' ? ':' + r.tg : '')");
    if (rule != nullptr && !rule->digest.empty()) {
        out += " + " + cel_string("@" + rule->digest);
    } else if (!new_tag) {
        out += " + (r.dg != '' ? '@' + r.dg : '')";
    }
    return "(" + out + ")";
}

std::string rule_matches(const Rule& rule) {
    switch (rule.match) {
    case Rule::Match::registry:
        return "r.d.lowerAscii() == " + cel_string(ascii_lower(rule.pattern));
    case Rule::Match::name:
        return "r.nm == " + cel_string(rule.pattern);
    case Rule::Match::regex:
        return "r.nm.matches(" + cel_string("^(?:" + rule.pattern + ")$") + ")";
    }
    return "false";
}

} // namespace

std::string cel_string(std::string_view text) {
    std::string out = "'";
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (ch == '\\' || ch == '\'') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
            out += buf;
        } else {
            out += ch;
        }
    }
    return out + "'";
}

std::string cel_strings(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += (i == 0 ? "" : ", ") + cel_string(items[i]);
    }
    return out + "]";
}

std::string pod_spec_expression() {
    return "object.kind == 'Pod' ? object.spec\n"
           ": object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec\n"
           ": object.kind == 'PodTemplate' ? object.template.spec\n"
           ": object.spec.template.spec";
}

std::string parsed_images(const std::string& source) {
    const std::vector<std::string> base = {"n", "s", "p", "x", "w"};
    const auto with = [&base](std::vector<std::string> more) {
        std::vector<std::string> all = base;
        all.insert(all.end(), more.begin(), more.end());
        return all;
    };
    // The host: the first component when it has '.' or ':', is localhost or has upper case.
    const std::string hostish =
        "(b.f != '' && (b.f.contains('.') || b.f.contains(':') || b.f == 'localhost' || b.f.matches("
        + cel_string(k_upper) + ")))";
    std::string e = stage(source, "a", base, {{"f", "a.s.indexOf('/') < 0 ? '' : a.s.substring(0, a.s.indexOf('/'))"}});
    e = stage(e,
              "b",
              base,
              {{"dm", hostish + " ? b.f : 'docker.io'"}, {"rs", hostish + " ? b.s.substring(size(b.f) + 1) : b.s"}});
    e = stage(
        e,
        "c",
        base,
        {{"d0", "c.dm == 'index.docker.io' ? 'docker.io' : c.dm"},
         {"rest",
          "(c.dm == 'docker.io' || c.dm == 'index.docker.io') && !c.rs.contains('/') ? 'library/' + c.rs : c.rs"}});
    e = stage(e,
              "d",
              with({"d0"}),
              {{"u", "d.d0 + '/' + d.rest"},
               {"rm", "d.rest.indexOf(':') < 0 ? d.rest : d.rest.substring(0, d.rest.indexOf(':'))"}});
    e = stage(e,
              "e",
              with({"d0"}),
              {{"v",
                "!e.s.matches('^[a-f0-9]{64}$') && !e.rm.matches(" + cel_string(k_upper) + ") && e.u.matches("
                    + cel_string(reference_re()) + ") ? 'y' : ''"},
               {"nt", "e.u.indexOf('@') < 0 ? e.u : e.u.substring(0, e.u.indexOf('@'))"},
               {"dg", "e.u.indexOf('@') < 0 ? '' : e.u.substring(e.u.indexOf('@') + 1)"}});
    e = stage(e,
              "f",
              with({"d0", "v", "dg"}),
              {{"tg",
                "f.v == 'y' && f.nt.lastIndexOf(':') > f.nt.lastIndexOf('/') ? f.nt.substring(f.nt.lastIndexOf(':') + "
                "1) : ''"},
               {"rn",
                "f.v != 'y' ? '' : (f.nt.lastIndexOf(':') > f.nt.lastIndexOf('/') ? f.nt.substring(0, "
                "f.nt.lastIndexOf(':')) : f.nt)"
                ".substring(size(f.d0) + 1)"}});
    // The first component is the domain only when it is a valid domain and the rest a valid
    // path (else the whole name is a path and the domain is empty).
    const std::string split = "(g.v == 'y' && g.d0.matches(" + cel_string("^" + domain_re() + "$")
                              + ") && g.rn.matches(" + cel_string("^" + path_re() + "$") + "))";
    e = stage(e,
              "g",
              with({"v", "tg", "dg"}),
              {{"d", split + " ? g.d0 : ''"}, {"pa", split + " ? g.rn : (g.v == 'y' ? g.d0 + '/' + g.rn : '')"}});
    e = stage(e,
              "h",
              with({"d", "pa", "tg", "dg"}),
              {{"v", "h.v == 'y' && size(h.pa) <= " + std::to_string(k_max_path_length) + " ? 'y' : ''"},
               {"nm", "h.d != '' ? h.d + '/' + h.pa : h.pa"}});
    return e;
}

Result<std::string> mapped_images(const std::string& parsed, const MappingConfig& mapping) {
    const std::vector<std::string> keys = {"n", "s", "p", "x", "w", "v", "d", "pa", "tg", "dg", "nm"};
    // 'k': "-" for an image that stays (not a reference, or already on a target host), else
    // the number of the first rule that matches it ("" for none). Each rule's match is
    // evaluated here only; 't' is chosen by 'k'.
    std::string number = "''";
    std::string target = mapping.registry ? assemble(layout(*mapping.registry, mapping.path_mode), nullptr) : "r.s";
    if (mapping.rules != nullptr) {
        for (auto it = mapping.rules->rules.rbegin(); it != mapping.rules->rules.rend(); ++it) {
            const Rule& rule = *it;
            std::string t = "r.s";
            if (!rule.skip) {
                const std::optional<RegistryTarget> registry = rule.registry ? rule.registry : mapping.registry;
                std::string repo;
                if (!rule.new_name.empty()) {
                    repo = cel_string(rule.new_name);
                } else if (!rule.replace.empty()) {
                    auto expanded = expand_replace(rule, registry);
                    if (!expanded) {
                        return expanded.error();
                    }
                    repo = *expanded;
                } else if (registry) {
                    repo = layout(*registry, rule.path_mode.value_or(mapping.path_mode));
                }
                if (!repo.empty()) {
                    t = assemble(repo, &rule);
                }
            }
            const std::string k = cel_string(std::to_string(rule.number));
            number = "(" + rule_matches(rule) + " ? " + k + " : " + number + ")";
            target = "(r.k == " + k + " ? " + t + "\n  : " + target + ")";
        }
    }
    const std::string unchanged = "r.v != 'y' || " + in_list("r.d.lowerAscii()", target_hosts(mapping));
    const std::string numbered = stage(parsed, "r", keys, {{"k", unchanged + " ? '-' : " + number}});
    std::vector<std::string> with_k = keys;
    with_k.emplace_back("k");
    return stage(numbered, "r", with_k, {{"t", "r.k == '-' ? r.s\n  : " + target}});
}

std::string ignored(std::string_view id) {
    return "variables.ignore.matches(" + cel_string("^[, ]*(?:IS[0-9]{3}[, ]+)*" + std::string(id) + "(?:[, :]|$)")
           + ")";
}

namespace {

// A literal for RE2 (what RE2::QuoteMeta does for ASCII).
std::string regex_quote(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || u >= 0x80)) {
            out += '\\';
        }
        out += c;
    }
    return out;
}

std::string strip_trailing_slashes(std::string path) {
    while (path.size() > 1 && path.back() == '/') {
        path.pop_back();
    }
    return path;
}

// The mount paths that cover `data` as validate's path_covers decides: the root, and every
// leading whole-component prefix of `data`, each with any trailing slashes (and, for an
// absolute `data`, the empty path).
std::string covers_regex(const std::string& data) {
    const std::string d = strip_trailing_slashes(data);
    std::string alternatives = "/+";
    if (!d.empty() && d.front() == '/') {
        alternatives = "|" + alternatives;
    }
    for (std::size_t i = 1; i <= d.size(); ++i) {
        if (i == d.size() || d[i] == '/') {
            if (d.substr(0, i) != "/") {
                alternatives += "|" + regex_quote(d.substr(0, i)) + "/*";
            }
        }
    }
    return "^(?:" + alternatives + ")$";
}

// The official name of parsed image r (docker.io/library/NAME), as validate's official_name.
constexpr std::string_view k_official =
    "r.d == 'docker.io' && r.pa.startsWith('library/') && !r.pa.substring(8).contains('/')";

// validate's holds_secret for env entry `e`, in CEL.
std::string holds_secret() {
    return "has(e.name) && has(e.value) && !has(e.valueFrom) && type(e.value) == string && e.value != ''"
           " && e.name.lowerAscii().matches('password|passwd|secret|token|api_key|apikey|private_key')"
           " && !e.name.lowerAscii().matches("
           + cel_string("(^|[_.-])(name|names|path|file|dir|directory|namespace|ref|mount|location|enabled|enable|"
                        "disabled|header|field|type|mode|ttl|length|size|count|seconds)$")
           + ")"
             " && !e.value.startsWith('/') && !e.value.startsWith('./') && !e.value.startsWith('$(')"
             " && !e.value.startsWith('${')"
             " && !(e.value.lowerAscii() in ['true', 'false', 'yes', 'no', 'none'])"
             " && !e.value.matches('^[0-9]+$')";
}

} // namespace

std::vector<std::string> stateful_directories(const Policy& policy) {
    std::vector<std::string> out;
    for (const auto& [image, dirs] : stateful_images_of(policy)) {
        for (const auto& dir : dirs) {
            if (std::find(out.begin(), out.end(), dir) == out.end()) {
                out.push_back(dir);
            }
        }
    }
    return out;
}

std::string container_images(const std::string& list, const Policy* policy, std::string_view which) {
    std::string pull = "''";
    std::string covered = "''";
    if (policy != nullptr) {
        pull = "has(c.imagePullPolicy) ? c.imagePullPolicy : ''";
        const std::string mounts =
            "(has(c.volumeMounts) ? c.volumeMounts : []).exists(m, (has(m.mountPath) ? m.mountPath : '').matches(";
        covered = "','";
        const auto dirs = stateful_directories(*policy);
        for (std::size_t i = 0; i < dirs.size(); ++i) {
            covered += "\n  + (" + mounts + cel_string(covers_regex(dirs[i])) + ")) ? "
                       + cel_string(std::to_string(i) + ",") + " : '')";
        }
    }
    return list
           + "\n.filter(c, has(c.image) && c.image != '')\n.map(c, {'n': has(c.name) ? c.name : '', 's': c.image, 'p': "
           + pull + ", 'x': " + covered + ", 'w': " + cel_string(which) + "})";
}

std::string volume_images(const std::string& list) {
    return list + "\n.filter(v, has(v.image) && has(v.image.reference) && v.image.reference != '')\n"
           + ".map(v, {'n': has(v.name) ? v.name : '', 's': v.image.reference, 'p': '', 'x': '', 'w': 'v'})";
}

std::vector<CelRule> object_rules(const Policy& policy, Severity fail_on) {
    std::vector<CelRule> out;
    const auto wanted = [&](std::string_view id, Severity level) {
        if (!policy.is_enabled(id)) {
            return false;
        }
        const bool overridden = policy.severity.count(std::string(id)) != 0;
        return (overridden ? policy.severity_of(id) : level) >= fail_on;
    };
    const std::string image = "(r.w == 'v' ? 'volume ' : 'container ') + r.n + ' image ' + r.s";
    const auto add = [&](std::string_view id, std::string violated, std::string advice) {
        out.push_back({std::string(id), "variables.images", "r", std::move(violated), image, std::move(advice)});
    };
    if (wanted("IS003", policy.severity_of("IS003"))) {
        add("IS003", "r.v != 'y'", "is not a valid image reference");
    }
    if (wanted("IS004", policy.severity_of("IS004"))) {
        add("IS004",
            "r.v == 'y' && r.dg == '' && (r.tg == '' || r.tg == 'latest')",
            "uses the mutable tag latest (or no tag); pin a version tag or a digest");
    }
    if (wanted("IS005", policy.severity_of("IS005"))) {
        add("IS005", "r.v == 'y' && r.dg == ''", "is not pinned by digest");
    }
    if (!policy.allowed_registries.empty() && wanted("IS006", policy.severity_of("IS006"))) {
        std::string any;
        std::string list;
        for (const auto& entry : policy.allowed_registries) {
            const auto slash = entry.find('/');
            std::string test = "r.d == " + cel_string(entry.substr(0, slash));
            std::string prefix = slash == std::string::npos ? std::string() : entry.substr(slash + 1);
            while (!prefix.empty() && prefix.back() == '/') {
                prefix.pop_back();
            }
            if (!prefix.empty()) {
                test += " && (r.pa == " + cel_string(prefix) + " || r.pa.startsWith(" + cel_string(prefix + "/") + "))";
            }
            any += (any.empty() ? "" : " || ") + ("(" + test + ")");
            list += (list.empty() ? "" : ", ") + entry;
        }
        add("IS006",
            "r.v == 'y' && !(" + any + ")",
            "comes from a registry that is not allowed (allowed: " + list + ")");
    }
    if (wanted("IS007", policy.severity_of("IS007"))) {
        std::vector<std::string> accepted = {"library"};
        const auto verified = verified_publishers_of(policy);
        accepted.insert(accepted.end(), verified.begin(), verified.end());
        add("IS007",
            "r.v == 'y' && r.d == 'docker.io' && !(r.pa.split('/')[0] in " + cel_strings(accepted) + ")",
            "is from a Docker Hub namespace that is neither official nor a verified publisher");
    }
    // IS008: warning, an error from Kubernetes 1.35 (the kubelet re-checks credentials).
    const Severity is008 = policy.kubernetes_minor >= 35 ? Severity::error : policy.severity_of("IS008");
    if (wanted("IS008", is008)) {
        add("IS008",
            "r.v == 'y' && !(" + in_list("r.d", public_registries_of(policy))
                + ") && !(has(variables.podSpec.imagePullSecrets) && size(variables.podSpec.imagePullSecrets) > 0)",
            "is on a private registry but the pod has no imagePullSecrets");
    }
    if (wanted("IS010", policy.severity_of("IS010"))) {
        add("IS010",
            "r.w == 'c' && r.v == 'y' && " + std::string(k_official) + " && r.pa.substring(8) in "
                + cel_strings(heavy_images_of(policy))
                + " && !r.tg.split('-').exists(t, t == 'slim' || t.startsWith('alpine'))",
            "is a full distribution or language image; use a slim or alpine variant");
    }
    if (wanted("IS011", policy.severity_of("IS011"))) {
        const auto dirs = stateful_directories(policy);
        std::string any;
        std::string list;
        for (const auto& [name, paths] : stateful_images_of(policy)) {
            std::string uncovered;
            for (const auto& path : paths) {
                const auto i = static_cast<std::size_t>(std::find(dirs.begin(), dirs.end(), path) - dirs.begin());
                uncovered += (uncovered.empty() ? "" : " || ")
                             + ("!r.x.contains(" + cel_string("," + std::to_string(i) + ",") + ")");
                list += (list.empty() ? "" : ", ") + name + " " + path;
            }
            if (!uncovered.empty()) {
                any += (any.empty() ? "" : "\n  || ")
                       + ("(r.pa == " + cel_string("library/" + name) + " && (" + uncovered + "))");
            }
        }
        if (!any.empty()) {
            add("IS011",
                "r.w == 'c' && r.v == 'y' && r.d == 'docker.io' && (" + any + ")",
                "keeps its data in the container: mount a volume at its data directory (" + list + ")");
        }
    }
    if (wanted("IS012", policy.severity_of("IS012"))) {
        out.push_back({"IS012",
                       "variables.containers",
                       "c",
                       "has(c.env) && c.env.exists(e, " + holds_secret() + ")",
                       "'container ' + (has(c.name) ? c.name : '') + ' env ' + c.env.filter(e, " + holds_secret()
                           + ").map(e, e.name).join(' ')",
                       "holds a literal credential; use valueFrom with a Secret"});
    }
    // IS014: a written imagePullPolicy other than Always, no digest: the rule's severity with a
    // mutable tag, info with a version tag.
    const bool mutable_part = wanted("IS014", policy.severity_of("IS014"));
    const bool version_part = wanted("IS014", Severity::info);
    if (mutable_part || version_part) {
        const std::string which = mutable_part && version_part ? ""
                                  : mutable_part               ? " && (r.tg == '' || r.tg == 'latest')"
                                                               : " && r.tg != '' && r.tg != 'latest'";
        add("IS014",
            "r.p != '' && r.p != 'Always' && r.v == 'y' && r.dg == ''" + which,
            "has an imagePullPolicy that keeps whatever a node has cached; use Always or pin a digest");
    }
    return out;
}

} // namespace image_secure::admission
