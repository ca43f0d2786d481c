#include <image_secure/audit/facts.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <set>

namespace image_secure::audit {

namespace {

using layer::EntryType;
using layer::ImageTree;
using layer::Node;

constexpr std::array<std::string_view, 6> k_bin_dirs = {
    "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"};
constexpr std::string_view k_default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr std::array<std::string_view, 6> k_cache_dirs = {
    "/var/cache/apt", "/var/lib/apt/lists", "/var/cache/apk", "/var/cache/yum", "/var/cache/dnf", "/root/.cache/pip"};

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= s.size()) {
        const auto at = s.find(sep, i);
        out.emplace_back(s.substr(i, at == std::string_view::npos ? std::string_view::npos : at - i));
        if (at == std::string_view::npos) {
            break;
        }
        i = at + 1;
    }
    return out;
}

std::string absolute(const std::string& path) { return "/" + path; }

/// os-release: KEY=value lines, shell quoting removed, comments ignored.
OsFacts parse_os_release(std::string_view text, std::string source) {
    OsFacts os;
    os.source = std::move(source);
    for (const auto& raw : split(text, '\n')) {
        std::string_view line = raw;
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            line.remove_prefix(1);
        }
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        const std::string_view key = line.substr(0, eq);
        std::string_view v = line.substr(eq + 1);
        while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) {
            v.remove_suffix(1);
        }
        std::string value;
        char quote = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const char c = v[i];
            if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (quote != 0 && c == quote) {
                quote = 0;
            } else if (c == '\\' && quote != '\'' && i + 1 < v.size()) {
                value += v[++i];
            } else {
                value += c;
            }
        }
        if (key == "ID") {
            os.id = value;
        } else if (key == "VERSION_ID") {
            os.version_id = value;
        } else if (key == "PRETTY_NAME") {
            os.pretty_name = value;
        }
    }
    return os;
}

/// dpkg control stanzas: Package names; with `need_status`, only those whose Status ends in
/// "installed" (the distroless status.d files have no Status field).
void dpkg_packages(std::string_view text, bool need_status, std::set<std::string>& out) {
    std::string package;
    std::string status;
    bool has_status = false;
    const auto flush = [&] {
        if (!package.empty() && (!need_status || (has_status && status == "installed"))) {
            out.insert(package);
        }
        package.clear();
        status.clear();
        has_status = false;
    };
    for (const auto& raw : split(text, '\n')) {
        std::string_view line = raw;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            flush();
            continue;
        }
        if (line.rfind("Package:", 0) == 0) {
            std::string_view v = line.substr(8);
            while (!v.empty() && v.front() == ' ') {
                v.remove_prefix(1);
            }
            package = std::string(v);
        } else if (line.rfind("Status:", 0) == 0) {
            has_status = true;
            const auto words = split(line.substr(7), ' ');
            status = words.empty() ? "" : words.back();
        }
    }
    flush();
}

std::vector<std::string> apk_packages(std::string_view text) {
    std::set<std::string> names;
    for (const auto& raw : split(text, '\n')) {
        if (raw.rfind("P:", 0) == 0 && raw.size() > 2) {
            names.insert(raw.substr(2));
        }
    }
    return {names.begin(), names.end()};
}

bool is_file(const Node* n) { return n != nullptr && n->type == EntryType::file; }

bool path_less(const PathFact& a, const PathFact& b) { return a.path < b.path; }

} // namespace

std::optional<ToolCategory> tool_category(std::string_view name) {
    static const std::map<std::string_view, ToolCategory, std::less<>> k_tools = [] {
        std::map<std::string_view, ToolCategory, std::less<>> m;
        for (const auto* n :
             {"sh", "bash", "rbash", "dash", "ash", "hush", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox"}) {
            m.emplace(n, ToolCategory::shell);
        }
        for (const auto* n : {"apt",
                              "apt-get",
                              "aptitude",
                              "dpkg",
                              "apk",
                              "yum",
                              "dnf",
                              "microdnf",
                              "tdnf",
                              "rpm",
                              "zypper",
                              "pacman",
                              "pip",
                              "pip3",
                              "npm",
                              "gem"}) {
            m.emplace(n, ToolCategory::package_manager);
        }
        for (const auto* n :
             {"curl", "wget", "nc", "ncat", "netcat", "socat", "ssh", "scp", "sftp", "telnet", "ftp", "tftp"}) {
            m.emplace(n, ToolCategory::network_tool);
        }
        for (const auto* n : {"vi", "vim", "vim.tiny", "vim.basic", "nano", "pico", "ed", "emacs", "joe"}) {
            m.emplace(n, ToolCategory::editor);
        }
        for (const auto* n : {"gcc", "g++", "cc", "c++", "clang", "clang++", "make", "go", "rustc", "javac"}) {
            m.emplace(n, ToolCategory::compiler);
        }
        return m;
    }();
    const auto it = k_tools.find(name);
    if (it == k_tools.end()) {
        return std::nullopt;
    }
    return it->second;
}

Result<ConfigFacts> parse_config_facts(std::string_view body) {
    ConfigFacts f;
    try {
        const auto j = nlohmann::json::parse(body);
        if (!j.is_object()) {
            return input_error("the image config is not a JSON object");
        }
        const auto str = [](const nlohmann::json& o, const char* key) {
            const auto it = o.find(key);
            return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        const auto strings = [](const nlohmann::json& o, const char* key) {
            std::vector<std::string> out;
            const auto it = o.find(key);
            if (it != o.end() && it->is_array()) {
                for (const auto& v : *it) {
                    if (v.is_string()) {
                        out.push_back(v.get<std::string>());
                    }
                }
            }
            return out;
        };
        f.created = str(j, "created");
        f.os = str(j, "os");
        f.architecture = str(j, "architecture");
        f.variant = str(j, "variant");
        if (const auto c = j.find("config"); c != j.end() && c->is_object()) {
            f.user = str(*c, "User");
            f.env = strings(*c, "Env");
            f.entrypoint = strings(*c, "Entrypoint");
            f.cmd = strings(*c, "Cmd");
            if (const auto v = c->find("Volumes"); v != c->end() && v->is_object()) {
                for (const auto& [name, ignored] : v->items()) {
                    f.volumes.push_back(name);
                }
                std::sort(f.volumes.begin(), f.volumes.end());
            }
            for (const auto& e : f.env) {
                if (e.rfind("PATH=", 0) == 0) {
                    f.path = e.substr(5);
                }
            }
        }
        if (const auto r = j.find("rootfs"); r != j.end() && r->is_object()) {
            f.diff_ids = strings(*r, "diff_ids");
        }
        if (const auto h = j.find("history"); h != j.end() && h->is_array()) {
            for (const auto& entry : *h) {
                if (!entry.is_object()) {
                    continue;
                }
                const auto empty = entry.find("empty_layer");
                if (empty != entry.end() && empty->is_boolean() && empty->get<bool>()) {
                    continue;
                }
                f.layer_history.push_back(str(entry, "created_by"));
            }
        }
        f.history_lines_up = !f.layer_history.empty() && f.layer_history.size() == f.diff_ids.size();
    } catch (const nlohmann::json::exception& e) {
        return input_error(std::string("the image config is not valid JSON: ") + e.what());
    }
    return f;
}

bool image_has_command(const ImageTree& tree, const ConfigFacts& config, std::string_view command) {
    const auto exists = [&](std::string_view path) {
        const auto r = tree.resolve(path, true);
        return r.node != nullptr && r.node->type != EntryType::directory;
    };
    if (command.find('/') != std::string_view::npos) {
        return command.front() == '/' && exists(command);
    }
    const std::string path = config.path.empty() ? std::string(k_default_path) : config.path;
    for (const auto& dir : split(path, ':')) {
        if (!dir.empty() && dir.front() == '/' && exists(dir + "/" + std::string(command))) {
            return true;
        }
    }
    return false;
}

ImageFacts
compute_facts(const ImageTree& tree, const std::vector<const layer::LayerSummary*>& layers, const ConfigFacts& config) {
    ImageFacts f;
    std::int64_t payload = 0;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (layers[i] == nullptr) { // a foreign layer, not read
            LayerFacts l;
            if (config.history_lines_up) {
                l.created_by = config.layer_history[i];
            }
            f.layers.push_back(std::move(l));
            continue;
        }
        const auto& s = *layers[i];
        LayerFacts l;
        l.digest = s.digest;
        l.media_type = s.media_type;
        l.compressed_bytes = s.compressed_bytes;
        l.uncompressed_bytes = s.uncompressed_bytes;
        l.diff_id = s.diff_id;
        l.entries = s.members;
        l.whiteouts = static_cast<std::int64_t>(s.whiteouts.size());
        l.opaque_dirs = static_cast<std::int64_t>(s.opaque_dirs.size());
        if (config.history_lines_up) {
            l.created_by = config.layer_history[i];
        }
        f.compressed_bytes += s.compressed_bytes;
        f.uncompressed_bytes += s.uncompressed_bytes;
        payload += s.payload_bytes;
        f.suspicious.insert(f.suspicious.end(), s.suspicious.begin(), s.suspicious.end());
        f.layers.push_back(std::move(l));
    }
    f.content_bytes = tree.content_bytes();
    f.wasted_bytes = std::max<std::int64_t>(0, payload - f.content_bytes);

    // Counts, setuid/setgid.
    for (const auto& [path, node] : tree.nodes()) {
        if (node.type == EntryType::directory) {
            ++f.dirs;
            continue;
        }
        ++f.files;
        if (node.type == EntryType::symlink) {
            ++f.symlinks;
            continue;
        }
        if ((node.mode & 04000U) != 0) {
            f.setuid.push_back({absolute(path), node.layer});
        }
        if ((node.mode & 02000U) != 0) {
            f.setgid.push_back({absolute(path), node.layer});
        }
    }

    // Bin dirs: the standard ones and the config's PATH, each resolved and scanned once.
    std::vector<std::string> dirs(k_bin_dirs.begin(), k_bin_dirs.end());
    for (const auto& d : split(config.path, ':')) {
        if (!d.empty() && d.front() == '/') {
            dirs.push_back(d);
        }
    }
    std::set<std::string> scanned;
    for (const auto& dir : dirs) {
        const auto r = tree.resolve(dir, true);
        if (r.node == nullptr || r.node->type != EntryType::directory || !scanned.insert(r.path).second) {
            continue;
        }
        for (const auto& [child, node] : tree.children(r.path)) {
            if (node->type == EntryType::directory) {
                continue;
            }
            const std::string_view name = std::string_view(child).substr(child.rfind('/') + 1);
            const auto category = tool_category(name);
            if (!category) {
                continue;
            }
            if (node->type == EntryType::symlink) {
                // Counts only when it leads to something that exists (a dangling alternative does not).
                const auto target = tree.resolve(child, true);
                if (target.node == nullptr || target.node->type == EntryType::directory) {
                    continue;
                }
            }
            f.tools[static_cast<int>(*category)].push_back({absolute(child), node->layer});
        }
    }
    for (auto& list : f.tools) {
        std::sort(list.begin(), list.end(), path_less);
    }
    std::sort(f.setuid.begin(), f.setuid.end(), path_less);
    std::sort(f.setgid.begin(), f.setgid.end(), path_less);

    // OS.
    for (const std::string_view candidate : {"/etc/os-release", "/usr/lib/os-release"}) {
        const auto r = tree.resolve(candidate, true);
        if (is_file(r.node)) {
            f.os =
                parse_os_release(r.node->content != nullptr ? *r.node->content : std::string(), std::string(candidate));
            break;
        }
    }
    if (!f.os) {
        for (const auto& [hint, id] : {std::pair<std::string_view, std::string_view>{"/etc/alpine-release", "alpine"},
                                       {"/etc/debian_version", "debian"},
                                       {"/etc/redhat-release", "rhel"}}) {
            const auto r = tree.resolve(hint, true);
            if (is_file(r.node)) {
                OsFacts os;
                os.id = std::string(id);
                os.source = std::string(hint);
                if (r.node->content != nullptr) {
                    std::string v = *r.node->content;
                    while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) {
                        v.pop_back();
                    }
                    (hint == "/etc/redhat-release" ? os.pretty_name : os.version_id) = v;
                }
                f.os = os;
                break;
            }
        }
    }

    // Package databases.
    {
        const auto r = tree.resolve("/var/lib/dpkg/status", true);
        if (is_file(r.node)) {
            std::set<std::string> names;
            if (r.node->content != nullptr) {
                dpkg_packages(*r.node->content, true, names);
            }
            f.package_dbs.push_back({"dpkg", absolute(r.path), {names.begin(), names.end()}, r.node->layer});
        }
        const auto d = tree.resolve("/var/lib/dpkg/status.d", true);
        if (d.node != nullptr && d.node->type == EntryType::directory) {
            std::set<std::string> names;
            int layer = -1;
            for (const auto& [child, node] : tree.children(d.path)) {
                if (node->type != EntryType::file || child.ends_with(".md5sums")) {
                    continue;
                }
                layer = std::max(layer, node->layer);
                if (node->content != nullptr) {
                    dpkg_packages(*node->content, false, names);
                }
            }
            if (layer >= 0) {
                f.package_dbs.push_back({"dpkg", absolute(d.path), {names.begin(), names.end()}, layer});
            }
        }
        const auto a = tree.resolve("/lib/apk/db/installed", true);
        if (is_file(a.node)) {
            f.package_dbs.push_back(
                {"apk",
                 absolute(a.path),
                 a.node->content != nullptr ? apk_packages(*a.node->content) : std::vector<std::string>{},
                 a.node->layer});
        }
        std::set<std::string> rpm_seen;
        for (const std::string_view dir : {"/var/lib/rpm", "/usr/lib/sysimage/rpm"}) {
            for (const std::string_view name : {"rpmdb.sqlite", "Packages.db", "Packages"}) {
                const auto db_file = tree.resolve(std::string(dir) + "/" + std::string(name), true);
                if (!is_file(db_file.node) || !rpm_seen.insert(db_file.path).second) {
                    continue;
                }
                PackageDb db{"rpm", absolute(db_file.path), {}, db_file.node->layer};
                if (name == "rpmdb.sqlite" && db_file.node->content != nullptr) {
                    if (auto names = rpm_sqlite_names(*db_file.node->content)) {
                        db.packages = std::move(*names);
                    }
                }
                f.package_dbs.push_back(std::move(db));
            }
        }
    }

    // Package caches: the cache directories that hold non-empty regular files.
    std::set<std::string> cache_seen;
    for (const auto dir : k_cache_dirs) {
        const auto r = tree.resolve(dir, true);
        if (r.node == nullptr || r.node->type != EntryType::directory || !cache_seen.insert(r.path).second) {
            continue;
        }
        const std::string prefix = r.path + "/";
        int layer = -1;
        for (auto it = tree.nodes().lower_bound(prefix);
             it != tree.nodes().end() && it->first.compare(0, prefix.size(), prefix) == 0;
             ++it) {
            if (it->second.type == EntryType::file && it->second.size > 0) {
                layer = std::max(layer, it->second.layer);
            }
        }
        if (layer >= 0) {
            f.package_caches.push_back({absolute(r.path), layer});
        }
    }
    std::sort(f.package_caches.begin(), f.package_caches.end(), path_less);
    return f;
}

} // namespace image_secure::audit
