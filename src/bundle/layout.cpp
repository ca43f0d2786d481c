#include <image_secure/base/digest.hpp>
#include <image_secure/base/io.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/bundle/layout.hpp>
#include <image_secure/layer/tar.hpp>
#include <image_secure/reference/reference.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace image_secure::bundle {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_chunk = 1U << 20U;
constexpr const char* k_partial_dir = ".image-secure-partial"; ///< downloads in progress (removed at commit)

/// An open file descriptor, closed on scope exit.
class Fd {
  public:
    explicit Fd(int fd = -1) : m_fd(fd) {}

    ~Fd() { reset(); }

    Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            m_fd = std::exchange(other.m_fd, -1);
        }
        return *this;
    }

    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    [[nodiscard]] int get() const { return m_fd; }

    [[nodiscard]] bool valid() const { return m_fd >= 0; }

    void reset() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = -1;
    }

  private:
    int m_fd;
};

std::string os_error(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

bool write_all(int fd, const char* data, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, data, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        data += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

/// "sha256:<hex>" -> "blobs/sha256/<hex>" (the digest is validated first: no other name reaches a path).
std::optional<std::string> blob_path(std::string_view digest) {
    if (!validate_digest(digest)) {
        return std::nullopt;
    }
    const auto colon = digest.find(':');
    return "blobs/" + std::string(digest.substr(0, colon)) + "/" + std::string(digest.substr(colon + 1));
}

/// Parses oci-layout and index.json of a layout (`where` names it in messages).
Result<std::vector<LayoutEntry>> parse_layout(const std::optional<std::string>& layout_file,
                                              const std::optional<std::string>& index,
                                              const std::string& where) {
    if (!layout_file) {
        return input_error(where + " is not an OCI image layout: it has no oci-layout file");
    }
    const auto marker = nlohmann::json::parse(*layout_file, nullptr, false);
    if (marker.is_discarded() || !marker.is_object() || !marker.contains("imageLayoutVersion")
        || !marker["imageLayoutVersion"].is_string()) {
        return input_error(where + ": oci-layout is not a JSON object with imageLayoutVersion");
    }
    const auto version = marker["imageLayoutVersion"].get<std::string>();
    if (version != k_layout_version) {
        return input_error(where + ": unknown OCI layout version \"" + printable(version, 40) + "\" (this tool reads "
                           + std::string(k_layout_version) + ")");
    }
    if (!index) {
        return input_error(where + " has no index.json");
    }
    auto parsed = oci::parse_manifest(*index, oci::k_oci_index);
    const auto doc = nlohmann::json::parse(*index, nullptr, false);
    if (!parsed || parsed->kind != oci::Manifest::Kind::index || doc.is_discarded() || !doc.contains("manifests")) {
        return input_error(where + ": index.json is not an image index"
                           + (parsed ? std::string() : ": " + parsed.error().message()));
    }
    std::vector<LayoutEntry> entries;
    const auto& list = doc["manifests"];
    for (std::size_t k = 0; k < parsed->manifests.size() && k < list.size(); ++k) {
        LayoutEntry e;
        e.descriptor = parsed->manifests[k];
        for (const auto& [key, value] : e.descriptor.annotations) {
            if (key == k_ref_name) {
                e.ref_name = value;
            }
        }
        e.json = list[k].dump();
        entries.push_back(std::move(e));
    }
    return entries;
}

/// A streamed download into a temporary file, moved to `final_path` once size and digest match.
class FileSink final : public http::BodySink {
  public:
    FileSink(std::string temp, std::string final_path, oci::Descriptor blob)
        : m_temp(std::move(temp)), m_final(std::move(final_path)), m_blob(std::move(blob)),
          m_hash(std::string_view(m_blob.digest).substr(0, m_blob.digest.find(':'))) {
        m_fd = Fd(::open(m_temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!m_fd.valid()) {
            m_error = os_error("cannot create", m_temp);
        }
    }

    bool write(const char* data, std::size_t n) override {
        if (!m_error.empty()) {
            return false;
        }
        if (m_total + static_cast<std::int64_t>(n) > m_blob.size) {
            fail("more bytes than the descriptor's size " + std::to_string(m_blob.size));
            return false;
        }
        if (!write_all(m_fd.get(), data, n)) {
            fail(os_error("cannot write", m_temp));
            return false;
        }
        m_hash.update(std::string_view(data, n));
        m_total += static_cast<std::int64_t>(n);
        return true;
    }

    [[nodiscard]] bool writable() const override { return true; }

    void finish() override {
        if (!m_error.empty()) {
            return;
        }
        if (m_total != m_blob.size) {
            fail("got " + std::to_string(m_total) + " bytes, the descriptor says " + std::to_string(m_blob.size));
            return;
        }
        if (m_hash.hex_final() != m_blob.digest.substr(m_blob.digest.find(':') + 1)) {
            fail("content does not match digest " + m_blob.digest);
            return;
        }
        if (::fsync(m_fd.get()) != 0) {
            fail(os_error("cannot write", m_temp));
            return;
        }
        m_fd.reset();
        if (::rename(m_temp.c_str(), m_final.c_str()) != 0) {
            fail(os_error("cannot move the blob to", m_final));
        }
    }

    void fail(std::string why) override {
        if (m_error.empty()) {
            m_error = why.empty() ? "transfer failed" : std::move(why);
        }
        m_fd.reset();
        ::unlink(m_temp.c_str());
    }

    [[nodiscard]] bool failed() const override { return !m_error.empty(); }

    [[nodiscard]] const std::string& error() const override { return m_error; }

    [[nodiscard]] bool consumer_gone() const override { return false; }

    [[nodiscard]] std::int64_t transferred() const override { return m_total; }

  private:
    std::string m_temp;
    std::string m_final;
    oci::Descriptor m_blob;
    Hasher m_hash;
    Fd m_fd;
    std::int64_t m_total = 0;
    std::string m_error;
};

/// Copies what `reader` gives to `fd`: the bytes copied, or why not (`target` names the file).
Result<std::uint64_t> pump(BlobReader& reader, int fd, const std::string& target, std::vector<char>& buffer) {
    std::uint64_t done = 0;
    std::string why;
    while (true) {
        const std::size_t n = reader.read(buffer.data(), buffer.size(), why);
        if (!why.empty()) {
            return input_error(why);
        }
        if (n == 0) {
            return done;
        }
        if (!write_all(fd, buffer.data(), n)) {
            return input_error(os_error("cannot write", target));
        }
        done += n;
    }
}

/// Copies `size` bytes at `offset` of `from` to a new file `to` (a blob out of an archive).
Result<Ok> copy_range(const BlobFile& from, const std::string& to) {
    BlobReader reader(from);
    const std::string temp = to + ".tmp";
    Fd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out.valid()) {
        return input_error(os_error("cannot create", temp));
    }
    std::vector<char> buffer(k_chunk);
    if (auto copied = pump(reader, out.get(), temp, buffer); !copied) {
        ::unlink(temp.c_str());
        return copied.error();
    }
    out.reset();
    if (::rename(temp.c_str(), to.c_str()) != 0) {
        return input_error(os_error("cannot create", to));
    }
    return Ok{};
}

/// Writes a file of the layout through a temporary file and a rename; mode 0644 less the umask
/// (as every other file of the layout, and as other tools write them).
Result<Ok> write_layout_file(const std::string& path, std::string_view bytes) {
    const std::string temp = path + ".tmp";
    Fd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out.valid() || !write_all(out.get(), bytes.data(), bytes.size()) || ::fsync(out.get()) != 0) {
        const std::string why = os_error("cannot write", temp);
        ::unlink(temp.c_str());
        return input_error(why);
    }
    out.reset();
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        return input_error(os_error("cannot create", path));
    }
    return Ok{};
}

// --- tar writing -------------------------------------------------------------------------

constexpr std::size_t k_block = 512;

void put_octal(std::array<char, k_block>& h, std::size_t at, std::size_t width, std::uint64_t value) {
    // width-1 octal digits and a NUL; larger sizes in GNU base-256 (first byte 0x80).
    const std::uint64_t limit = width - 1 >= 22 ? UINT64_MAX : (std::uint64_t{1} << (3 * (width - 1)));
    if (value < limit) {
        for (std::size_t k = width - 1; k-- > 0;) {
            h[at + k] = static_cast<char>('0' + (value & 7U));
            value >>= 3U;
        }
        h[at + width - 1] = '\0';
        return;
    }
    for (std::size_t k = width; k-- > 1;) {
        h[at + k] = static_cast<char>(value & 0xffU);
        value >>= 8U;
    }
    h[at] = static_cast<char>(0x80);
}

std::array<char, k_block> tar_header(const std::string& name, char type, std::uint64_t size) {
    std::array<char, k_block> h{};
    std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
    put_octal(h, 100, 8, type == '5' ? 0755 : 0644);
    put_octal(h, 108, 8, 0);
    put_octal(h, 116, 8, 0);
    put_octal(h, 124, 12, size);
    put_octal(h, 136, 12, 0);
    h[156] = type;
    std::memcpy(h.data() + 257,
                "ustar\0"
                "00",
                8);
    std::memset(h.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (const char c : h) {
        sum += static_cast<unsigned char>(c);
    }
    put_octal(h, 148, 7, sum);
    h[155] = ' ';
    return h;
}

/// One member's headers: a GNU long-name record first when the name is over 100 bytes.
bool write_member_header(int fd, const std::string& name, char type, std::uint64_t size) {
    if (name.size() > 100) {
        const auto l = tar_header("././@LongLink", 'L', name.size() + 1);
        std::string payload = name;
        payload.resize((name.size() + 1 + k_block - 1) / k_block * k_block, '\0');
        if (!write_all(fd, l.data(), l.size()) || !write_all(fd, payload.data(), payload.size())) {
            return false;
        }
    }
    const auto h = tar_header(name, type, size);
    return write_all(fd, h.data(), h.size());
}

} // namespace

std::string BundlePath::str() const { return (kind == Kind::directory ? "oci:" : "oci-archive:") + path; }

Result<BundlePath> parse_bundle_path(std::string_view text, const std::string& flag) {
    BundlePath out;
    constexpr std::string_view dir = "oci:";
    constexpr std::string_view archive = "oci-archive:";
    if (text.rfind(dir, 0) == 0) {
        out.path = std::string(text.substr(dir.size()));
    } else if (text.rfind(archive, 0) == 0) {
        out.kind = BundlePath::Kind::archive;
        out.path = std::string(text.substr(archive.size()));
    } else {
        return usage_error(flag + " takes oci:DIR or oci-archive:FILE, not \"" + std::string(text) + "\"", flag);
    }
    if (out.path.empty()) {
        return usage_error(flag + " " + std::string(text) + " names no path", flag);
    }
    return out;
}

// --- reading -----------------------------------------------------------------------------

Result<Layout> Layout::open(const BundlePath& where) {
    Layout layout;
    layout.m_where = where;
    const std::string name = where.str();
    std::optional<std::string> marker;
    std::optional<std::string> index;
    if (where.kind == BundlePath::Kind::directory) {
        std::error_code ec;
        if (!fs::is_directory(where.path, ec)) {
            return input_error(name + ": no such directory");
        }
        if (auto m = read_file_limited(where.path + "/oci-layout", 1U << 16U)) {
            marker = std::move(*m);
        }
        if (auto i = read_file_limited(where.path + "/index.json", 64U << 20U)) {
            index = std::move(*i);
        }
    } else {
        Fd fd(::open(where.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd.valid()) {
            return input_error(os_error("cannot open", where.path));
        }
        std::string problem;
        layer::TarWalker walker(
            [&](layer::TarEntry&& e) {
                if (!problem.empty()) {
                    return;
                }
                if (e.path == "oci-layout" && e.content) {
                    marker = std::move(e.content);
                } else if (e.path == "index.json" && e.content) {
                    index = std::move(e.content);
                } else if (e.path.rfind("blobs/", 0) == 0 && e.type != layer::EntryType::directory) {
                    const auto slash = e.path.find('/', 6);
                    const std::string digest = slash == std::string::npos
                                                   ? std::string()
                                                   : e.path.substr(6, slash - 6) + ":" + e.path.substr(slash + 1);
                    if (e.type != layer::EntryType::file || e.sparse) {
                        problem = name + ": " + printable(e.path, 200)
                                  + " is a link or a special file; blobs must be regular files";
                    } else if (validate_digest(digest)) {
                        layout.m_members[digest] = BlobFile{where.path, e.offset, e.size};
                    }
                }
            },
            [](std::string_view path) { return path == "oci-layout" || path == "index.json"; });
        std::vector<char> buffer(k_chunk);
        while (problem.empty()) {
            const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                return input_error(os_error("cannot read", where.path));
            }
            if (n == 0) {
                break;
            }
            if (auto err = walker.consume(std::string_view(buffer.data(), static_cast<std::size_t>(n))); !err.empty()) {
                return input_error(name + ": " + err);
            }
            if (!walker.suspicious().empty()) {
                return input_error(name + ": the member \"" + walker.suspicious().front()
                                   + "\" escapes the archive's root (path traversal); refusing the archive");
            }
        }
        if (!problem.empty()) {
            return input_error(problem);
        }
        if (auto err = walker.finish(); !err.empty()) {
            return input_error(name + ": " + err);
        }
    }
    auto entries = parse_layout(marker, index, name);
    if (!entries) {
        return entries.error();
    }
    layout.m_entries = std::move(*entries);
    return layout;
}

std::optional<BlobFile> Layout::find_blob(std::string_view digest) const {
    if (m_where.kind == BundlePath::Kind::archive) {
        const auto it = m_members.find(digest);
        return it == m_members.end() ? std::nullopt : std::optional<BlobFile>(it->second);
    }
    const auto rel = blob_path(digest);
    if (!rel) {
        return std::nullopt;
    }
    const std::string path = m_where.path + "/" + *rel;

    struct stat st {};

    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return std::nullopt;
    }
    return BlobFile{path, 0, static_cast<std::int64_t>(st.st_size)};
}

Result<std::string> Layout::read_blob(std::string_view digest, std::size_t limit) const {
    const auto file = find_blob(digest);
    if (!file) {
        return input_error(m_where.str() + " lacks the blob " + std::string(digest));
    }
    if (file->size > static_cast<std::int64_t>(limit)) {
        return input_error(m_where.str() + ": the blob " + std::string(digest) + " is larger than "
                           + std::to_string(limit) + " bytes");
    }
    std::string bytes(static_cast<std::size_t>(file->size), '\0');
    BlobReader reader(*file);
    std::size_t done = 0;
    std::string why;
    while (done < bytes.size()) {
        const std::size_t n = reader.read(bytes.data() + done, bytes.size() - done, why);
        if (!why.empty()) {
            return input_error(m_where.str() + ": " + why);
        }
        if (n == 0) {
            break;
        }
        done += n;
    }
    if (oci::sha256_digest(bytes) != digest && digest.rfind("sha256:", 0) == 0) {
        return input_error(m_where.str() + ": the blob " + std::string(digest)
                           + " is corrupt (its content does not match its digest)");
    }
    return bytes;
}

BlobReader::BlobReader(BlobFile file) : m_file(std::move(file)) {}

BlobReader::~BlobReader() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

std::size_t BlobReader::read(char* out, std::size_t n, std::string& why) {
    if (m_fd < 0) {
        m_fd = ::open(m_file.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (m_fd < 0) {
            why = os_error("cannot open", m_file.path);
            return 0;
        }
    }
    const auto want =
        static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(n), m_file.size - m_done));
    if (want == 0) {
        return 0;
    }
    while (true) {
        const ssize_t got = ::pread(m_fd, out, want, m_file.offset + m_done);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            why = os_error("cannot read", m_file.path);
            return 0;
        }
        if (got == 0) {
            why = m_file.path + " ends early (" + std::to_string(m_done) + " of " + std::to_string(m_file.size)
                  + " bytes)";
            return 0;
        }
        m_done += got;
        return static_cast<std::size_t>(got);
    }
}

// --- writing -----------------------------------------------------------------------------

struct LayoutWriter::Impl {
    BundlePath where;
    std::string root;                           ///< the layout directory (an archive's staging directory)
    std::map<std::string, std::string> named;   ///< ref.name -> descriptor JSON
    std::map<std::string, std::string> unnamed; ///< digest -> descriptor JSON
    std::size_t sinks = 0;
};

LayoutWriter::~LayoutWriter() = default;
LayoutWriter::LayoutWriter(LayoutWriter&&) noexcept = default;
LayoutWriter& LayoutWriter::operator=(LayoutWriter&&) noexcept = default;

const BundlePath& LayoutWriter::where() const { return m_impl->where; }

Result<LayoutWriter> LayoutWriter::create(const BundlePath& where) {
    LayoutWriter w;
    w.m_impl = std::make_unique<Impl>();
    Impl& d = *w.m_impl;
    d.where = where;
    d.root = where.kind == BundlePath::Kind::directory ? where.path : where.path + ".partial";
    std::error_code ec;
    std::optional<Layout> existing;
    const bool started = fs::exists(where.path + "/oci-layout", ec);
    if (where.kind == BundlePath::Kind::directory && started && !fs::exists(where.path + "/index.json", ec)) {
        // A run killed before its index was written: its verified blobs are kept, the version checked.
        auto marker = read_file_limited(where.path + "/oci-layout", 1U << 16U);
        if (auto checked = parse_layout(marker ? std::optional<std::string>(*marker) : std::nullopt,
                                        std::string(R"({"schemaVersion":2,"manifests":[]})"),
                                        where.str());
            !checked) {
            return checked.error();
        }
    } else if (where.kind == BundlePath::Kind::directory && started) {
        auto opened = Layout::open(where);
        if (!opened) {
            return opened.error();
        }
        existing = std::move(*opened);
    } else if (where.kind == BundlePath::Kind::directory && fs::exists(where.path, ec)
               && (!fs::is_directory(where.path, ec) || !fs::is_empty(where.path, ec))) {
        return input_error(where.str() + ": " + where.path
                           + " exists and is not an OCI image layout; give a new or empty directory");
    } else if (where.kind == BundlePath::Kind::archive && fs::exists(where.path, ec)) {
        auto opened = Layout::open(where);
        if (!opened) {
            return opened.error();
        }
        existing = std::move(*opened);
    }
    fs::create_directories(d.root + "/blobs/sha256", ec);
    fs::create_directories(d.root + "/" + k_partial_dir, ec);
    if (ec) {
        return input_error("cannot create " + d.root + ": " + ec.message());
    }
    // The marker first: a directory a killed run leaves is a layout that the next run completes.
    nlohmann::ordered_json marker;
    marker["imageLayoutVersion"] = std::string(k_layout_version);
    if (auto written = write_layout_file(d.root + "/oci-layout", marker.dump()); !written) {
        return written.error();
    }
    if (existing) {
        for (const auto& e : existing->entries()) {
            if (e.ref_name.empty()) {
                d.unnamed[e.descriptor.digest] = e.json;
            } else {
                d.named[e.ref_name] = e.json;
            }
        }
    }
    if (existing && where.kind == BundlePath::Kind::archive) {
        // Every blob of the archive goes to the staging directory (only what is missing there).
        for (const auto& [digest, file] : existing->m_members) {
            const auto rel = blob_path(digest);
            const std::string to = d.root + "/" + *rel;
            fs::create_directories(fs::path(to).parent_path(), ec);
            if (!fs::exists(to, ec)) {
                if (auto copied = copy_range(file, to); !copied) {
                    return copied.error();
                }
            }
        }
    }
    return w;
}

bool LayoutWriter::has_blob(const oci::Descriptor& blob) const {
    const auto rel = blob_path(blob.digest);
    if (!rel) {
        return false;
    }

    struct stat st {};

    const std::string path = m_impl->root + "/" + *rel;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == blob.size;
}

std::shared_ptr<http::BodySink> LayoutWriter::blob_sink(const oci::Descriptor& blob) {
    const auto rel = blob_path(blob.digest);
    const std::string final_path = m_impl->root + "/" + rel.value_or("blobs/invalid");
    std::error_code ec;
    fs::create_directories(fs::path(final_path).parent_path(), ec);
    const std::string temp =
        m_impl->root + "/" + k_partial_dir + "/" + std::to_string(m_impl->sinks++) + "-" + sha256_hex(blob.digest);
    return std::make_shared<FileSink>(temp, final_path, blob);
}

Result<Ok> LayoutWriter::put_blob(const std::string& digest, std::string_view bytes) {
    const auto rel = blob_path(digest);
    if (!rel || oci::sha256_digest(bytes) != digest) {
        return input_error("a manifest does not match its digest " + digest);
    }
    const std::string path = m_impl->root + "/" + *rel;

    struct stat st {};

    if (::stat(path.c_str(), &st) == 0 && st.st_size == static_cast<off_t>(bytes.size())) {
        return Ok{};
    }
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    return write_layout_file(path, bytes);
}

bool LayoutWriter::add_entry(const std::string& descriptor_json, const std::string& ref_name) {
    auto doc = nlohmann::json::parse(descriptor_json, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return false;
    }
    nlohmann::json entry = nlohmann::json::object();
    for (const char* key : {"mediaType", "digest", "size", "artifactType", "annotations"}) {
        if (doc.contains(key)) {
            entry[key] = doc[key];
        }
    }
    std::string* slot = nullptr;
    if (!ref_name.empty()) {
        entry["annotations"][std::string(k_ref_name)] = ref_name;
        slot = &m_impl->named[ref_name];
    } else {
        slot = &m_impl->unnamed[entry.value("digest", std::string())];
    }
    std::string text = entry.dump();
    const bool changed = *slot != text;
    *slot = std::move(text);
    return changed;
}

Result<Ok> LayoutWriter::commit() {
    const Impl& d = *m_impl;
    nlohmann::ordered_json index;
    index["schemaVersion"] = 2;
    index["mediaType"] = std::string(oci::k_oci_index);
    index["manifests"] = nlohmann::ordered_json::array();
    for (const auto* group : {&d.named, &d.unnamed}) {
        for (const auto& [key, json] : *group) {
            index["manifests"].push_back(nlohmann::ordered_json::parse(json));
        }
    }
    if (auto w = write_layout_file(d.root + "/index.json", index.dump()); !w) {
        return w.error();
    }
    std::error_code ec;
    fs::remove_all(d.root + "/" + k_partial_dir, ec);
    if (d.where.kind == BundlePath::Kind::archive) {
        if (auto t = write_tar(d.root, d.where.path); !t) {
            return t.error();
        }
        fs::remove_all(d.root, ec);
    }
    return Ok{};
}

Result<Ok> write_tar(const std::string& dir, const std::string& file) {
    std::vector<std::pair<std::string, bool>> members; // relative path, is a directory
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        const std::string rel = fs::relative(it->path(), dir, ec).generic_string();
        if (it->is_directory(ec)) {
            members.emplace_back(rel + "/", true);
        } else if (it->is_regular_file(ec)) {
            members.emplace_back(rel, false);
        }
    }
    if (ec) {
        return input_error("cannot list " + dir + ": " + ec.message());
    }
    std::sort(members.begin(), members.end());
    const std::string temp = file + ".tmp";
    Fd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out.valid()) {
        return input_error(os_error("cannot create", temp));
    }
    const auto failed = [&temp]() -> Result<Ok> {
        const std::string why = os_error("cannot write", temp);
        ::unlink(temp.c_str());
        return input_error(why);
    };
    std::vector<char> buffer(k_chunk);
    for (const auto& [rel, is_dir] : members) {
        if (is_dir) {
            if (!write_member_header(out.get(), rel, '5', 0)) {
                return failed();
            }
            continue;
        }
        const std::string path = dir + "/" + rel;

        struct stat st {};

        if (::stat(path.c_str(), &st) != 0) {
            return failed();
        }
        const auto size = static_cast<std::uint64_t>(st.st_size);
        if (!write_member_header(out.get(), rel, '0', size)) {
            return failed();
        }
        BlobReader reader(BlobFile{path, 0, static_cast<std::int64_t>(size)});
        const auto done = pump(reader, out.get(), temp, buffer);
        if (!done) {
            ::unlink(temp.c_str());
            return done.error();
        }
        const std::size_t pad = (k_block - *done % k_block) % k_block;
        const std::array<char, k_block> zeros{};
        if (!write_all(out.get(), zeros.data(), pad)) {
            return failed();
        }
    }
    const std::array<char, 2 * k_block> end{};
    if (!write_all(out.get(), end.data(), end.size()) || ::fsync(out.get()) != 0) {
        return failed();
    }
    out.reset();
    if (::rename(temp.c_str(), file.c_str()) != 0) {
        return failed();
    }
    return Ok{};
}

} // namespace image_secure::bundle
