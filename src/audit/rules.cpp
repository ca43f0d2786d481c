// IS101-IS114: facts judged under the policy. Tools, setuid files and caches give one finding
// per rule and layer (so each names the Dockerfile step that added it); manifest cross-checks
// (IS111, IS112, IS114) give one per container.

#include <image_secure/audit/audit.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/findings/suppression.hpp>

#include <algorithm>
#include <ctime>
#include <fnmatch.h>
#include <map>

namespace image_secure::audit {

namespace {

struct RuleCategory {
    std::string_view rule;
    std::string_view category;
};

constexpr RuleCategory k_categories[] = {
    {"IS101", "shell"},
    {"IS102", "package-manager"},
    {"IS103", "network-tool"},
    {"IS104", "editor"},
    {"IS105", "compiler"},
    {"IS106", "setuid"},
    {"IS107", "package-cache"},
    {"IS108", "size"},
    {"IS109", "size"},
    {"IS110", "base"},
    {"IS111", "command"},
    {"IS112", "volume"},
    {"IS113", "age"},
    {"IS114", "root"},
};

bool glob(const std::string& pattern, const std::string& text) {
    return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

/// Seconds since the epoch of an RFC 3339 time ("2024-05-01T10:00:00.123456789Z"); -1 if unreadable.
std::int64_t parse_time(const std::string& text) {
    std::tm tm{};
    int year = 0;
    int month = 0;
    if (std::sscanf(
            text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec)
        != 6) {
        return -1;
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    std::int64_t t = timegm(&tm);
    // A numeric offset ("+02:00") after the seconds and fraction.
    const auto tpos = text.find('T');
    const auto zone = text.find_first_of("+-", tpos);
    if (zone != std::string::npos) {
        int hh = 0;
        int mm = 0;
        if (std::sscanf(text.c_str() + zone + 1, "%2d:%2d", &hh, &mm) == 2) {
            const std::int64_t offset = (hh * 3600L) + (mm * 60L);
            t += text[zone] == '+' ? -offset : offset;
        }
    }
    return t;
}

bool is_root_user(const std::string& user) {
    const std::string name = user.substr(0, user.find(':'));
    return name.empty() || name == "0" || name == "root";
}

std::string quoted_command(const std::vector<std::string>& argv) {
    std::string out;
    for (std::size_t i = 0; i < argv.size() && i < 3; ++i) {
        if (!out.empty()) {
            out += ' ';
        }
        out += argv[i];
    }
    if (argv.size() > 3) {
        out += " …";
    }
    return "\"" + printable(out, 80) + "\"";
}

class Evaluator {
  public:
    Evaluator(const AuditedImage& image, const layer::ImageTree* tree, const Policy& policy, std::int64_t now)
        : m_image(image), m_tree(tree), m_policy(policy), m_now(now) {
        for (const auto& u : image.uses) {
            m_all.push_back({u.file, u.line, u.column, u.object});
        }
    }

    std::vector<AuditFinding> run() {
        if (m_image.facts) {
            const ImageFacts& f = *m_image.facts;
            static constexpr std::string_view k_tool_rules[k_tool_categories] = {
                "IS101", "IS102", "IS103", "IS104", "IS105"};
            static constexpr std::string_view k_tool_words[k_tool_categories] = {
                "a shell", "a package manager", "a network tool", "an editor", "a compiler or build tool"};
            for (int c = 0; c < k_tool_categories; ++c) {
                by_layer(k_tool_rules[c], f.tools[c], std::string("the image has ") + std::string(k_tool_words[c]));
            }
            std::vector<PathFact> special = f.setuid;
            special.insert(special.end(), f.setgid.begin(), f.setgid.end());
            std::sort(
                special.begin(), special.end(), [](const PathFact& a, const PathFact& b) { return a.path < b.path; });
            special.erase(std::unique(special.begin(),
                                      special.end(),
                                      [](const PathFact& a, const PathFact& b) { return a.path == b.path; }),
                          special.end());
            by_layer("IS106", special, "the image has setuid/setgid files");
            by_layer("IS107", f.package_caches, "package-manager caches were left in the image");
            if (f.wasted_bytes > m_policy.audit.max_wasted) {
                add("IS109",
                    human_size(f.wasted_bytes) + " shipped in lower layers but overwritten or deleted above (limit "
                        + human_size(m_policy.audit.max_wasted) + ")",
                    {},
                    -1,
                    m_all);
            }
            const bool has_package_manager = !f.of(ToolCategory::package_manager).empty();
            if (f.os && has_package_manager) {
                const std::string os = !f.os->pretty_name.empty() ? f.os->pretty_name : f.os->id;
                add("IS110",
                    "the image is a full distribution (" + printable(os, 80) + " with "
                        + f.of(ToolCategory::package_manager).front().path + "): use a distroless or slim base",
                    {},
                    -1,
                    m_all);
            }
        }
        std::int64_t compressed = 0;
        if (m_image.facts) {
            compressed = m_image.facts->compressed_bytes;
        } else {
            compressed = m_image.compressed_bytes;
        }
        if (compressed > m_policy.audit.max_compressed) {
            add("IS108",
                "the image is " + human_size(compressed) + " compressed (limit "
                    + human_size(m_policy.audit.max_compressed) + ")",
                {},
                -1,
                m_all);
        }
        const std::int64_t created = parse_time(m_image.config.created);
        // Reproducible builds stamp the epoch: that says nothing about age.
        if (created > 86400 && m_now - created > static_cast<std::int64_t>(m_policy.audit.max_age_days) * 86400) {
            add("IS113",
                "the image was built " + std::to_string((m_now - created) / 86400) + " days ago ("
                    + printable(m_image.config.created, 40) + "; limit " + std::to_string(m_policy.audit.max_age_days)
                    + " days)",
                {},
                -1,
                m_all);
        }
        const bool root = is_root_user(m_image.config.user);
        const std::string user_text =
            m_image.config.user.empty() ? "no USER (root)" : "USER " + printable(m_image.config.user, 40);
        if (m_image.uses.empty()) {
            if (root) {
                add("IS114", "the image runs as root (" + user_text + ")", {}, -1, {});
            }
        }
        for (const auto& use : m_image.uses) {
            if (use.container.empty()) {
                continue;
            }
            const FindingLocation at{use.file, use.line, use.column, use.object};
            const std::string who = "container " + printable(use.container, 64);
            if (root && !use.non_root) {
                add("IS114",
                    who + " runs as root: the image has " + user_text
                        + " and the pod sets neither runAsNonRoot nor runAsUser",
                    {},
                    -1,
                    {at},
                    &use);
            }
            for (const auto& volume : m_image.config.volumes) {
                const bool mounted = std::any_of(use.mount_paths.begin(), use.mount_paths.end(), [&](const auto& m) {
                    return path_covers(m, volume);
                });
                if (!mounted) {
                    add("IS112",
                        who + ": the image declares VOLUME " + printable(volume, 120)
                            + " but no volume is mounted there (the data stays in the container)",
                        {volume},
                        -1,
                        {at},
                        &use);
                }
            }
            if (m_tree != nullptr) {
                commands(use, at, who);
            }
        }
        return std::move(m_out);
    }

  private:
    void commands(const ManifestUse& use, const FindingLocation& at, const std::string& who) {
        const auto check = [&](const std::vector<std::string>& argv, const std::string& what) {
            if (argv.empty() || argv.front().empty()) {
                return;
            }
            if (image_has_command(*m_tree, m_image.config, argv.front())) {
                return;
            }
            add("IS111",
                who + ": " + what + " runs " + quoted_command(argv) + " but the image has no "
                    + printable(argv.front(), 120) + " (it fails at run time)",
                {argv.front()},
                -1,
                {at},
                &use);
        };
        check(use.command, "its command");
        for (const auto& [hook, argv] : use.exec_commands) {
            check(argv, "its " + hook);
        }
    }

    /// One finding per layer for `paths`.
    void by_layer(std::string_view rule, const std::vector<PathFact>& paths, const std::string& what) {
        std::map<int, std::vector<std::string>> layers;
        for (const auto& p : paths) {
            layers[p.layer].push_back(p.path);
        }
        for (auto& [layer, list] : layers) {
            std::string message = what + ": ";
            for (std::size_t i = 0; i < list.size(); ++i) {
                message += (i == 0 ? "" : ", ") + printable(list[i], 200);
                if (i == 9 && list.size() > 10) {
                    message += " and " + std::to_string(list.size() - 10) + " more";
                    break;
                }
            }
            message += layer_text(layer);
            add(rule, message, std::move(list), layer, m_all);
        }
    }

    std::string layer_text(int layer) const {
        if (layer < 0 || !m_image.facts) {
            return {};
        }
        std::string out = " (layer " + std::to_string(layer);
        const auto& layers = m_image.facts->layers;
        if (static_cast<std::size_t>(layer) < layers.size()
            && !layers[static_cast<std::size_t>(layer)].created_by.empty()) {
            out += ": " + printable(layers[static_cast<std::size_t>(layer)].created_by, 100);
        }
        return out + ")";
    }

    /// Is this rule/path waived for this image by the policy's audit.allow?
    bool allowed(std::string_view rule, const std::string& path) const {
        for (const auto& a : m_policy.audit.allow) {
            if (!glob(a.image, m_image.ref)) {
                continue;
            }
            if (!a.rules.empty() && std::find(a.rules.begin(), a.rules.end(), rule) == a.rules.end()) {
                continue;
            }
            if (a.paths.empty()) {
                return true;
            }
            if (!path.empty()
                && std::any_of(a.paths.begin(), a.paths.end(), [&](const auto& g) { return glob(g, path); })) {
                return true;
            }
        }
        return false;
    }

    void add(std::string_view rule,
             std::string message,
             std::vector<std::string> paths,
             int layer,
             std::vector<FindingLocation> locations,
             const ManifestUse* use = nullptr) {
        if (!m_policy.is_enabled(rule)) {
            return;
        }
        if (!paths.empty()) {
            paths.erase(std::remove_if(paths.begin(), paths.end(), [&](const auto& p) { return allowed(rule, p); }),
                        paths.end());
            if (paths.empty()) {
                return;
            }
        } else if (allowed(rule, {})) {
            return;
        }
        AuditFinding f;
        f.rule = std::string(rule);
        f.severity = m_policy.severity_of(rule);
        f.message = std::move(message);
        f.paths = std::move(paths);
        f.layer = layer;
        f.locations = std::move(locations);
        // Suppressed when every object it is reported on says so.
        const auto suppression_of = [&](const ManifestUse& u) { return parse_suppression(u.ignore); };
        if (use != nullptr) {
            const auto s = suppression_of(*use);
            if (s.covers(rule)) {
                f.suppressed = true;
                f.justification = s.reason;
            }
        } else if (!m_image.uses.empty()) {
            bool all = true;
            std::string reason;
            for (const auto& u : m_image.uses) {
                const auto s = suppression_of(u);
                all = all && s.covers(rule);
                if (reason.empty()) {
                    reason = s.reason;
                }
            }
            if (all) {
                f.suppressed = true;
                f.justification = reason;
            }
        }
        m_out.push_back(std::move(f));
    }

    const AuditedImage& m_image;
    const layer::ImageTree* m_tree;
    const Policy& m_policy;
    std::int64_t m_now;
    std::vector<FindingLocation> m_all;
    std::vector<AuditFinding> m_out;
};

} // namespace

std::string_view rule_category(std::string_view rule) {
    for (const auto& c : k_categories) {
        if (c.rule == rule) {
            return c.category;
        }
    }
    return {};
}

Result<std::vector<std::string>> parse_fail_on(const std::vector<std::string>& items) {
    std::vector<std::string> out;
    for (const auto& item : items) {
        if (item == "none" || item == "all") {
            out.push_back(item);
            continue;
        }
        const bool known = std::any_of(std::begin(k_categories), std::end(k_categories), [&](const RuleCategory& c) {
            return c.category == item;
        });
        if (!known) {
            return usage_error("unknown --fail-on category \"" + printable(item, 40)
                                   + "\" (shell, package-manager, network-tool, editor, compiler, setuid, "
                                     "package-cache, size, base, command, volume, age, root, all, none)",
                               "--fail-on");
        }
        out.push_back(item);
    }
    return out;
}

std::vector<AuditFinding>
evaluate(const AuditedImage& image, const layer::ImageTree* tree, const Policy& policy, std::int64_t now) {
    return Evaluator(image, tree, policy, now).run();
}

} // namespace image_secure::audit
