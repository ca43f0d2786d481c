#pragma once

// libyaml events → one document's compact tree with byte offsets (private to src/k8s/, included
// by manifest.cpp only: the builder runs once per event, so it stays inline in the scanner).

#include <image_secure/base/text.hpp>
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/k8s/yaml_span.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>
#include <yaml.h>

namespace image_secure::k8s_detail {

// ---------------------------------------------------------------------------------------
// The tree built from events

enum class NodeKind : std::uint8_t { map, seq, scalar, null, alias };

// Plain data: scalar bytes live in Tree::values and children in Tree::child_ids, so building
// a document's tree allocates nothing once a worker's buffers have grown (the scanner's
// threads share one malloc arena; see main.cpp).
struct Node {
    NodeKind kind = NodeKind::null;
    bool flow = false;
    bool plain = false;
    std::size_t pos = 0; // absolute offset of the mark
    std::uint32_t value_begin = 0;
    std::uint32_t value_size = 0;
    std::uint32_t first_child = 0;
    std::uint32_t child_count = 0;       // map: key, value, key, value...
    std::uint32_t alias_of = UINT32_MAX; // alias: the anchored node it stands for
    std::size_t end = 0;                 // libyaml's end mark: exact for scalars (past a closing quote), aliases
                                         // and flow collections (past the bracket); block ends come from children
};

struct Tree {
    std::vector<Node> nodes;
    std::vector<std::uint32_t> child_ids;
    std::string values;

    [[nodiscard]] std::string_view value(const Node& node) const {
        return std::string_view(values).substr(node.value_begin, node.value_size);
    }

    [[nodiscard]] std::span<const std::uint32_t> children(const Node& node) const {
        return std::span<const std::uint32_t>(child_ids).subspan(node.first_child, node.child_count);
    }

    void clear() {
        nodes.clear();
        child_ids.clear();
        values.clear();
    }
};

// libyaml counts marks in characters; offsets in this file are bytes. For an ASCII slice
// they are the same; otherwise a table maps character index → byte offset.
class OffsetMap {
  public:
    OffsetMap(std::string_view slice, std::size_t base) : m_base(base) {
        if (std::none_of(slice.begin(), slice.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
            return;
        }
        m_table.reserve(slice.size() + 1);
        for (std::size_t i = 0; i < slice.size();) {
            m_table.push_back(i);
            const Utf8Char ch = decode_utf8(slice, i);
            i += ch.length;
        }
        m_table.push_back(slice.size());
    }

    [[nodiscard]] std::size_t operator()(std::size_t char_index) const {
        if (m_table.empty()) {
            return m_base + char_index;
        }
        return m_base + m_table[std::min(char_index, m_table.size() - 1)];
    }

  private:
    std::size_t m_base;
    std::vector<std::size_t> m_table;
};

// Owns a libyaml parser or event for its scope.
struct Parser {
    yaml_parser_t handle{};

    Parser() { yaml_parser_initialize(&handle); }

    ~Parser() { yaml_parser_delete(&handle); }

    Parser(const Parser&) = delete;
    Parser& operator=(const Parser&) = delete;
    Parser(Parser&&) = delete;
    Parser& operator=(Parser&&) = delete;
};

struct Event {
    yaml_event_t handle{};

    ~Event() { yaml_event_delete(&handle); }

    Event() = default;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    Event(Event&&) = delete;
    Event& operator=(Event&&) = delete;
};

// Deeper nesting is refused: libyaml has no limit, and the extractor recurses.
constexpr std::size_t k_max_depth = 1000;

// Turns one document's libyaml events into a Tree.
class TreeBuilder {
  public:
    TreeBuilder(Tree& tree, const OffsetMap& offsets) : m_tree(tree), m_offsets(offsets) {}

    /// Offset of the first key that repeats an earlier key of its mapping (k_npos if none).
    std::size_t duplicate_at = k_npos;
    std::string duplicate_key;
    /// Offset where nesting went deeper than k_max_depth (k_npos if it did not).
    std::size_t too_deep_at = k_npos;

    void reset() {
        m_tree.clear();
        m_stack.clear();
        m_pending.clear();
        m_anchors.clear();
        duplicate_at = k_npos;
        duplicate_key.clear();
        too_deep_at = k_npos;
    }

    void on_event(const yaml_event_t& e) {
        const std::size_t pos = m_offsets(e.start_mark.index);
        const std::size_t end = m_offsets(e.end_mark.index);
        switch (e.type) {
        case YAML_ALIAS_EVENT: {
            Node& node = add(NodeKind::alias, pos);
            node.alias_of = anchored(e.data.alias.anchor);
            node.end = end;
            break;
        }
        case YAML_SCALAR_EVENT: {
            const auto& sc = e.data.scalar;
            const std::string_view value(reinterpret_cast<const char*>(sc.value), sc.length);
            const bool plain = sc.style == YAML_PLAIN_SCALAR_STYLE;
            // A plain empty value (`key:`) or a plain null word is a YAML null.
            const bool null =
                plain && sc.tag == nullptr
                && (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL");
            Node& node = add(null ? NodeKind::null : NodeKind::scalar, pos);
            node.plain = plain;
            node.end = end;
            node.value_begin = static_cast<std::uint32_t>(m_tree.values.size());
            node.value_size = static_cast<std::uint32_t>(value.size());
            m_tree.values.append(value);
            remember(sc.anchor);
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
            open(NodeKind::seq, pos, e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE);
            remember(e.data.sequence_start.anchor);
            break;
        case YAML_MAPPING_START_EVENT:
            open(NodeKind::map, pos, e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE);
            remember(e.data.mapping_start.anchor);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            close(end);
            break;
        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_STREAM_END_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            break;
        }
    }

  private:
    struct Open {
        std::uint32_t node;
        std::size_t pending_begin; // where this collection's children start in m_pending
    };

    void remember(const yaml_char_t* anchor) {
        if (anchor != nullptr) {
            m_anchors.emplace_back(reinterpret_cast<const char*>(anchor), m_last);
        }
    }

    [[nodiscard]] std::uint32_t anchored(const yaml_char_t* name) const {
        const std::string_view wanted(reinterpret_cast<const char*>(name));
        for (auto it = m_anchors.rbegin(); it != m_anchors.rend(); ++it) {
            if (it->first == wanted) {
                return it->second; // the latest definition wins
            }
        }
        return UINT32_MAX;
    }

    Node& add(NodeKind kind, std::size_t pos) {
        const auto id = static_cast<std::uint32_t>(m_tree.nodes.size());
        m_last = id;
        Node& node = m_tree.nodes.emplace_back();
        node.kind = kind;
        node.pos = pos;
        if (!m_stack.empty()) {
            m_pending.push_back(id);
        }
        return node;
    }

    void open(NodeKind kind, std::size_t pos, bool flow) {
        add(kind, pos).flow = flow;
        m_stack.push_back({static_cast<std::uint32_t>(m_tree.nodes.size() - 1), m_pending.size()});
        if (m_stack.size() > k_max_depth && too_deep_at == k_npos) {
            too_deep_at = pos;
        }
    }

    // YAML forbids duplicate keys; libyaml accepts them silently, Go yaml (kubectl) rejects
    // them. The first repetition is recorded at its second occurrence.
    void check_duplicates(const Node& map) {
        const auto children = m_tree.children(map);
        const std::size_t keys = children.size() / 2;
        auto key_text = [&](std::size_t k) -> std::optional<std::string_view> {
            const Node& key = m_tree.nodes[children[2 * k]];
            if (key.kind != NodeKind::scalar) {
                return std::nullopt;
            }
            return m_tree.value(key);
        };
        if (keys > k_small_map) { // linear in the number of keys: a 200k-key ConfigMap stays cheap
            m_seen.clear();
            m_seen.reserve(keys);
            for (std::size_t k = 0; k < keys; ++k) {
                const auto name = key_text(k);
                if (name && !m_seen.insert(*name).second) {
                    duplicate_at = m_tree.nodes[children[2 * k]].pos;
                    duplicate_key = std::string(*name);
                    return;
                }
            }
            return;
        }
        for (std::size_t k = 1; k < keys && duplicate_at == k_npos; ++k) {
            const auto name = key_text(k);
            if (!name) {
                continue;
            }
            for (std::size_t j = 0; j < k; ++j) {
                if (key_text(j) == name) {
                    duplicate_at = m_tree.nodes[children[2 * k]].pos;
                    duplicate_key = std::string(*name);
                    break;
                }
            }
        }
    }

    static constexpr std::size_t k_small_map = 16; ///< up to this many keys, compare pairwise
    std::unordered_set<std::string_view> m_seen;

    // The children of a collection are known when it ends: store them contiguously.
    void close(std::size_t end) {
        const Open top = m_stack.back();
        m_stack.pop_back();
        Node& node = m_tree.nodes[top.node];
        node.end = end;
        node.first_child = static_cast<std::uint32_t>(m_tree.child_ids.size());
        node.child_count = static_cast<std::uint32_t>(m_pending.size() - top.pending_begin);
        m_tree.child_ids.insert(m_tree.child_ids.end(),
                                m_pending.begin() + static_cast<std::ptrdiff_t>(top.pending_begin),
                                m_pending.end());
        m_pending.resize(top.pending_begin);
        if (node.kind == NodeKind::map && duplicate_at == k_npos) {
            check_duplicates(m_tree.nodes[top.node]);
        }
    }

    Tree& m_tree;
    const OffsetMap& m_offsets;
    std::vector<Open> m_stack;
    std::vector<std::uint32_t> m_pending;
    std::vector<std::pair<std::string, std::uint32_t>> m_anchors;
    std::uint32_t m_last = 0;
};

} // namespace image_secure::k8s_detail
