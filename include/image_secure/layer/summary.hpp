#pragma once

// What one layer holds, as the overlay and the facts need it: its entries (whiteout markers
// taken out), whiteouts and opaque directories, the few payloads the facts read, and its
// figures. A LayerSummary is what the cache keeps, keyed by the compressed blob digest.

#include <image_secure/base/result.hpp>
#include <image_secure/layer/tar.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure::layer {

/// Bump when the summary's content or the captured set changes: old cache entries are ignored.
inline constexpr int k_summary_format = 1;

struct LayerEntry {
    std::string path;
    EntryType type = EntryType::file;
    std::uint32_t mode = 0;
    std::int64_t size = 0;
    std::string link;
    std::int32_t content = -1; ///< index into LayerSummary::contents (captured payloads)
};

struct LayerSummary {
    std::string digest; ///< compressed blob digest
    std::string media_type;
    std::int64_t compressed_bytes = 0;
    std::int64_t uncompressed_bytes = 0; ///< the tar, end blocks and padding included
    std::string diff_id;                 ///< "sha256:" of the tar
    std::int64_t members = 0;            ///< tar members (directories and whiteout markers included)
    std::int64_t payload_bytes = 0;      ///< regular-file payloads (hard links not counted)
    std::vector<LayerEntry> entries;     ///< in tar order, whiteout markers taken out
    std::vector<std::string> whiteouts;  ///< paths the layer deletes from the layers below
    std::vector<std::string> opaque_dirs;
    std::vector<std::string> contents;   ///< captured payloads
    std::vector<std::string> suspicious; ///< member names that escape the root (ignored)
};

/// Which payloads the facts read (os-release, package databases); they are captured.
[[nodiscard]] bool facts_need(std::string_view path);

/// Builds a summary from tar entries as the walker emits them.
class SummaryBuilder {
  public:
    void add(TarEntry&& entry);

    [[nodiscard]] LayerSummary take() { return std::move(m_summary); }

    LayerSummary& summary() { return m_summary; }

  private:
    LayerSummary m_summary;
};

/// Reads one layer blob: SHA-256 of the compressed bytes, the decoder for the media type,
/// SHA-256 of the tar, the tar walk. push() takes the body in any split; finish() checks the
/// size and digest against the descriptor and returns the summary or why it failed.
class LayerReader {
  public:
    LayerReader(std::string digest, std::string media_type, std::int64_t size, std::int64_t max_uncompressed);
    ~LayerReader();
    LayerReader(const LayerReader&) = delete;
    LayerReader& operator=(const LayerReader&) = delete;

    /// "" or why the layer cannot be read (the transfer should stop).
    std::string push(std::string_view compressed);
    [[nodiscard]] Result<LayerSummary> finish();
    [[nodiscard]] std::int64_t compressed_seen() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Reads a whole blob held in memory (tests, fuzzing).
[[nodiscard]] Result<LayerSummary>
read_layer(std::string_view blob, std::string_view media_type, std::int64_t max_uncompressed = INT64_MAX);

/// The cache's encoding (CBOR with a format number); nullopt-like Error when unreadable.
[[nodiscard]] std::string encode_summary(const LayerSummary& summary);
[[nodiscard]] Result<LayerSummary> decode_summary(std::string_view bytes);

} // namespace image_secure::layer
