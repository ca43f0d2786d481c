// Bundles (OCI image layouts): the bundle argument forms, the tags that hold referrers, a
// self-fed upload pipe's checks, and layouts read from archives built here byte by byte
// (tar_fixture.hpp writes every header from the format's definition, not with the code under
// test). Expectations are written by hand from the OCI image layout spec.
#include "tar_fixture.hpp"

#include <image_secure/bundle/bundle.hpp>
#include <image_secure/bundle/layout.hpp>
#include <image_secure/http/pipe.hpp>
#include <image_secure/registry/oci.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace image_secure;
using image_secure::testing::tar_end;
using image_secure::testing::tar_member;
using image_secure::testing::TarMember;

namespace {

namespace fs = std::filesystem;

const std::string k_layout = R"({"imageLayoutVersion":"1.0.0"})";
const std::string k_blob = "hello, layer";

/// A temporary directory, removed at the end of the test.
struct TempDir {
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "bundle-test-XXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }

    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }

    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string path;
};

std::string blob_hex() { return oci::sha256_digest(k_blob).substr(7); }

std::string index_with(const std::string& digest, std::int64_t size, const std::string& ref_name) {
    return R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")"
           + digest + R"(","size":)" + std::to_string(size) + R"(,"annotations":{"org.opencontainers.image.ref.name":")"
           + ref_name + R"("}}]})";
}

void write(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

} // namespace

TEST_CASE("bundle arguments: oci:DIR and oci-archive:FILE, nothing else") {
    auto dir = bundle::parse_bundle_path("oci:/srv/bundle", "--to");
    REQUIRE(dir);
    CHECK(dir->kind == bundle::BundlePath::Kind::directory);
    CHECK(dir->path == "/srv/bundle");
    CHECK(dir->str() == "oci:/srv/bundle");
    auto archive = bundle::parse_bundle_path("oci-archive:images.tar", "--from");
    REQUIRE(archive);
    CHECK(archive->kind == bundle::BundlePath::Kind::archive);
    CHECK(archive->path == "images.tar");
    CHECK_FALSE(bundle::parse_bundle_path("docker-archive:x.tar", "--to"));
    CHECK_FALSE(bundle::parse_bundle_path("/srv/bundle", "--to"));
    auto empty = bundle::parse_bundle_path("oci:", "--to");
    REQUIRE_FALSE(empty);
    CHECK(empty.error().kind == ErrorKind::usage);
}

TEST_CASE("the tags that hold referrers are not images") {
    const std::string hex(64, 'a');
    CHECK(bundle::is_referrer_tag("sha256-" + hex));
    CHECK(bundle::is_referrer_tag("sha256-" + hex + ".sig"));
    CHECK(bundle::is_referrer_tag("sha256-" + hex + ".att"));
    CHECK(bundle::is_referrer_tag("sha256-" + hex + ".sbom"));
    CHECK_FALSE(bundle::is_referrer_tag("sha256-" + hex + ".tar"));
    CHECK_FALSE(bundle::is_referrer_tag("sha256-abc.sig"));
    CHECK_FALSE(bundle::is_referrer_tag("sha256-" + std::string(64, 'A')));
    CHECK_FALSE(bundle::is_referrer_tag("1.27"));
}

TEST_CASE("a self-fed pipe checks the digest before the last byte goes out") {
    const auto feed = [](std::string content, std::string digest) {
        auto pipe = std::make_shared<http::Pipe>(4, std::move(digest), 12);
        auto offset = std::make_shared<std::size_t>(0);
        pipe->set_producer([content, offset](char* out, std::size_t n, std::string&) {
            const std::size_t take = std::min(n, content.size() - *offset);
            std::memcpy(out, content.data() + *offset, take);
            *offset += take;
            return take;
        });
        std::string got;
        char buffer[3];
        for (int guard = 0; guard < 100 && !pipe->at_end() && !pipe->failed(); ++guard) {
            const std::size_t n = pipe->read(buffer, sizeof buffer);
            got.append(buffer, n);
        }
        return std::make_pair(got, pipe);
    };
    const auto [good, ok_pipe] = feed(k_blob, oci::sha256_digest(k_blob));
    CHECK(good == k_blob);
    CHECK(ok_pipe->at_end());
    CHECK_FALSE(ok_pipe->failed());
    std::string wrong = k_blob;
    wrong[11] = '?';
    const auto [bad, bad_pipe] = feed(wrong, oci::sha256_digest(k_blob));
    CHECK(bad_pipe->failed());
    CHECK(bad_pipe->content_wrong());
    CHECK(bad_pipe->error().find("does not match digest") != std::string::npos);
    CHECK(bad.size() < wrong.size()); // the last piece never went out
}

TEST_CASE("an archive's layout: blobs read in place, by digest") {
    TempDir tmp;
    const std::string digest = "sha256:" + blob_hex();
    const std::string tar = tar_member(TarMember("oci-layout", '0', k_layout))
                            + tar_member(TarMember("index.json", '0', index_with(digest, 12, "docker.io/library/x:1")))
                            + tar_member(TarMember("blobs/", '5')) + tar_member(TarMember("blobs/sha256/", '5'))
                            + tar_member(TarMember("blobs/sha256/" + blob_hex(), '0', k_blob)) + tar_end();
    write(tmp.path + "/b.tar", tar);
    auto layout = bundle::Layout::open({bundle::BundlePath::Kind::archive, tmp.path + "/b.tar"});
    REQUIRE(layout);
    REQUIRE(layout->entries().size() == 1);
    CHECK(layout->entries()[0].ref_name == "docker.io/library/x:1");
    const auto file = layout->find_blob(digest);
    REQUIRE(file);
    CHECK(file->size == 12);
    // oci-layout and index.json (a header and one data block each), two directory headers, and
    // the blob's own header come before its bytes.
    CHECK(file->offset == (2 * 2 + 2 + 1) * 512);
    auto bytes = layout->read_blob(digest);
    REQUIRE(bytes);
    CHECK(*bytes == k_blob);
    CHECK_FALSE(layout->find_blob("sha256:" + std::string(64, '0')));
}

TEST_CASE("hostile and unknown archives are refused with the reason") {
    TempDir tmp;
    const auto open = [&tmp](const std::string& tar) {
        write(tmp.path + "/x.tar", tar);
        return bundle::Layout::open({bundle::BundlePath::Kind::archive, tmp.path + "/x.tar"});
    };
    const std::string good_head = tar_member(TarMember("oci-layout", '0', k_layout))
                                  + tar_member(TarMember("index.json", '0', R"({"schemaVersion":2,"manifests":[]})"));
    auto traversal = open(good_head + tar_member(TarMember("../../etc/cron.d/x", '0', "boom")) + tar_end());
    REQUIRE_FALSE(traversal);
    CHECK(traversal.error().kind == ErrorKind::input);
    CHECK(traversal.error().what.find("path traversal") != std::string::npos);
    auto link =
        open(good_head + tar_member(TarMember("blobs/sha256/" + blob_hex(), '2', {}, 0777, "/etc/shadow")) + tar_end());
    REQUIRE_FALSE(link);
    CHECK(link.error().what.find("must be regular files") != std::string::npos);
    auto version =
        open(tar_member(TarMember("oci-layout", '0', R"({"imageLayoutVersion":"9.9.9"})"))
             + tar_member(TarMember("index.json", '0', R"({"schemaVersion":2,"manifests":[]})")) + tar_end());
    REQUIRE_FALSE(version);
    CHECK(version.error().what.find("unknown OCI layout version \"9.9.9\"") != std::string::npos);
    auto no_marker = open(tar_member(TarMember("index.json", '0', "{}")) + tar_end());
    REQUIRE_FALSE(no_marker);
    CHECK(no_marker.error().what.find("no oci-layout") != std::string::npos);
    auto truncated = open(good_head.substr(0, 700));
    REQUIRE_FALSE(truncated);
}

TEST_CASE("a layout written twice is the same; entries sorted, replaced by ref.name") {
    TempDir tmp;
    const bundle::BundlePath where{bundle::BundlePath::Kind::directory, tmp.path + "/l"};
    const std::string digest = "sha256:" + blob_hex();
    const auto descriptor =
        R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest + R"(","size":12})";
    const auto write_once = [&](const std::vector<std::string>& names) {
        auto w = bundle::LayoutWriter::create(where);
        REQUIRE(w);
        REQUIRE(w->put_blob(digest, k_blob));
        for (const auto& n : names) {
            w->add_entry(descriptor, n);
        }
        REQUIRE(w->commit());
    };
    write_once({"docker.io/library/z:1", "docker.io/library/a:1"});
    std::ifstream in(where.path + "/index.json");
    const std::string first((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(first.find("library/a:1") < first.find("library/z:1"));
    write_once({"docker.io/library/a:1"});
    std::ifstream again(where.path + "/index.json");
    CHECK(std::string((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>()) == first);
    CHECK_FALSE(fs::exists(where.path + "/.image-secure-partial"));
    auto w = bundle::LayoutWriter::create(where);
    REQUIRE(w);
    CHECK_FALSE(w->add_entry(descriptor, "docker.io/library/a:1")); // already listed, unchanged
    CHECK(w->has_blob(oci::Descriptor{"", digest, 12, {}, {}, {}, {}}));
    CHECK_FALSE(w->has_blob(oci::Descriptor{"", digest, 13, {}, {}, {}, {}}));
    CHECK_FALSE(w->put_blob(digest, "other bytes")); // a manifest is checked against its digest
    // the archive of that directory reads back the same entries and blob
    REQUIRE(bundle::write_tar(where.path, tmp.path + "/l.tar"));
    auto archived = bundle::Layout::open({bundle::BundlePath::Kind::archive, tmp.path + "/l.tar"});
    REQUIRE(archived);
    CHECK(archived->entries().size() == 2);
    CHECK(*archived->read_blob(digest) == k_blob);
}

TEST_CASE("a blob sink keeps only verified bytes") {
    TempDir tmp;
    const bundle::BundlePath where{bundle::BundlePath::Kind::directory, tmp.path + "/l"};
    auto w = bundle::LayoutWriter::create(where);
    REQUIRE(w);
    const oci::Descriptor blob{"", "sha256:" + blob_hex(), 12, {}, {}, {}, {}};
    auto bad = w->blob_sink(blob);
    CHECK(bad->write("hello, LAYER", 12));
    bad->finish();
    CHECK(bad->failed());
    CHECK_FALSE(w->has_blob(blob));
    auto good = w->blob_sink(blob);
    CHECK(good->write("hello, ", 7));
    CHECK(good->write("layer", 5));
    CHECK_FALSE(good->write("!", 1)); // beyond the descriptor's size
    auto fine = w->blob_sink(blob);
    CHECK(fine->write(k_blob.data(), k_blob.size()));
    fine->finish();
    CHECK_FALSE(fine->failed());
    CHECK(w->has_blob(blob));
}
