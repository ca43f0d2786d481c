// The audit pipeline through the fake transport: a registry with Basic auth whose blobs
// redirect to another origin (a CDN), a corrupted blob, the layer cache; and the rules on
// hand-made facts.
#include "fake_transport.hpp"
#include "tar_fixture.hpp"

#include <image_secure/audit/audit.hpp>
#include <image_secure/audit/report.hpp>
#include <image_secure/base/digest.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <unistd.h>

using namespace image_secure;
using image_secure::testing::FakeServer;
using image_secure::testing::reply;
using image_secure::testing::TarMember;

namespace {

std::string digest(const std::string& body) { return "sha256:" + sha256_hex(body); }

struct Registry {
    std::string tar = image_secure::testing::tar_member({"bin/sh", '0', "shell", 0755})
                      + image_secure::testing::tar_member({"etc/os-release", '0', "ID=alpine\n"})
                      + image_secure::testing::tar_end();
    std::string blob = image_secure::testing::gzip_member(tar);
    std::string served = blob; ///< what the CDN sends (a test may corrupt it)
    std::string config =
        R"({"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{},"rootfs":{"type":"layers","diff_ids":[")"
        + digest(tar) + R"("]},"history":[{"created_by":"ADD rootfs /"}]})";
    std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")"
        + digest(config) + R"(","size":)" + std::to_string(config.size())
        + R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" + digest(blob)
        + R"(","size":)" + std::to_string(blob.size()) + "}]}";
    std::shared_ptr<FakeServer> server = std::make_shared<FakeServer>();

    Registry() {
        server->handler = [this](const http::Request& r) -> http::Response {
            if (r.url.rfind("https://cdn.example/", 0) == 0) {
                return reply(200, served);
            }
            if (r.authorization.empty()) {
                return reply(401,
                             R"({"errors":[{"code":"UNAUTHORIZED","message":"no"}]})",
                             {"WWW-Authenticate: Basic realm=\"r\""});
            }
            if (r.url == "https://reg.example/v2/") {
                return reply(200, "{}");
            }
            if (r.url.find("/manifests/") != std::string::npos) {
                return reply(200,
                             r.method == "HEAD" ? std::string() : manifest,
                             {"Content-Type: application/vnd.oci.image.manifest.v1+json",
                              "Docker-Content-Digest: " + digest(manifest)});
            }
            if (r.url.find("/blobs/" + digest(config)) != std::string::npos) {
                return reply(200, config);
            }
            if (r.url.find("/blobs/" + digest(blob)) != std::string::npos) {
                return reply(307, {}, {"Location: https://cdn.example/blob?sig=abc"});
            }
            return reply(404, R"({"errors":[{"code":"BLOB_UNKNOWN","message":"unknown"}]})");
        };
    }

    std::unique_ptr<RegistryClient> client() const {
        RegistryOptions o;
        o.transport = image_secure::testing::fake_transport(server);
        o.sleep = [](double) {};
        o.credentials = [](const std::string&) -> Result<std::optional<Credential>> {
            Credential c;
            c.username = "reader";
            c.password = "s3cret";
            c.source = "test";
            return std::optional<Credential>(c);
        };
        return std::make_unique<RegistryClient>(std::move(o));
    }

    std::vector<audit::AuditTarget> targets() const { return {{"reg.example/app:1", {"reg.example", "app", "1"}, {}}}; }

    std::size_t cdn_requests() const { return server->matching("cdn.example").size(); }
};

} // namespace

TEST_SUITE("audit pipeline (fake transport)") {
    TEST_CASE("layers stream from a redirect without the registry's credentials") {
        Registry reg;
        auto client = reg.client();
        audit::AuditOptions options;
        auto results = audit::run_audit(*client, reg.targets(), options);
        REQUIRE(results.size() == 1);
        REQUIRE_MESSAGE(results[0].image.has_value(), (results[0].error ? results[0].error->what : ""));
        const auto& facts = *results[0].image->facts;
        REQUIRE(facts.of(audit::ToolCategory::shell).size() == 1);
        CHECK(facts.of(audit::ToolCategory::shell)[0].path == "/bin/sh");
        CHECK(facts.os->id == "alpine");
        CHECK(facts.layers[0].created_by == "ADD rootfs /");
        const auto cdn = reg.server->matching("cdn.example");
        REQUIRE(cdn.size() == 1);
        CHECK(cdn[0]->authorization.empty());
        CHECK_FALSE(reg.server->matching("/blobs/").empty());
        for (const auto* r : reg.server->matching("reg.example/v2/app")) {
            CHECK_FALSE(r->authorization.empty());
        }
        // created at the epoch (a reproducible build): not stale; no USER: root.
        std::vector<std::string> rules;
        for (const auto& f : results[0].image->findings) {
            rules.push_back(f.rule);
        }
        CHECK(rules == std::vector<std::string>{"IS101", "IS114"});
    }

    TEST_CASE("a blob whose bytes do not match its digest is an error, never a result") {
        Registry reg;
        reg.served[reg.served.size() / 2] = static_cast<char>(reg.served[reg.served.size() / 2] ^ 1);
        auto client = reg.client();
        auto results = audit::run_audit(*client, reg.targets(), audit::AuditOptions{});
        REQUIRE(results.size() == 1);
        CHECK_FALSE(results[0].image.has_value());
        REQUIRE(results[0].error.has_value());
        CHECK(results[0].error->kind == ErrorKind::network);
        CHECK(results[0].error->what.find("reg.example/app:1: layer 0 (sha256:") == 0);
    }

    TEST_CASE("the layer cache: a warm run fetches no blob; a corrupt entry is fetched again") {
        const auto dir = std::filesystem::temp_directory_path() / ("audit-cache-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        Registry reg;
        audit::AuditOptions options;
        options.cache_dir = dir.string();
        audit::AuditStats cold;
        REQUIRE(audit::run_audit(*reg.client(), reg.targets(), options, &cold)[0].image.has_value());
        CHECK(cold.layers_fetched == 1);
        CHECK(reg.cdn_requests() == 1);
        std::size_t files = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir)) {
            ++files;
            const auto mode = e.status().permissions() & std::filesystem::perms::all;
            const auto want = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
            CHECK(mode == want);
        }
        CHECK(files == 1);
        audit::AuditStats warm;
        REQUIRE(audit::run_audit(*reg.client(), reg.targets(), options, &warm)[0].image.has_value());
        CHECK(warm.layers_cached == 1);
        CHECK(reg.cdn_requests() == 1);
        for (const auto& e : std::filesystem::directory_iterator(dir)) {
            std::filesystem::resize_file(e.path(), 7);
        }
        audit::AuditStats again;
        REQUIRE(audit::run_audit(*reg.client(), reg.targets(), options, &again)[0].image.has_value());
        CHECK(again.layers_fetched == 1);
        CHECK(reg.cdn_requests() == 2);
        std::filesystem::remove_all(dir);
    }
}

TEST_SUITE("audit rules") {
    TEST_CASE("fail-on categories") {
        CHECK(audit::parse_fail_on({"shell", "age", "none"}).has_value());
        CHECK_FALSE(audit::parse_fail_on({"shells"}).has_value());
        CHECK(audit::rule_category("IS101") == "shell");
        CHECK(audit::rule_category("IS109") == "size");
        CHECK(audit::rule_category("IS001").empty());
    }

    TEST_CASE("rules on facts: allow-lists, age, root, volumes, commands") {
        audit::AuditedImage img;
        img.ref = "r.example/debug:1";
        img.config.created = "2020-01-01T00:00:00Z";
        img.config.user = "0:0";
        img.config.volumes = {"/data", "/cache"};
        audit::ImageFacts facts;
        facts.tools[0] = {{"/busybox/sh", 0}, {"/bin/bash", 1}};
        img.facts = facts;
        audit::ManifestUse use;
        use.file = "d.yaml";
        use.line = 7;
        use.column = 18;
        use.container = "c";
        use.mount_paths = {"/data/"};
        use.non_root = true;
        img.uses = {use};
        Policy policy;
        policy.audit.allow.push_back({"*:debug*", {"/busybox/*"}, {"IS101"}});
        const std::int64_t now = 1767225600; // 2026-01-01
        const auto findings = audit::evaluate(img, nullptr, policy, now);
        std::map<std::string, const audit::AuditFinding*> by;
        for (const auto& f : findings) {
            by[f.rule] = &f;
        }
        REQUIRE(by.count("IS101") == 1);
        CHECK(by["IS101"]->paths == std::vector<std::string>{"/bin/bash"}); // /busybox/sh allowed
        CHECK(by["IS101"]->layer == 1);
        REQUIRE(by["IS101"]->locations.size() == 1);
        CHECK(by["IS101"]->locations[0].line == 7);
        REQUIRE(by.count("IS113") == 1);
        CHECK(by["IS113"]->message.find("2192 days ago") != std::string::npos);
        REQUIRE(by.count("IS112") == 1);
        CHECK(by["IS112"]->paths == std::vector<std::string>{"/cache"});
        CHECK(by.count("IS114") == 0); // the pod runs as non-root
        use.non_root = false;
        use.ignore = "IS114: the vendor image needs root";
        img.uses = {use};
        const auto again = audit::evaluate(img, nullptr, policy, now);
        const auto root = std::find_if(again.begin(), again.end(), [](const auto& f) { return f.rule == "IS114"; });
        REQUIRE(root != again.end());
        CHECK(root->suppressed);
        CHECK(root->justification == "the vendor image needs root");
        policy.enabled["IS113"] = false;
        const auto off = audit::evaluate(img, nullptr, policy, now);
        CHECK(std::none_of(off.begin(), off.end(), [](const auto& f) { return f.rule == "IS113"; }));
    }
}

TEST_SUITE("validate --online") {
    TEST_CASE("IS010 gives way where layers were read, IS011 where the config was") {
        const auto finding = [](const char* rule, std::size_t line) {
            Finding f;
            f.file = "a.yaml";
            f.line = line;
            f.column = 11;
            f.rule = rule;
            return f;
        };
        std::vector<Finding> findings = {finding("IS010", 5),
                                         finding("IS011", 5),
                                         finding("IS010", 9),
                                         finding("IS011", 9),
                                         finding("IS004", 5),
                                         finding("IS010", 20)};
        audit::ManifestUse at5;
        at5.file = "a.yaml";
        at5.line = 5;
        at5.column = 18;
        audit::ManifestUse at9 = at5;
        at9.line = 9;
        audit::AuditedImage read; // layers read
        read.facts = audit::ImageFacts{};
        read.uses = {at5};
        audit::AuditedImage metadata; // --metadata-only: the config only
        metadata.uses = {at9};
        audit::replace_name_based(findings, {read, metadata});
        std::vector<std::pair<std::string, std::size_t>> left;
        for (const auto& f : findings) {
            left.emplace_back(f.rule, f.line);
        }
        CHECK(left == std::vector<std::pair<std::string, std::size_t>>{{"IS010", 9}, {"IS004", 5}, {"IS010", 20}});
    }
}
