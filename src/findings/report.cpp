// Findings as text, JSON, SARIF 2.1.0 and JUnit XML.
#include <image_secure/base/encoding.hpp>
#include <image_secure/base/location.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/findings/report.hpp>
#include <image_secure/secret/json_writer.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace image_secure {

std::string render_text(const std::vector<Finding>& findings, bool color) {
    std::string out;
    for (const auto& f : findings) {
        if (f.suppressed) {
            continue;
        }
        out += format_location(printable(f.file, 1024), f.line, f.column) + ": ";
        const std::string_view sev = severity_name(f.severity);
        if (color) {
            const char* code = f.severity == Severity::error     ? "\033[31m"
                               : f.severity == Severity::warning ? "\033[33m"
                                                                 : "\033[36m";
            out += code;
            out += sev;
            out += "\033[0m";
        } else {
            out += sev;
        }
        out += " " + f.rule + " " + printable(f.message, 1024) + "\n";
    }
    return out;
}

namespace {

using ordered_json = nlohmann::ordered_json;

std::string dump(const ordered_json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// SARIF wants URIs relative to the source root: strip "./", keep relative paths (stdin is "-",
// as in every other output), percent-encode what a URI reference cannot hold.
std::string artifact_uri(const std::string& file) {
    std::string path = file == "<stdin>" ? "-" : file;
    while (path.rfind("./", 0) == 0) {
        path = path.substr(2);
    }
    return percent_encode(path, PercentSet::uri_path);
}

std::string sarif_level(Severity s) {
    switch (s) {
    case Severity::error:
        return "error";
    case Severity::warning:
        return "warning";
    case Severity::info:
        return "note";
    }
    return "error";
}

std::string xml_escape(std::string_view s) {
    std::string out;
    const std::string valid = to_valid_utf8(s);
    for (const char c : valid) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            // XML 1.0 forbids most control characters even when escaped.
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
                out += "&#xFFFD;";
            } else {
                out += c;
            }
        }
    }
    return out;
}

} // namespace

std::string render_json(const std::vector<Finding>& findings) {
    ordered_json out = ordered_json::array();
    for (const auto& f : findings) {
        ordered_json j;
        j["file"] = f.file;
        j["line"] = f.line;
        j["column"] = f.column;
        j["severity"] = std::string(severity_name(f.severity));
        j["rule"] = f.rule;
        j["message"] = f.message;
        j["object"] = f.object;
        if (f.suppressed) {
            j["suppressed"] = true;
            j["justification"] = f.justification;
        }
        out.push_back(std::move(j));
    }
    return dump(out);
}

std::string file_uri(const std::string& absolute_path) {
    return "file://" + percent_encode(absolute_path, PercentSet::uri_path);
}

std::string render_sarif(const std::vector<Finding>& findings,
                         const Catalogue& catalogue,
                         const std::string& version,
                         const std::string& source_root) {
    ordered_json rules = ordered_json::array();
    std::map<std::string, std::size_t> index;
    for (const auto& info : catalogue.rules) {
        index[std::string(info.id)] = rules.size();
        ordered_json r;
        r["id"] = info.id;
        r["name"] = info.name;
        r["shortDescription"] = {{"text", info.summary}};
        r["fullDescription"] = {{"text", info.help}};
        r["help"] = {{"text", info.help},
                     {"markdown", "**" + std::string(info.name) + "**: " + std::string(info.help)}};
        r["defaultConfiguration"] = {{"level", sarif_level(info.severity)}, {"enabled", info.enabled}};
        r["properties"] = {{"tags", {"security", "containers", "kubernetes"}}};
        rules.push_back(std::move(r));
    }
    ordered_json results = ordered_json::array();
    for (const auto& f : findings) {
        ordered_json r;
        r["ruleId"] = f.rule;
        auto known = index.find(f.rule);
        if (known == index.end()) { // a rule outside the catalogue: listed by id, not an error
            known = index.emplace(f.rule, rules.size()).first;
            rules.push_back(ordered_json{{"id", f.rule}});
        }
        r["ruleIndex"] = known->second;
        r["level"] = sarif_level(f.severity);
        r["message"] = {{"text", f.message}};
        ordered_json location;
        const ordered_json artifact = !f.file.empty() && f.file.front() == '/'
                                          ? ordered_json{{"uri", file_uri(f.file)}}
                                          : ordered_json{{"uri", artifact_uri(f.file)}, {"uriBaseId", "%SRCROOT%"}};
        location["physicalLocation"] = {{"artifactLocation", artifact},
                                        {"region", {{"startLine", f.line}, {"startColumn", f.column}}}};
        if (!f.object.empty()) {
            location["logicalLocations"] = ordered_json::array({{{"name", f.object}, {"kind", "object"}}});
        }
        r["locations"] = ordered_json::array({location});
        r["partialFingerprints"] = {
            {"imageSecure/v1", f.rule + ":" + artifact_uri(f.file) + ":" + f.object + ":" + f.message}};
        if (f.suppressed) {
            ordered_json s = {{"kind", "inSource"}};
            if (!f.justification.empty()) {
                s["justification"] = f.justification;
            }
            r["suppressions"] = ordered_json::array({s});
        }
        results.push_back(std::move(r));
    }
    ordered_json driver;
    driver["name"] = "kubectl-image-secure";
    driver["version"] = version;
    driver["semanticVersion"] = version;
    driver["informationUri"] = "https://github.com/image-secure/kubectl-image-secure";
    driver["rules"] = std::move(rules);
    ordered_json run;
    run["tool"] = {{"driver", std::move(driver)}};
    std::string root = source_root.empty() ? std::string("/") : source_root;
    if (root.back() != '/') {
        root += '/'; // a base URI names a directory only with its trailing slash
    }
    run["originalUriBaseIds"] = {{"%SRCROOT%", {{"uri", file_uri(root)}}}};
    run["results"] = std::move(results);
    run["columnKind"] = "unicodeCodePoints";
    ordered_json sarif;
    sarif["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
    sarif["version"] = "2.1.0";
    sarif["runs"] = ordered_json::array({std::move(run)});
    return dump(sarif);
}

std::string render_junit(const std::vector<Finding>& findings,
                         const Catalogue& catalogue,
                         const std::vector<std::pair<std::string, std::string>>& objects) {
    // Test cases: every object checked (file, Kind/name), plus a "(document)" case per file
    // for findings without an object; failures are grouped per case in one pass.
    using Case = std::pair<std::string, std::string>;
    std::vector<Case> cases = objects;
    std::map<Case, std::vector<const Finding*>> by_case;
    for (const auto& c : cases) {
        by_case.emplace(c, std::vector<const Finding*>{});
    }
    for (const auto& f : findings) {
        const Case key{f.file, f.object.empty() ? "(document)" : f.object};
        auto [it, inserted] = by_case.emplace(key, std::vector<const Finding*>{});
        if (inserted) {
            cases.push_back(key);
        }
        if (!f.suppressed) {
            it->second.push_back(&f);
        }
    }
    std::size_t failures = 0;
    std::string body;
    for (const auto& c : cases) {
        const auto& list = by_case[c];
        body += "    <testcase classname=\"" + xml_escape(c.first) + "\" name=\"" + xml_escape(c.second) + "\"";
        if (list.empty()) {
            body += "/>\n";
            continue;
        }
        body += ">\n";
        ++failures; // JUnit counts failing test cases, not findings
        std::string rules;
        std::string lines;
        for (const Finding* f : list) {
            if (rules.find(f->rule) == std::string::npos) {
                rules += (rules.empty() ? "" : ",") + f->rule;
            }
            lines += (lines.empty() ? "" : "\n") + format_location(f->file, f->line, f->column) + ": "
                     + std::string(severity_name(f->severity)) + " " + f->rule + " " + f->message;
        }
        const std::string message =
            list.size() == 1 ? list.front()->message : std::to_string(list.size()) + " findings: " + rules;
        body += "      <failure type=\"" + xml_escape(rules) + "\" message=\"" + xml_escape(message) + "\">"
                + xml_escape(lines) + "</failure>\n";
        body += "    </testcase>\n";
    }
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<testsuites name=\"kubectl image-secure " + std::string(catalogue.command) + "\" tests=\""
           + std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) + "\">\n";
    out += "  <testsuite name=\"image-secure\" tests=\"" + std::to_string(cases.size()) + "\" failures=\""
           + std::to_string(failures) + "\" errors=\"0\" skipped=\"0\">\n";
    out += body;
    out += "  </testsuite>\n</testsuites>\n";
    return out;
}

} // namespace image_secure
