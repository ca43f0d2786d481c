#pragma once

// OCI image layouts: a directory (`oci:DIR`) or a tar of one (`oci-archive:FILE`) holding
// images for an air gap. `oci-layout` names the version, `index.json` lists the images (each
// with `org.opencontainers.image.ref.name`, its fully qualified source reference) and the
// referrers, `blobs/<alg>/<hex>` holds every manifest, config and layer.
//
// The reader never turns a name from a bundle into a path: blobs are found by validated
// digests, an archive's members are indexed (offsets into the file) and read in place.

#include <image_secure/base/result.hpp>
#include <image_secure/http/body_sink.hpp>
#include <image_secure/registry/oci.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure::bundle {

inline constexpr std::string_view k_ref_name = "org.opencontainers.image.ref.name";
inline constexpr std::string_view k_layout_version = "1.0.0";

/// `oci:DIR` or `oci-archive:FILE`.
struct BundlePath {
    enum class Kind { directory, archive } kind = Kind::directory;
    std::string path;

    [[nodiscard]] std::string str() const;
};

/// Parses "oci:DIR" / "oci-archive:FILE" (a usage error names the forms); nullopt-free.
[[nodiscard]] Result<BundlePath> parse_bundle_path(std::string_view text, const std::string& flag);

/// One descriptor of index.json.
struct LayoutEntry {
    oci::Descriptor descriptor;
    std::string ref_name; ///< its org.opencontainers.image.ref.name, "" when none
    std::string json;     ///< the descriptor as written (kept when the index is written again)
};

/// Where a blob's bytes are: a file, and the range in it (an archive member).
struct BlobFile {
    std::string path;
    std::int64_t offset = 0;
    std::int64_t size = 0;
};

/// A layout opened for reading.
class Layout {
  public:
    /// Checks `oci-layout` (version 1.0.0) and reads `index.json`; an archive is indexed once
    /// (a member escaping the root, a link or a sparse member among the blobs is an error).
    [[nodiscard]] static Result<Layout> open(const BundlePath& where);

    [[nodiscard]] const BundlePath& where() const { return m_where; }

    [[nodiscard]] const std::vector<LayoutEntry>& entries() const { return m_entries; }

    /// The blob's file (nullopt when the layout lacks it).
    [[nodiscard]] std::optional<BlobFile> find_blob(std::string_view digest) const;
    /// A small blob (a manifest, a config), checked against `digest`; a missing or wrong one
    /// is an input error naming the bundle.
    [[nodiscard]] Result<std::string> read_blob(std::string_view digest, std::size_t limit = 8U << 20U) const;

  private:
    friend class LayoutWriter; // takes an archive's blobs over into its staging directory
    BundlePath m_where;
    std::vector<LayoutEntry> m_entries;
    std::map<std::string, BlobFile, std::less<>> m_members; ///< an archive's blobs by digest
};

/// Reads `size` bytes of a blob file from `offset` into `out` a piece at a time: the producer
/// of an upload pipe (http::Pipe::set_producer).
class BlobReader {
  public:
    explicit BlobReader(BlobFile file);
    ~BlobReader();
    BlobReader(const BlobReader&) = delete;
    BlobReader& operator=(const BlobReader&) = delete;

    /// Bytes read (0 at the end); an error fills `why`.
    std::size_t read(char* out, std::size_t n, std::string& why);

  private:
    BlobFile m_file;
    int m_fd = -1;
    std::int64_t m_done = 0;
};

/// A layout being written: blobs land under their digest only once verified, index.json and
/// oci-layout are written last (atomically), so a killed run leaves a layout that a re-run
/// completes. Entries already in the layout stay, unless an image of the same ref.name
/// replaces its entry; the index is sorted, so writing the same images twice gives the same
/// bytes. An archive is staged in "FILE.partial/" beside it and tarred at commit.
class LayoutWriter {
  public:
    [[nodiscard]] static Result<LayoutWriter> create(const BundlePath& where);
    ~LayoutWriter();
    LayoutWriter(LayoutWriter&&) noexcept;
    LayoutWriter& operator=(LayoutWriter&&) noexcept;
    LayoutWriter(const LayoutWriter&) = delete;
    LayoutWriter& operator=(const LayoutWriter&) = delete;

    /// Is the blob there already, complete?
    [[nodiscard]] bool has_blob(const oci::Descriptor& blob) const;
    /// A sink that streams a download to a temporary file, checks size and digest at the end
    /// and only then moves it to its place. A resumed download appends.
    [[nodiscard]] std::shared_ptr<http::BodySink> blob_sink(const oci::Descriptor& blob);
    /// Writes a small blob (a manifest), `digest` checked.
    [[nodiscard]] Result<Ok> put_blob(const std::string& digest, std::string_view bytes);
    /// Adds an index entry: mediaType, digest, size, artifactType and annotations from
    /// `descriptor_json` (a JSON object), plus ref.name when given. False when the index
    /// already had exactly this entry.
    bool add_entry(const std::string& descriptor_json, const std::string& ref_name);
    /// Writes index.json and oci-layout (and the archive).
    [[nodiscard]] Result<Ok> commit();

    [[nodiscard]] const BundlePath& where() const;

  private:
    LayoutWriter() = default;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Writes the directory `dir` as a tar to `file` (atomically): members sorted, GNU/ustar
/// headers with mode 0644/0755, owner 0, time 0, so equal trees give equal bytes.
[[nodiscard]] Result<Ok> write_tar(const std::string& dir, const std::string& file);

} // namespace image_secure::bundle
