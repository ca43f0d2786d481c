#pragma once

// A streaming tar reader for image layers: 512-byte headers (POSIX ustar, GNU, PAX), payloads
// skipped unless a caller wants them, everything read to EOF. No byte of a name ever becomes a
// local path: entries are values.

#include <image_secure/layer/decoder.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure::layer {

enum class EntryType : std::uint8_t { file, hardlink, symlink, directory, device, fifo };

/// One member of a layer.
struct TarEntry {
    std::string path; ///< normalised: no leading "/" or "./", no "//", no trailing "/"; never ""
    EntryType type = EntryType::file;
    std::uint32_t mode = 0;
    std::int64_t size = 0;              ///< regular files: content bytes (a sparse file's real size)
    std::string link;                   ///< symlink: the target as written; hard link: the normalised target path
    std::optional<std::string> content; ///< the payload, when the capture predicate asked for it
    std::int64_t offset = 0;            ///< where the payload starts in the stream (an uncompressed tar: in the file)
    bool sparse = false;                ///< a GNU sparse member (its payload is not the file's bytes)
};

struct TarLimits {
    std::size_t max_record = 1U << 20U;    ///< PAX and GNU long-name payloads
    std::size_t max_path = 4096;           ///< a member name
    std::int64_t max_entries = 2'000'000;  ///< members per layer
    std::int64_t max_capture = 16U << 20U; ///< a captured payload (larger files are not captured)
};

/// "a//b/./c/" -> "a/b/c"; "./" -> ""; nullopt when `..` escapes the root.
[[nodiscard]] std::optional<std::string> normalize_tar_path(std::string_view name);

class TarWalker final : public ByteConsumer {
  public:
    using EntryFn = std::function<void(TarEntry&&)>;
    using CaptureFn = std::function<bool(std::string_view path)>;

    TarWalker(EntryFn on_entry, CaptureFn capture, TarLimits limits = {});

    std::string consume(std::string_view bytes) override;
    /// The stream ended: "" when it ended on a member boundary, else why (truncated).
    [[nodiscard]] std::string finish() const;

    /// Members seen (PAX and GNU long-name records excluded; directories, links and whiteout
    /// markers included).
    [[nodiscard]] std::int64_t members() const { return m_members; }

    /// Names that escape the root through `..` (ignored; at most 100 kept).
    [[nodiscard]] const std::vector<std::string>& suspicious() const { return m_suspicious; }

  private:
    enum class State { header, payload, record, sparse_extension, trailer };

    std::string header();
    std::string record_done();
    void emit_pending();

    EntryFn m_on_entry;
    CaptureFn m_capture;
    TarLimits m_limits;
    State m_state = State::header;
    std::string m_block;          ///< the 512-byte block being filled
    std::int64_t m_offset = 0;    ///< bytes consumed (for messages)
    std::int64_t m_data_left = 0; ///< payload bytes of the current member
    std::int64_t m_pad_left = 0;  ///< padding after them
    char m_record_type = 0;       ///< 'x', 'g', 'L', 'K' while reading a record
    std::string m_record;
    int m_zero_blocks = 0;
    std::int64_t m_members = 0;
    std::optional<TarEntry> m_pending; ///< emitted once its payload is read
    bool m_capturing = false;
    // Set by records for the next member.
    std::optional<std::string> m_next_path;
    std::optional<std::string> m_next_link;
    std::optional<std::int64_t> m_next_size;
    std::optional<std::int64_t> m_real_size; ///< GNU sparse real size (PAX)
    std::vector<std::string> m_suspicious;
};

} // namespace image_secure::layer
