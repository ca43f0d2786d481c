#include <image_secure/audit/report.hpp>
#include <image_secure/base/location.hpp>
#include <image_secure/base/text.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace image_secure::audit {

namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json paths_json(const std::vector<PathFact>& list) {
    ordered_json out = ordered_json::array();
    for (const auto& p : list) {
        out.push_back(p.path);
    }
    return out;
}

std::string color_severity(Severity s, bool color) {
    const std::string word(severity_name(s));
    if (!color) {
        return word;
    }
    const char* code = s == Severity::error ? "31" : s == Severity::warning ? "33" : "36";
    return std::string("\033[") + code + "m" + word + "\033[0m";
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) {
        s.append(width - s.size(), ' ');
    }
    return s;
}

} // namespace

std::string render_audit_json(const std::vector<AuditedImage>& images) {
    ordered_json out = ordered_json::array();
    for (const auto& img : images) {
        ordered_json o;
        o["ref"] = img.ref;
        o["digest"] = img.digest;
        o["platform"] = img.platform;
        const ImageFacts* f = img.facts ? &*img.facts : nullptr;
        if (f != nullptr && f->os) {
            o["os"] = {{"id", f->os->id},
                       {"version_id", f->os->version_id},
                       {"pretty_name", f->os->pretty_name},
                       {"source", f->os->source}};
        } else {
            o["os"] = nullptr;
        }
        o["compressed_bytes"] = img.compressed_bytes;
        o["uncompressed_bytes"] = f != nullptr ? ordered_json(f->uncompressed_bytes) : ordered_json(nullptr);
        o["content_bytes"] = f != nullptr ? ordered_json(f->content_bytes) : ordered_json(nullptr);
        o["wasted_bytes"] = f != nullptr ? ordered_json(f->wasted_bytes) : ordered_json(nullptr);
        o["files"] = f != nullptr ? ordered_json(f->files) : ordered_json(nullptr);
        o["dirs"] = f != nullptr ? ordered_json(f->dirs) : ordered_json(nullptr);
        o["symlinks"] = f != nullptr ? ordered_json(f->symlinks) : ordered_json(nullptr);
        o["user"] = img.config.user;
        o["path"] = img.config.path;
        o["volumes"] = img.config.volumes;
        o["created"] = img.config.created;
        ordered_json layers = ordered_json::array();
        if (f != nullptr) {
            for (const auto& l : f->layers) {
                layers.push_back({{"digest", l.digest},
                                  {"media_type", l.media_type},
                                  {"compressed_bytes", l.compressed_bytes},
                                  {"uncompressed_bytes", l.uncompressed_bytes},
                                  {"diff_id", l.diff_id},
                                  {"entries", l.entries},
                                  {"whiteouts", l.whiteouts},
                                  {"opaque_dirs", l.opaque_dirs},
                                  {"created_by", l.created_by}});
            }
        }
        o["layers"] = std::move(layers);
        static const std::pair<const char*, ToolCategory> k_lists[] = {
            {"shells", ToolCategory::shell},
            {"package_managers", ToolCategory::package_manager},
            {"network_tools", ToolCategory::network_tool},
            {"editors", ToolCategory::editor},
            {"compilers", ToolCategory::compiler}};
        for (const auto& [key, category] : k_lists) {
            o[key] = f != nullptr ? paths_json(f->of(category)) : ordered_json::array();
        }
        o["setuid"] = f != nullptr ? paths_json(f->setuid) : ordered_json::array();
        o["setgid"] = f != nullptr ? paths_json(f->setgid) : ordered_json::array();
        o["package_caches"] = f != nullptr ? paths_json(f->package_caches) : ordered_json::array();
        ordered_json dbs = ordered_json::array();
        if (f != nullptr) {
            for (const auto& db : f->package_dbs) {
                dbs.push_back({{"type", db.type}, {"path", db.path}, {"packages", db.packages}});
            }
        }
        o["package_dbs"] = std::move(dbs);
        o["notes"] = img.notes;
        ordered_json findings = ordered_json::array();
        for (const auto& fi : img.findings) {
            ordered_json j;
            j["rule"] = fi.rule;
            j["severity"] = severity_name(fi.severity);
            j["message"] = fi.message;
            j["paths"] = fi.paths;
            j["layer"] = fi.layer >= 0 ? ordered_json(fi.layer) : ordered_json(nullptr);
            ordered_json locations = ordered_json::array();
            for (const auto& l : fi.locations) {
                locations.push_back({{"file", l.file}, {"line", l.line}, {"column", l.column}});
            }
            j["locations"] = std::move(locations);
            if (fi.suppressed) {
                j["suppressed"] = true;
                j["justification"] = fi.justification;
            }
            findings.push_back(std::move(j));
        }
        o["findings"] = std::move(findings);
        out.push_back(std::move(o));
    }
    // Untrusted strings (paths from tars, config fields) are JSON-escaped; invalid UTF-8 is
    // replaced rather than thrown on.
    return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string render_audit_text(const std::vector<AuditedImage>& images, bool color) {
    std::string out;
    for (const auto& img : images) {
        if (!out.empty()) {
            out += "\n";
        }
        out += printable(img.ref, 300) + "  " + img.digest + "  " + img.platform + "\n";
        const ImageFacts* f = img.facts ? &*img.facts : nullptr;
        if (f != nullptr) {
            out += "  os:      "
                   + (f->os ? printable(
                          f->os->pretty_name.empty() ? f->os->id + " " + f->os->version_id : f->os->pretty_name, 120)
                            : std::string("none (no os-release)"))
                   + "\n";
            out += "  size:    " + human_size(f->compressed_bytes) + " compressed, " + human_size(f->uncompressed_bytes)
                   + " uncompressed, " + human_size(f->content_bytes) + " content, " + human_size(f->wasted_bytes)
                   + " wasted\n";
            out += "  files:   " + std::to_string(f->files) + " files, " + std::to_string(f->dirs) + " dirs, "
                   + std::to_string(f->symlinks) + " symlinks\n";
        } else {
            out += "  size:    " + human_size(img.compressed_bytes) + " compressed (metadata only)\n";
        }
        out += "  user:    " + (img.config.user.empty() ? std::string("(none: root)") : printable(img.config.user, 80))
               + "   created: " + (img.config.created.empty() ? std::string("-") : printable(img.config.created, 40))
               + "\n";
        if (!img.config.volumes.empty()) {
            std::string v;
            for (const auto& vol : img.config.volumes) {
                v += (v.empty() ? "" : ", ") + printable(vol, 120);
            }
            out += "  volumes: " + v + "\n";
        }
        if (f != nullptr) {
            for (const auto& db : f->package_dbs) {
                out +=
                    "  packages: " + db.type + " " + printable(db.path, 120) + " ("
                    + (db.packages.empty() ? std::string("present") : plural(db.packages.size(), "package", "packages"))
                    + ")\n";
            }
        }
        for (const auto& note : img.notes) {
            out += "  note:    " + note + "\n";
        }
        std::size_t shown = 0;
        for (const auto& fi : img.findings) {
            if (fi.suppressed) {
                continue;
            }
            ++shown;
            out += "  " + pad(color_severity(fi.severity, color), color ? 16 : 8) + fi.rule + " " + fi.message + "\n";
            for (const auto& l : fi.locations) {
                out += "          at " + format_location(printable(l.file, 300), l.line, l.column)
                       + (l.object.empty() ? "" : " (" + printable(l.object, 120) + ")") + "\n";
            }
        }
        if (shown == 0) {
            out += "  no findings\n";
        }
        if (f != nullptr) {
            for (std::size_t i = 0; i < f->layers.size(); ++i) {
                const auto& l = f->layers[i];
                out += "  layer " + std::to_string(i) + "  "
                       + (l.digest.empty() ? "(not audited)" : l.digest.substr(0, 19)) + "  "
                       + human_size(l.compressed_bytes) + " -> " + human_size(l.uncompressed_bytes) + "  "
                       + std::to_string(l.entries) + " entries";
                if (!l.created_by.empty()) {
                    out += "  " + printable(l.created_by, 100);
                }
                out += "\n";
            }
        }
    }
    return out;
}

std::vector<Finding> as_findings(const std::vector<AuditedImage>& images) {
    std::vector<Finding> out;
    for (const auto& img : images) {
        for (const auto& fi : img.findings) {
            Finding f;
            f.severity = fi.severity;
            f.rule = fi.rule;
            f.message = img.ref + ": " + fi.message;
            f.suppressed = fi.suppressed;
            f.justification = fi.justification;
            if (fi.locations.empty()) {
                f.file = img.ref;
                out.push_back(f);
                continue;
            }
            for (const auto& l : fi.locations) {
                Finding at = f;
                at.file = l.file;
                at.line = l.line;
                at.column = l.column;
                at.object = l.object;
                out.push_back(std::move(at));
            }
        }
    }
    return out;
}

void replace_name_based(std::vector<Finding>& findings, const std::vector<AuditedImage>& images) {
    std::set<std::pair<std::string, std::size_t>> layers_read;
    std::set<std::pair<std::string, std::size_t>> configs_read;
    for (const auto& img : images) {
        for (const auto& use : img.uses) {
            configs_read.emplace(use.file, use.line);
            if (img.facts) {
                layers_read.emplace(use.file, use.line);
            }
        }
    }
    findings.erase(std::remove_if(findings.begin(),
                                  findings.end(),
                                  [&](const Finding& f) {
                                      const std::pair<std::string, std::size_t> at{f.file, f.line};
                                      return (f.rule == "IS010" && layers_read.count(at) != 0)
                                             || (f.rule == "IS011" && configs_read.count(at) != 0);
                                  }),
                   findings.end());
}

} // namespace image_secure::audit
