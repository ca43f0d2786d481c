#include <image_secure/base/digest.hpp>
#include <image_secure/layer/summary.hpp>

#include <nlohmann/json.hpp>

#include <memory>

namespace image_secure::layer {

namespace {

constexpr std::string_view k_whiteout = ".wh.";
constexpr std::string_view k_opaque = ".wh..wh..opq";

std::string_view base_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view dir_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

/// The tar bytes: hashed, counted, walked.
class TarTap final : public ByteConsumer {
  public:
    explicit TarTap(TarWalker& walker) : m_walker(walker) {}

    std::string consume(std::string_view bytes) override {
        m_hash.update(bytes);
        m_bytes += static_cast<std::int64_t>(bytes.size());
        return m_walker.consume(bytes);
    }

    Hasher m_hash;
    std::int64_t m_bytes = 0;

  private:
    TarWalker& m_walker;
};

} // namespace

bool facts_need(std::string_view path) {
    const auto name = base_name(path);
    const auto dir = dir_name(path);
    if (name == "os-release" || name == "alpine-release" || name == "debian_version" || name == "redhat-release") {
        return dir == "etc" || dir == "usr/lib";
    }
    if (dir.ends_with("dpkg") && name == "status") {
        return true;
    }
    if (dir.ends_with("dpkg/status.d")) {
        return !name.ends_with(".md5sums");
    }
    if (dir.ends_with("apk/db") && name == "installed") {
        return true;
    }
    return name == "rpmdb.sqlite" && (dir.ends_with("rpm"));
}

void SummaryBuilder::add(TarEntry&& entry) {
    LayerSummary& s = m_summary;
    const auto name = base_name(entry.path);
    if (name.starts_with(k_whiteout)) {
        // Markers never become files; they act on the layers below.
        if (name == k_opaque) {
            s.opaque_dirs.emplace_back(dir_name(entry.path));
        } else if (name.size() > k_whiteout.size()) {
            const auto dir = dir_name(entry.path);
            std::string target = dir.empty() ? std::string() : std::string(dir) + "/";
            target += name.substr(k_whiteout.size());
            s.whiteouts.push_back(std::move(target));
        }
        return;
    }
    LayerEntry e;
    e.path = std::move(entry.path);
    e.type = entry.type;
    e.mode = entry.mode;
    e.size = entry.type == EntryType::file ? entry.size : 0;
    e.link = std::move(entry.link);
    if (entry.type == EntryType::file) {
        s.payload_bytes += entry.size;
    }
    if (entry.content) {
        e.content = static_cast<std::int32_t>(s.contents.size());
        s.contents.push_back(std::move(*entry.content));
    }
    s.entries.push_back(std::move(e));
}

struct LayerReader::Impl {
    std::string digest;
    std::string media_type;
    std::int64_t size;
    Hasher compressed_hash;
    std::int64_t compressed = 0;
    SummaryBuilder builder;
    TarWalker walker{[this](TarEntry&& e) { builder.add(std::move(e)); }, facts_need};
    TarTap tap{walker};
    std::unique_ptr<Decoder> decoder;
    std::string error;

    Impl(std::string d, std::string m, std::int64_t s, std::int64_t max_uncompressed)
        : digest(std::move(d)), media_type(std::move(m)), size(s), compressed_hash(digest.substr(0, digest.find(':'))) {
        auto compression = compression_of(media_type);
        if (!compression) {
            error = compression.error().what;
        } else {
            decoder = make_decoder(*compression, max_uncompressed);
        }
    }
};

LayerReader::LayerReader(std::string digest, std::string media_type, std::int64_t size, std::int64_t max_uncompressed)
    : m_impl(std::make_unique<Impl>(std::move(digest), std::move(media_type), size, max_uncompressed)) {}

LayerReader::~LayerReader() = default;

std::int64_t LayerReader::compressed_seen() const { return m_impl->compressed; }

std::string LayerReader::push(std::string_view compressed) {
    Impl& d = *m_impl;
    if (!d.error.empty()) {
        return d.error;
    }
    d.compressed += static_cast<std::int64_t>(compressed.size());
    if (d.size >= 0 && d.compressed > d.size) {
        d.error = "the blob is larger than its descriptor says (" + std::to_string(d.size) + " bytes)";
        return d.error;
    }
    d.compressed_hash.update(compressed);
    d.error = d.decoder->push(compressed, d.tap);
    return d.error;
}

Result<LayerSummary> LayerReader::finish() {
    Impl& d = *m_impl;
    const auto fail = [](std::string why) { return Error{ErrorKind::network, std::move(why), {}}; };
    if (!d.error.empty()) {
        return fail(d.error);
    }
    if (d.size >= 0 && d.compressed != d.size) {
        return fail("the blob ended after " + std::to_string(d.compressed) + " of " + std::to_string(d.size)
                    + " bytes (truncated)");
    }
    const std::string got = d.digest.substr(0, d.digest.find(':') + 1) + d.compressed_hash.hex_final();
    if (got != d.digest) {
        return fail("digest mismatch: the blob's bytes hash to " + got);
    }
    if (auto e = d.decoder->finish(d.tap); !e.empty()) {
        return fail(e);
    }
    if (auto e = d.walker.finish(); !e.empty()) {
        return fail(e);
    }
    LayerSummary s = d.builder.take();
    s.digest = d.digest;
    s.media_type = d.media_type;
    s.compressed_bytes = d.compressed;
    s.uncompressed_bytes = d.tap.m_bytes;
    s.diff_id = "sha256:" + d.tap.m_hash.hex_final();
    s.members = d.walker.members();
    s.suspicious = d.walker.suspicious();
    return s;
}

Result<LayerSummary> read_layer(std::string_view blob, std::string_view media_type, std::int64_t max_uncompressed) {
    LayerReader reader("sha256:" + sha256_hex(blob),
                       std::string(media_type),
                       static_cast<std::int64_t>(blob.size()),
                       max_uncompressed);
    // Feed in uneven pieces so every buffer boundary of the decoders and the walker is crossed.
    std::size_t piece = 1;
    while (!blob.empty()) {
        const std::size_t take = std::min(piece, blob.size());
        if (auto e = reader.push(blob.substr(0, take)); !e.empty()) {
            break;
        }
        blob.remove_prefix(take);
        piece = piece * 3 + 7;
        if (piece > (1U << 20U)) {
            piece = 1;
        }
    }
    return reader.finish();
}

std::string encode_summary(const LayerSummary& s) {
    nlohmann::json j;
    j["format"] = k_summary_format;
    j["digest"] = s.digest;
    j["media_type"] = s.media_type;
    j["compressed"] = s.compressed_bytes;
    j["uncompressed"] = s.uncompressed_bytes;
    j["diff_id"] = s.diff_id;
    j["members"] = s.members;
    j["payload"] = s.payload_bytes;
    auto& entries = j["entries"] = nlohmann::json::array();
    for (const auto& e : s.entries) {
        entries.push_back({e.path, static_cast<int>(e.type), e.mode, e.size, e.link, e.content});
    }
    j["whiteouts"] = s.whiteouts;
    j["opaque"] = s.opaque_dirs;
    auto& contents = j["contents"] = nlohmann::json::array();
    for (const auto& c : s.contents) {
        contents.push_back(nlohmann::json::binary(std::vector<std::uint8_t>(c.begin(), c.end())));
    }
    j["suspicious"] = s.suspicious;
    const auto bytes = nlohmann::json::to_cbor(j);
    return {bytes.begin(), bytes.end()};
}

Result<LayerSummary> decode_summary(std::string_view bytes) {
    try {
        const auto j = nlohmann::json::from_cbor(bytes.begin(), bytes.end());
        if (j.at("format").get<int>() != k_summary_format) {
            return input_error("a layer summary of another format");
        }
        LayerSummary s;
        s.digest = j.at("digest").get<std::string>();
        s.media_type = j.at("media_type").get<std::string>();
        s.compressed_bytes = j.at("compressed").get<std::int64_t>();
        s.uncompressed_bytes = j.at("uncompressed").get<std::int64_t>();
        s.diff_id = j.at("diff_id").get<std::string>();
        s.members = j.at("members").get<std::int64_t>();
        s.payload_bytes = j.at("payload").get<std::int64_t>();
        const auto& contents = j.at("contents");
        for (const auto& c : contents) {
            const auto& bin = c.get_binary();
            s.contents.emplace_back(bin.begin(), bin.end());
        }
        for (const auto& e : j.at("entries")) {
            LayerEntry le;
            le.path = e.at(0).get<std::string>();
            const int type = e.at(1).get<int>();
            if (type < 0 || type > static_cast<int>(EntryType::fifo)) {
                return input_error("a layer summary with an unknown entry type");
            }
            le.type = static_cast<EntryType>(type);
            le.mode = e.at(2).get<std::uint32_t>();
            le.size = e.at(3).get<std::int64_t>();
            le.link = e.at(4).get<std::string>();
            le.content = e.at(5).get<std::int32_t>();
            if (le.content >= static_cast<std::int32_t>(s.contents.size()) || le.content < -1) {
                return input_error("a layer summary with a bad content index");
            }
            s.entries.push_back(std::move(le));
        }
        s.whiteouts = j.at("whiteouts").get<std::vector<std::string>>();
        s.opaque_dirs = j.at("opaque").get<std::vector<std::string>>();
        s.suspicious = j.at("suspicious").get<std::vector<std::string>>();
        return s;
    } catch (const std::exception& e) {
        return input_error(std::string("an unreadable layer summary: ") + e.what());
    }
}

} // namespace image_secure::layer
