// The layer reader on hand-made bytes: decoders (gzip members, zstd frames, plain), the tar
// walker (ustar prefix, GNU, PAX, base-256, checksums, records, end blocks), the summary and
// its cache encoding, the overlay (OCI whiteouts, opaque dirs, hard links, symlinks) and facts.
#include "tar_fixture.hpp"

#include <image_secure/audit/facts.hpp>
#include <image_secure/base/digest.hpp>
#include <image_secure/layer/overlay.hpp>
#include <image_secure/layer/summary.hpp>

#include <doctest/doctest.h>

#include <algorithm>

using namespace image_secure;
using namespace image_secure::layer;
using image_secure::testing::tar_end;
using image_secure::testing::tar_member;
using image_secure::testing::TarMember;

namespace {

constexpr const char* k_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr const char* k_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
constexpr const char* k_tar = "application/vnd.oci.image.layer.v1.tar";

std::vector<std::string> paths(const LayerSummary& s) {
    std::vector<std::string> out;
    for (const auto& e : s.entries) {
        out.push_back(e.path);
    }
    return out;
}

std::string simple_tar() {
    return tar_member({"bin/sh", '0', "#!", 0755}) + tar_member({"etc/os-release", '0', "ID=alpine\n"}) + tar_end();
}

LayerSummary read_ok(const std::string& blob, const char* media_type) {
    auto s = read_layer(blob, media_type);
    REQUIRE_MESSAGE(s.has_value(), (s ? std::string() : s.error().what));
    return std::move(*s);
}

std::string read_error(const std::string& blob, const char* media_type, std::int64_t max = INT64_MAX) {
    auto s = read_layer(blob, media_type, max);
    REQUIRE_FALSE(s.has_value());
    return s.error().what;
}

} // namespace

TEST_SUITE("layer") {
    TEST_CASE("tar names are normalised; escapes through .. are refused") {
        CHECK(normalize_tar_path("./usr//bin/./sh/") == "usr/bin/sh");
        CHECK(normalize_tar_path("/etc/passwd") == "etc/passwd");
        CHECK(normalize_tar_path("a/../b") == "b");
        CHECK(normalize_tar_path("./") == "");
        CHECK_FALSE(normalize_tar_path("../etc/passwd").has_value());
        CHECK_FALSE(normalize_tar_path("a/../../b").has_value());
    }

    TEST_CASE("plain, gzip (two members) and zstd (skippable + two frames) give the same tar") {
        const std::string tar = simple_tar();
        const auto plain = read_ok(tar, k_tar);
        const std::string two_members =
            testing::gzip_member(tar.substr(0, 700)) + testing::gzip_member(tar.substr(700));
        const auto gz = read_ok(two_members, k_gzip);
        const std::string frames = testing::zstd_skippable("meta") + testing::zstd_frame(tar.substr(0, 100))
                                   + testing::zstd_frame(tar.substr(100));
        const auto zs = read_ok(frames, k_zstd);
        for (const auto* s : {&plain, &gz, &zs}) {
            CHECK(paths(*s) == std::vector<std::string>{"bin/sh", "etc/os-release"});
            CHECK(s->uncompressed_bytes == static_cast<std::int64_t>(tar.size()));
            CHECK(s->diff_id == "sha256:" + sha256_hex(tar));
            CHECK(s->members == 2);
        }
        CHECK(gz.compressed_bytes == static_cast<std::int64_t>(two_members.size()));
        // os-release is a file the facts read: captured.
        REQUIRE(gz.entries[1].content >= 0);
        CHECK(gz.contents[static_cast<std::size_t>(gz.entries[1].content)] == "ID=alpine\n");
        CHECK(gz.entries[0].content == -1);
    }

    TEST_CASE("decoders fail loudly: magic, corruption, truncation, trailers, bombs") {
        const std::string tar = simple_tar();
        const std::string gz = testing::gzip_member(tar);
        CHECK(read_error(tar, k_gzip).find("not a gzip stream") != std::string::npos);
        CHECK(read_error(gz, k_zstd).find("not a zstd stream") != std::string::npos);
        CHECK(read_error(gz, k_tar).find("compressed but its media type says uncompressed") != std::string::npos);
        CHECK(read_error(gz.substr(0, gz.size() - 10), k_gzip).find("truncated") != std::string::npos);
        CHECK(read_error(gz + "junk", k_gzip).find("not a gzip header") != std::string::npos);
        std::string corrupt = gz;
        corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x55);
        CHECK(read_error(corrupt, k_gzip).find("gzip:") == 0);
        const std::string zs = testing::zstd_frame(tar);
        CHECK(read_error(zs.substr(0, zs.size() - 3), k_zstd).find("zstd:") == 0);
        CHECK(read_error(gz, k_gzip, 1000).find("--max-uncompressed") != std::string::npos);
        CHECK(read_error(tar.substr(0, 700), k_tar).find("tar stream is truncated") != std::string::npos);
        CHECK(read_error("", k_gzip).find("empty") != std::string::npos);
        auto unknown = read_layer(tar, "application/vnd.example.thing");
        REQUIRE_FALSE(unknown.has_value());
        CHECK(unknown.error().what.find("unsupported layer media type") == 0);
    }

    TEST_CASE("the LayerReader checks size and digest of the compressed bytes") {
        const std::string gz = testing::gzip_member(simple_tar());
        LayerReader wrong_digest(
            "sha256:" + std::string(64, '0'), k_gzip, static_cast<std::int64_t>(gz.size()), INT64_MAX);
        CHECK(wrong_digest.push(gz).empty());
        auto r = wrong_digest.finish();
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().what.find("digest mismatch") == 0);
        LayerReader short_body("sha256:" + sha256_hex(gz), k_gzip, static_cast<std::int64_t>(gz.size()) + 5, INT64_MAX);
        CHECK(short_body.push(gz).empty());
        CHECK(short_body.finish().error().what.find("truncated") != std::string::npos);
        LayerReader long_body("sha256:" + sha256_hex(gz), k_gzip, 10, INT64_MAX);
        CHECK(long_body.push(gz).find("larger than its descriptor") != std::string::npos);
    }

    TEST_CASE("tar headers: ustar prefix, GNU magic, base-256 size, signed and bad checksums") {
        TarMember prefixed{"file.txt", '0', "x"};
        prefixed.prefix = "very/long/dir";
        TarMember gnu{"gnu.txt", '0', "y"};
        gnu.gnu = true;
        gnu.gnu_tail = "12345670123"; // atime in a GNU header: never a prefix
        TarMember big{"b256", '0', std::string(600, 'z')};
        big.base256_size = true;
        TarMember signed_sum{"caf\xc3\xa9", '0', "s"};
        signed_sum.signed_checksum = true;
        const auto s = read_ok(
            tar_member(prefixed) + tar_member(gnu) + tar_member(big) + tar_member(signed_sum) + tar_end(), k_tar);
        CHECK(paths(s) == std::vector<std::string>{"very/long/dir/file.txt", "gnu.txt", "b256", "caf\xc3\xa9"});
        CHECK(s.entries[2].size == 600);
        CHECK(s.payload_bytes == 603);
        TarMember bad{"bad", '0', "b"};
        bad.bad_checksum = true;
        CHECK(read_error(tar_member(bad) + tar_end(), k_tar).find("checksum mismatch") != std::string::npos);
    }

    TEST_CASE("PAX and GNU records belong to the next member; globals are not members") {
        const std::string long_name = std::string(150, 'p') + "/name";
        const std::string pax =
            testing::pax_record("path", long_name) + testing::pax_record("linkpath", "target/of/link");
        const std::string tar = tar_member({"pax_global_header", 'g', testing::pax_record("comment", "hi")})
                                + tar_member({"PaxHeader/x", 'x', pax})
                                + tar_member({"short", '2', "", 0777, "short-target"})
                                + tar_member({"././@LongLink", 'L', std::string(120, 'g') + std::string(1, '\0')})
                                + tar_member({"truncated-name", '0', "gnu"})
                                + tar_member({"PaxHeader/y", 'x', testing::pax_record("size", "3")})
                                + testing::tar_header({"sized", '0'}, 0) + "abc" + std::string(509, '\0') + tar_end();
        const auto s = read_ok(tar, k_tar);
        REQUIRE(s.entries.size() == 3);
        CHECK(s.entries[0].path == long_name);
        CHECK(s.entries[0].type == EntryType::symlink);
        CHECK(s.entries[0].link == "target/of/link");
        CHECK(s.entries[1].path == std::string(120, 'g'));
        CHECK(s.entries[2].size == 3); // PAX size overrides the header's 0
        CHECK(s.members == 3);
        CHECK(read_error(tar_member({"PaxHeader/z", 'x', "garbage"}) + tar_member({"f"}) + tar_end(), k_tar).find("PAX")
              != std::string::npos);
    }

    TEST_CASE("end of archive: read on to EOF, digests cover the padding") {
        const std::string tar = simple_tar() + std::string(4096, '\0') + "trailing bytes some writers leave";
        const auto s = read_ok(tar, k_tar);
        CHECK(s.uncompressed_bytes == static_cast<std::int64_t>(tar.size()));
        CHECK(s.diff_id == "sha256:" + sha256_hex(tar));
        CHECK(s.entries.size() == 2);
    }

    TEST_CASE("whiteouts and traversal names never become entries") {
        const std::string tar = tar_member({"a/.wh..wh..opq"}) + tar_member({"a/.wh.gone"})
                                + tar_member({"../../etc/x"}) + tar_member({"./"}) + tar_member({"a/kept"}) + tar_end();
        const auto s = read_ok(tar, k_tar);
        CHECK(paths(s) == std::vector<std::string>{"a/kept"});
        CHECK(s.opaque_dirs == std::vector<std::string>{"a"});
        CHECK(s.whiteouts == std::vector<std::string>{"a/gone"});
        CHECK(s.suspicious == std::vector<std::string>{"../../etc/x"});
        CHECK(s.members == 5);
    }

    TEST_CASE("summary cache encoding round-trips; garbage is refused") {
        const auto s = read_ok(testing::gzip_member(simple_tar()), k_gzip);
        auto again = decode_summary(encode_summary(s));
        REQUIRE(again.has_value());
        CHECK(paths(*again) == paths(s));
        CHECK(again->contents == s.contents);
        CHECK(again->diff_id == s.diff_id);
        CHECK_FALSE(decode_summary("garbage").has_value());
        CHECK_FALSE(decode_summary("").has_value());
    }
}

namespace {

/// A layer summary from (path, type, link/content) triples, as the tar walker would emit them.
LayerSummary layer_of(const std::vector<TarMember>& members) {
    std::string tar;
    for (const auto& m : members) {
        tar += tar_member(m);
    }
    return read_ok(tar + tar_end(), k_tar);
}

} // namespace

TEST_SUITE("overlay") {
    TEST_CASE("OCI order: whiteouts and opaque markers act on lower layers wherever they stand") {
        const auto l0 = layer_of({{"a/one", '0', "1"}, {"a/sub/two", '0', "22"}, {"b/three", '0', "333"}, {"c", '5'}});
        // The opaque marker comes after a new entry of the same directory; the whiteout of b
        // removes its subtree; a whiteout of a missing path does nothing.
        const auto l1 = layer_of({{"a/new", '0', "4444"}, {"a/.wh..wh..opq"}, {".wh.b"}, {".wh.missing"}});
        ImageTree tree;
        tree.apply(l0, 0);
        tree.apply(l1, 1);
        CHECK(tree.find("a/new") != nullptr);
        CHECK(tree.find("a/one") == nullptr);
        CHECK(tree.find("a/sub") == nullptr);
        CHECK(tree.find("a") != nullptr);
        CHECK(tree.find("b") == nullptr);
        CHECK(tree.find("b/three") == nullptr);
        CHECK(tree.find("c") != nullptr);
        CHECK(tree.content_bytes() == 4);
    }

    TEST_CASE("a hard link keeps its content alive after the original name is whited out") {
        const auto l0 =
            layer_of({{"bin/busybox", '0', std::string(100, 'b'), 0755}, {"bin/ash", '1', "", 0755, "bin/busybox"}});
        const auto l1 = layer_of({{"bin/.wh.busybox"}});
        ImageTree tree;
        tree.apply(l0, 0);
        tree.apply(l1, 1);
        const Node* ash = tree.find("bin/ash");
        REQUIRE(ash != nullptr);
        CHECK(ash->type == EntryType::file);
        CHECK(ash->size == 100);
        CHECK(tree.content_bytes() == 100); // busybox's bytes live on as ash: not wasted
        CHECK(l0.payload_bytes == 100);     // the link itself carries no payload
    }

    TEST_CASE("replacing: dir over dir merges, a file over a dir removes the subtree") {
        const auto l0 = layer_of({{"d", '5', "", 0700}, {"d/x", '0', "x"}, {"e/y", '0', "y"}});
        const auto l1 = layer_of({{"d", '5', "", 0755}, {"e", '0', "now a file"}});
        ImageTree tree;
        tree.apply(l0, 0);
        tree.apply(l1, 1);
        CHECK(tree.find("d")->mode == 0755);
        CHECK(tree.find("d/x") != nullptr);
        CHECK(tree.find("e")->type == EntryType::file);
        CHECK(tree.find("e/y") == nullptr);
    }

    TEST_CASE("resolution inside the image: absolute links, .., directory links, loops, members below links") {
        const auto l0 = layer_of({{"usr/bin/vim.tiny", '0', "v", 0755},
                                  {"bin", '2', "", 0777, "usr/bin"},
                                  {"etc/alternatives/vi", '2', "", 0777, "/bin/vim.tiny"},
                                  {"usr/bin/vi", '2', "", 0777, "/etc/alternatives/vi"},
                                  {"up", '2', "", 0777, "../../../../usr"},
                                  {"loop1", '2', "", 0777, "loop2"},
                                  {"loop2", '2', "", 0777, "loop1"},
                                  {"lib", '2', "", 0777, "usr/lib"}});
        // A later member below a symlinked directory lands where the link points (containerd).
        const auto l1 = layer_of({{"lib/apk/db/installed", '0', "P:musl\n"}});
        ImageTree tree;
        tree.apply(l0, 0);
        tree.apply(l1, 1);
        CHECK(tree.resolve("/usr/bin/vi").path == "usr/bin/vim.tiny");
        CHECK(tree.resolve("/usr/bin/vi", false).path == "usr/bin/vi");
        CHECK(tree.resolve("/up/bin").path == "usr/bin");
        const auto loop = tree.resolve("/loop1");
        CHECK(loop.loop);
        CHECK(loop.node == nullptr);
        CHECK(tree.find("usr/lib/apk/db/installed") != nullptr);
        CHECK(tree.resolve("/lib/apk/db/installed").node != nullptr);
        CHECK(tree.resolve("/missing/x").node == nullptr);
    }
}

TEST_SUITE("facts") {
    TEST_CASE("tools by resolved bin dir, alternatives, dangling links, setuid, OS, dpkg, caches") {
        const std::string status =
            "Package: a\nStatus: install ok installed\n\nPackage: gone\nStatus: deinstall ok config-files\n\n"
            "Package: b\nStatus: install ok installed\n";
        const auto l0 =
            layer_of({{"usr/bin/bash", '0', "b", 0755},
                      {"bin", '2', "", 0777, "usr/bin"},
                      {"usr/bin/sh", '2', "", 0777, "bash"},
                      {"usr/bin/nano", '2', "", 0777, "/etc/alternatives/nano"},
                      {"usr/bin/passwd", '0', "p", 04755},
                      {"usr/bin/wall", '0', "w", 02755},
                      {"tmp", '5', "", 01777},
                      {"opt/apt", '0', "not in a bin dir", 0755},
                      {"usr/lib/os-release", '0', "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME='Debian 12'\n# x\n"},
                      {"etc/os-release", '2', "", 0777, "../usr/lib/os-release"},
                      {"var/lib/dpkg/status", '0', status},
                      {"var/lib/apt/lists/x_Packages", '0', "data"},
                      {"var/cache/apt/archives/partial", '5'}});
        ImageTree tree;
        tree.apply(l0, 0);
        audit::ConfigFacts config;
        const auto f = audit::compute_facts(tree, {&l0}, config);
        std::vector<std::string> shells;
        for (const auto& p : f.of(audit::ToolCategory::shell)) {
            shells.push_back(p.path);
        }
        CHECK(shells == std::vector<std::string>{"/usr/bin/bash", "/usr/bin/sh"});
        CHECK(f.of(audit::ToolCategory::editor).empty());
        CHECK(f.of(audit::ToolCategory::package_manager).empty());
        REQUIRE(f.setuid.size() == 1);
        CHECK(f.setuid[0].path == "/usr/bin/passwd");
        REQUIRE(f.setgid.size() == 1);
        CHECK(f.setgid[0].path == "/usr/bin/wall");
        REQUIRE(f.os.has_value());
        CHECK(f.os->id == "debian");
        CHECK(f.os->version_id == "12");
        CHECK(f.os->pretty_name == "Debian 12");
        CHECK(f.os->source == "/etc/os-release");
        REQUIRE(f.package_dbs.size() == 1);
        CHECK(f.package_dbs[0].packages == std::vector<std::string>{"a", "b"});
        REQUIRE(f.package_caches.size() == 1);
        CHECK(f.package_caches[0].path == "/var/lib/apt/lists");
        CHECK(audit::image_has_command(tree, config, "sh"));
        CHECK(audit::image_has_command(tree, config, "/bin/bash"));
        CHECK_FALSE(audit::image_has_command(tree, config, "nano")); // dangling
        CHECK_FALSE(audit::image_has_command(tree, config, "/usr/bin"));
    }

    TEST_CASE("config facts: PATH, volumes, history lined up with layers") {
        auto c = audit::parse_config_facts(
            R"({"created":"2025-01-01T00:00:00Z","config":{"User":"app","Env":["A=1","PATH=/x:/y"],"Volumes":{"/b":{},"/a":{}}},)"
            R"("rootfs":{"diff_ids":["sha256:1","sha256:2"]},"history":[{"created_by":"FROM"},{"created_by":"ENV","empty_layer":true},{"created_by":"RUN"}]})");
        REQUIRE(c.has_value());
        CHECK(c->path == "/x:/y");
        CHECK(c->volumes == std::vector<std::string>{"/a", "/b"});
        CHECK(c->history_lines_up);
        CHECK(c->layer_history == std::vector<std::string>{"FROM", "RUN"});
        CHECK_FALSE(audit::parse_config_facts("[1]").has_value());
        CHECK_FALSE(audit::parse_config_facts("{").has_value());
    }

    TEST_CASE("rpm names from a SQLite image; junk is not a database") {
        CHECK_FALSE(audit::rpm_sqlite_names("not sqlite").has_value());
        CHECK_FALSE(audit::rpm_sqlite_names(std::string("SQLite format 3\0", 16) + std::string(200, 'x')).has_value());
    }
}
