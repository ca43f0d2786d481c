#include <image_secure/layer/overlay.hpp>

#include <deque>
#include <set>

namespace image_secure::layer {

namespace {

constexpr int k_max_links = 40;

std::string_view parent_of(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string join(std::string_view dir, std::string_view name) {
    if (dir.empty()) {
        return std::string(name);
    }
    std::string out(dir);
    out += '/';
    out += name;
    return out;
}

void split_into(std::string_view path, std::deque<std::string>& out, bool front) {
    std::vector<std::string> parts;
    std::size_t i = 0;
    while (i <= path.size()) {
        const auto slash = path.find('/', i);
        const auto part = path.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
        if (!part.empty() && part != ".") {
            parts.emplace_back(part);
        }
        if (slash == std::string_view::npos) {
            break;
        }
        i = slash + 1;
    }
    if (front) {
        out.insert(out.begin(), parts.begin(), parts.end());
    } else {
        out.insert(out.end(), parts.begin(), parts.end());
    }
}

} // namespace

ImageTree::ImageTree() { m_root.mode = 0755; }

const Node* ImageTree::find(std::string_view path) const {
    if (path.empty()) {
        return &m_root;
    }
    const auto it = m_nodes.find(path);
    return it == m_nodes.end() ? nullptr : &it->second;
}

Resolved ImageTree::resolve(std::string_view path, bool follow_last) const {
    std::deque<std::string> todo;
    split_into(path, todo, false);
    std::string cur;
    int hops = 0;
    while (!todo.empty()) {
        const std::string c = std::move(todo.front());
        todo.pop_front();
        if (c == "..") {
            cur = std::string(parent_of(cur));
            continue;
        }
        std::string candidate = join(cur, c);
        const Node* node = find(candidate);
        const bool last = todo.empty();
        if (node != nullptr && node->type == EntryType::symlink && (!last || follow_last)) {
            if (++hops > k_max_links) {
                return {std::move(candidate), nullptr, true};
            }
            if (!node->link.empty() && node->link.front() == '/') {
                cur.clear();
            }
            split_into(node->link, todo, true);
            continue;
        }
        if (node == nullptr) {
            // Missing: the rest of the path cannot exist either.
            for (const auto& rest : todo) {
                candidate = join(candidate, rest);
            }
            return {std::move(candidate), nullptr, false};
        }
        if (!last && node->type != EntryType::directory) {
            return {std::move(candidate), nullptr, false}; // a file used as a directory
        }
        cur = std::move(candidate);
    }
    return {cur, find(cur), false};
}

std::vector<std::pair<std::string, const Node*>> ImageTree::children(const std::string& dir) const {
    std::vector<std::pair<std::string, const Node*>> out;
    const std::string prefix = dir.empty() ? std::string() : dir + "/";
    for (auto it = m_nodes.lower_bound(prefix); it != m_nodes.end(); ++it) {
        const std::string& p = it->first;
        if (p.compare(0, prefix.size(), prefix) != 0) {
            break;
        }
        if (p.size() > prefix.size() && p.find('/', prefix.size()) == std::string::npos) {
            out.emplace_back(p, &it->second);
        }
    }
    return out;
}

void ImageTree::remove_subtree(const std::string& path, bool keep_self) {
    if (path.empty()) {
        m_nodes.clear(); // everything below the root
        return;
    }
    if (!keep_self) {
        m_nodes.erase(path);
    }
    const std::string prefix = path + "/";
    auto it = m_nodes.lower_bound(prefix);
    while (it != m_nodes.end() && it->first.compare(0, prefix.size(), prefix) == 0) {
        it = m_nodes.erase(it);
    }
}

void ImageTree::ensure_parents(const std::string& path) {
    std::string_view parent = parent_of(path);
    std::vector<std::string_view> missing;
    while (!parent.empty()) {
        const auto it = m_nodes.find(parent);
        if (it != m_nodes.end()) {
            if (it->second.type == EntryType::directory) {
                break;
            }
            m_nodes.erase(it); // a non-directory where a directory must be: replaced
        }
        missing.push_back(parent);
        parent = parent_of(parent);
    }
    for (auto p = missing.rbegin(); p != missing.rend(); ++p) {
        Node n;
        n.mode = 0755;
        m_nodes.emplace(std::string(*p), n);
    }
}

/// Where a member named `path` lands: its parent resolved inside the image (as containerd
/// applies layers: a member below a symlinked directory goes where the link points).
std::string ImageTree::place(std::string_view path) {
    const auto parent = parent_of(path);
    if (parent.empty()) {
        return std::string(path);
    }
    const auto slash = path.rfind('/');
    const Resolved r = resolve(parent, true);
    if (r.loop || (r.node != nullptr && r.node->type != EntryType::directory)) {
        return std::string(path);
    }
    return join(r.path, path.substr(slash + 1));
}

void ImageTree::apply(const LayerSummary& summary, int index) {
    // 1. Whiteouts and opaque markers act on the layers below, wherever they stood.
    for (const auto& dir : summary.opaque_dirs) {
        const Resolved r = resolve(dir, true);
        if (r.node != nullptr && r.node->type == EntryType::directory) {
            remove_subtree(r.path, true);
        }
    }
    for (const auto& gone : summary.whiteouts) {
        const std::string at = place(gone);
        if (m_nodes.count(at) != 0) {
            remove_subtree(at, false);
        }
    }
    // 2. The layer's entries, in tar order.
    for (std::size_t i = 0; i < summary.entries.size(); ++i) {
        const LayerEntry& e = summary.entries[i];
        const std::string at = place(e.path);
        Node n;
        n.type = e.type;
        n.mode = e.mode;
        n.layer = index;
        if (e.type == EntryType::hardlink) {
            // Another name for the same content: the target's node, as it stands now.
            const Node* target = find(place(e.link));
            if (target != nullptr && target->type != EntryType::directory) {
                n = *target;
                n.layer = index;
            } else {
                n.type = EntryType::file;
                n.content_id = m_next_content++;
            }
        } else if (e.type == EntryType::symlink) {
            n.link = e.link;
        } else if (e.type == EntryType::file) {
            n.size = e.size;
            n.content_id = m_next_content++;
            if (e.content >= 0) {
                n.content = &summary.contents[static_cast<std::size_t>(e.content)];
            }
        }
        const auto it = m_nodes.find(at);
        if (it != m_nodes.end()) {
            if (it->second.type == EntryType::directory && n.type == EntryType::directory) {
                it->second.mode = n.mode; // directory over directory: attributes merge
                it->second.layer = index;
                continue;
            }
            remove_subtree(at, false);
        }
        ensure_parents(at);
        m_nodes.emplace(at, std::move(n));
    }
}

std::int64_t ImageTree::content_bytes() const {
    std::set<std::int64_t> seen;
    std::int64_t total = 0;
    for (const auto& [path, node] : m_nodes) {
        if (node.type == EntryType::file && node.content_id >= 0 && seen.insert(node.content_id).second) {
            total += node.size;
        }
    }
    return total;
}

} // namespace image_secure::layer
