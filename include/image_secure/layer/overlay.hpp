#pragma once

// The image's final tree: layer summaries applied bottom-up as the OCI image spec says
// (layer.md): whiteouts and opaque markers of a layer act on the layers below it wherever they
// stand in the tar, then the layer's entries are added. Paths resolve inside the image.

#include <image_secure/layer/summary.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure::layer {

struct Node {
    EntryType type = EntryType::directory;
    std::uint32_t mode = 0;
    std::int64_t size = 0;                ///< regular files
    std::string link;                     ///< symlink target as written
    int layer = -1;                       ///< the layer that added it (-1: an implicit parent)
    std::int64_t content_id = -1;         ///< regular files: hard links share it
    const std::string* content = nullptr; ///< a captured payload (owned by the summary)
};

/// Where a path leads inside the image.
struct Resolved {
    std::string path;           ///< the resolved path ("" is the root)
    const Node* node = nullptr; ///< nullptr: it does not exist (or a loop)
    bool loop = false;          ///< more than 40 symlinks
};

class ImageTree {
  public:
    ImageTree();

    /// Applies one layer on top; `summary` must outlive the tree (captured payloads).
    void apply(const LayerSummary& summary, int index);

    /// The node at exactly `path` (normalised, no leading '/'; "" is the root).
    [[nodiscard]] const Node* find(std::string_view path) const;

    /// Resolves `path` (absolute or root-relative) inside the image: absolute symlink targets
    /// start at the root, ".." stops at the root, at most 40 links. `follow_last`: also the
    /// final component.
    [[nodiscard]] Resolved resolve(std::string_view path, bool follow_last = true) const;

    /// The direct children of the directory `dir` (an exact, resolved path).
    [[nodiscard]] std::vector<std::pair<std::string, const Node*>> children(const std::string& dir) const;

    [[nodiscard]] const std::map<std::string, Node, std::less<>>& nodes() const { return m_nodes; }

    /// Regular files visible at the end, each hard-linked content once.
    [[nodiscard]] std::int64_t content_bytes() const;

  private:
    void remove_subtree(const std::string& path, bool keep_self);
    std::string place(std::string_view path);
    void ensure_parents(const std::string& path);

    std::map<std::string, Node, std::less<>> m_nodes;
    Node m_root;
    std::int64_t m_next_content = 0;
};

} // namespace image_secure::layer
