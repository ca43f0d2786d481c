// The one image walk (registry resolve, inspect, mirror, rewrite --pin) through the fake
// transport: which requests each depth makes, and what it returns for indexes, single
// images, missing platforms and failures.
#include "fake_transport.hpp"

#include <image_secure/base/digest.hpp>
#include <image_secure/registry/image_walk.hpp>

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace image_secure;
using image_secure::testing::FakeServer;
using image_secure::testing::reply;

namespace {

std::string digest(const std::string& body) { return "sha256:" + sha256_hex(body); }

/// A registry holding one two-platform index at :multi and one single image at :single.
struct Repo {
    std::map<std::string, std::pair<std::string, std::string>> objects; ///< path suffix -> (media type, body)
    std::string amd64_config = R"({"architecture":"amd64","os":"linux","created":"2026-01-01T00:00:00Z"})";
    std::string arm64_config = R"({"architecture":"arm64","os":"linux","variant":"v8"})";
    std::string amd64, arm64, index;

    Repo() {
        const auto image = [](const std::string& config) {
            return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")"
                   + digest(config) + R"(","size":)" + std::to_string(config.size())
                   + R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:)"
                   + std::string(64, '1') + R"(","size":1000}]})";
        };
        amd64 = image(amd64_config);
        arm64 = image(arm64_config);
        index = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
                R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")"
                + digest(amd64) + R"(","size":)" + std::to_string(amd64.size())
                + R"(,"platform":{"architecture":"amd64","os":"linux"}},)"
                  R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")"
                + digest(arm64) + R"(","size":)" + std::to_string(arm64.size())
                + R"(,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]})";
        const std::string m = "application/vnd.oci.image.manifest.v1+json";
        objects["/manifests/multi"] = {"application/vnd.oci.image.index.v1+json", index};
        objects["/manifests/single"] = {m, amd64};
        objects["/manifests/" + digest(amd64)] = {m, amd64};
        objects["/manifests/" + digest(arm64)] = {m, arm64};
        objects["/blobs/" + digest(amd64_config)] = {"application/octet-stream", amd64_config};
        objects["/blobs/" + digest(arm64_config)] = {"application/octet-stream", arm64_config};
    }

    http::Response answer(const http::Request& r) const {
        if (r.url == "https://reg.example/v2/") {
            return reply(200, "{}");
        }
        for (const auto& [suffix, object] : objects) {
            if (r.url.size() >= suffix.size()
                && r.url.compare(r.url.size() - suffix.size(), suffix.size(), suffix) == 0) {
                auto resp = reply(200,
                                  r.method == "HEAD" ? std::string() : object.second,
                                  {"Content-Type: " + object.first, "Docker-Content-Digest: " + digest(object.second)});
                return resp;
            }
        }
        return reply(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]})");
    }
};

struct Walk {
    Repo repo;
    std::shared_ptr<FakeServer> server = std::make_shared<FakeServer>();
    std::unique_ptr<RegistryClient> client;

    Walk() {
        server->handler = [this](const http::Request& r) { return repo.answer(r); };
        RegistryOptions o;
        o.transport = image_secure::testing::fake_transport(server);
        o.sleep = [](double) {};
        client = std::make_unique<RegistryClient>(std::move(o));
    }

    std::size_t count(const std::string& method, const std::string& part) const {
        std::size_t n = 0;
        for (const auto& r : server->seen) {
            n += r.method == method && r.url.find(part) != std::string::npos ? 1U : 0U;
        }
        return n;
    }
};

} // namespace

TEST_SUITE("image walk (fake transport)") {
    TEST_CASE("head: HEAD only, digest of what the tag points at") {
        Walk w;
        auto got = walk_images(*w.client, {{"reg.example", "app", "multi"}}, WalkOptions{});
        REQUIRE(got[0]);
        CHECK(got[0]->head.digest == digest(w.repo.index));
        CHECK(got[0]->head.media_type == "application/vnd.oci.image.index.v1+json");
        CHECK_FALSE(got[0]->top);
        CHECK(w.count("GET", "/manifests/") == 0);
        CHECK(w.count("HEAD", "/manifests/") == 1);
    }

    TEST_CASE("all + configs: the index, every child, every config (inspect)") {
        Walk w;
        WalkOptions o;
        o.depth = WalkOptions::Depth::all;
        o.configs = true;
        auto got = walk_images(*w.client, {{"reg.example", "app", "multi"}, {"reg.example", "app", "single"}}, o);
        REQUIRE(got[0]);
        REQUIRE(got[0]->children.size() == 2);
        CHECK(got[0]->children[0].platform == "linux/amd64");
        CHECK(got[0]->children[1].platform == "linux/arm64/v8");
        CHECK(got[0]->children[1].manifest.digest == digest(w.repo.arm64));
        CHECK(got[0]->children[0].config.value_or("") == w.repo.amd64_config);
        CHECK(got[0]->children[1].config.value_or("") == w.repo.arm64_config);
        REQUIRE(got[1]);
        CHECK(got[1]->children.empty());
        CHECK(got[1]->top_config.value_or("") == w.repo.amd64_config);
        CHECK(w.count("GET", "/blobs/") == 3);
    }

    TEST_CASE("platform: the chosen child only; a missing platform is flagged, not fetched") {
        Walk w;
        WalkOptions o;
        o.depth = WalkOptions::Depth::platform;
        o.platform = oci::Platform{"linux", "arm64", "", ""}; // arm64 without a variant matches v8
        auto got = walk_images(*w.client, {{"reg.example", "app", "multi"}}, o);
        REQUIRE(got[0]);
        REQUIRE(got[0]->chosen);
        CHECK(got[0]->chosen->digest == digest(w.repo.arm64));
        REQUIRE(got[0]->children.size() == 1);
        CHECK(got[0]->children[0].manifest.digest == digest(w.repo.arm64));
        CHECK(w.count("GET", digest(w.repo.amd64)) == 0);

        Walk s390x;
        o.platform = oci::Platform{"linux", "s390x", "", ""};
        auto missing = walk_images(*s390x.client, {{"reg.example", "app", "multi"}}, o);
        REQUIRE(missing[0]);
        CHECK(missing[0]->platform_missing);
        CHECK(missing[0]->children.empty());
    }

    TEST_CASE("platform on a single image: its config decides (resolve --platform)") {
        Walk w;
        WalkOptions o;
        o.depth = WalkOptions::Depth::platform;
        o.platform = oci::Platform{"linux", "arm64", "", ""};
        o.fetch_chosen = false;
        o.check_single_platform = true;
        auto got = walk_images(*w.client, {{"reg.example", "app", "single"}, {"reg.example", "app", "multi"}}, o);
        REQUIRE(got[0]);
        CHECK(got[0]->platform_mismatch);
        CHECK(got[0]->platform == "linux/amd64");
        REQUIRE(got[1]);
        CHECK_FALSE(got[1]->platform_mismatch);
        CHECK(got[1]->chosen->digest == digest(w.repo.arm64));
        CHECK(w.count("GET", digest(w.repo.arm64)) == 0); // descriptor only
    }

    TEST_CASE("a missing reference fails alone, with the registry's error") {
        Walk w;
        WalkOptions o;
        o.depth = WalkOptions::Depth::all;
        auto got = walk_images(*w.client, {{"reg.example", "app", "nope"}, {"reg.example", "app", "single"}}, o);
        REQUIRE_FALSE(got[0]);
        CHECK(got[0].error().kind == ErrorKind::not_found);
        CHECK(got[0].error().what.find("MANIFEST_UNKNOWN") != std::string::npos);
        CHECK(got[1]);
    }
}
