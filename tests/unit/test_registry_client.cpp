// The registry client through the fake transport, no registry running: challenge -> token
// -> request, retries with Retry-After, 401 re-scoping, token refusals, credentials kept to
// their origin on redirects, secrets scrubbed from what a server echoes. Expected values come
// from the distribution spec (spec/registry.md §2-§4) and RFC 9110, not from the client.
#include "fake_transport.hpp"

#include <image_secure/http/redirect.hpp>
#include <image_secure/registry/registry.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace image_secure;
using image_secure::testing::FakeServer;
using image_secure::testing::header_of;
using image_secure::testing::reply;

namespace {

constexpr const char* k_manifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)"
    R"(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":2},"layers":[]})";

struct Harness {
    std::shared_ptr<FakeServer> server = std::make_shared<FakeServer>();
    std::vector<double> sleeps;
    std::int64_t now = 1'700'000'000;

    RegistryOptions options(std::optional<Credential> credential = std::nullopt) {
        RegistryOptions o;
        o.transport = image_secure::testing::fake_transport(server);
        o.clock = [this] { return now; };
        o.sleep = [this](double s) { sleeps.push_back(s); };
        o.credentials = [credential](const std::string&) -> Result<std::optional<Credential>> { return credential; };
        return o;
    }
};

Credential user(const std::string& name, const std::string& password) {
    Credential c;
    c.username = name;
    c.password = password;
    return c;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// A registry behind a token server: /v2/ asks for a Bearer token of realm auth.example.
http::Response bearer_registry(const http::Request& r, const std::string& token) {
    if (has(r.url, "https://auth.example/token")) {
        return reply(200, R"({"token":")" + token + R"(","expires_in":300})");
    }
    if (r.authorization != "Bearer " + token) {
        return reply(401,
                     R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                     {R"(WWW-Authenticate: Bearer realm="https://auth.example/token",service="reg.example")"});
    }
    return reply(200, k_manifest, {"Content-Type: application/vnd.oci.image.manifest.v1+json"});
}

} // namespace

TEST_SUITE("registry client (fake transport)") {
    TEST_CASE("challenge -> token with the credentials -> request with the token; the token is reused") {
        Harness h;
        h.server->handler = [](const http::Request& r) { return bearer_registry(r, "T1"); };
        RegistryClient client(h.options(user("alice", "s3cret")));
        auto got = client.get_manifests({{"reg.example", "team/app", "1.0"}});
        REQUIRE(got[0]);
        CHECK(got[0]->parsed.kind == oci::Manifest::Kind::image);
        const auto tokens = h.server->matching("auth.example/token");
        REQUIRE(tokens.size() == 1);
        // spec/registry.md §3: GET realm?service=…&scope=repository:<name>:pull, Basic auth.
        CHECK(has(tokens[0]->url, "service=reg.example"));
        CHECK(has(tokens[0]->url, "scope=repository%3Ateam%2Fapp%3Apull"));
        CHECK(tokens[0]->authorization == "Basic YWxpY2U6czNjcmV0"); // base64("alice:s3cret")
        const auto manifests = h.server->matching("/v2/team/app/manifests/1.0");
        REQUIRE(manifests.size() == 1);
        CHECK(manifests[0]->authorization == "Bearer T1");
        CHECK(has(header_of(*manifests[0], "Accept:"), "application/vnd.oci.image.index.v1+json"));

        auto again = client.get_manifests({{"reg.example", "team/app", "1.0"}});
        REQUIRE(again[0]);
        CHECK(client.token_requests() == 1);
        CHECK(h.server->matching("/v2/").size() == 3); // one probe, two manifest GETs
    }

    TEST_CASE("503 with Retry-After: waits at least what the server asks, then succeeds") {
        Harness h;
        int failures = 0;
        h.server->handler = [&failures](const http::Request& r) {
            if (has(r.url, "/manifests/") && failures < 1) {
                ++failures;
                return reply(503, "busy", {"Retry-After: 7"});
            }
            return reply(200,
                         has(r.url, "/manifests/") ? k_manifest : "{}",
                         {"Content-Type: application/vnd.oci.image.manifest.v1+json"});
        };
        RegistryClient client(h.options());
        auto got = client.get_manifests({{"reg.example", "team/app", "1.0"}});
        REQUIRE(got[0]);
        CHECK(h.server->matching("/manifests/").size() == 2);
        REQUIRE(h.sleeps.size() == 1);
        CHECK(h.sleeps[0] >= 7.0);
        CHECK(h.sleeps[0] <= 7.7); // jitter is at most a tenth
    }

    TEST_CASE("connection errors are retried up to max_attempts, then reported") {
        Harness h;
        h.server->handler = [](const http::Request& r) {
            if (has(r.url, "/manifests/")) {
                http::Response down;
                down.error = "Connection reset by peer";
                return down;
            }
            return reply(200, "{}");
        };
        auto options = h.options();
        options.max_attempts = 3;
        RegistryClient client(options);
        auto got = client.get_manifests({{"reg.example", "team/app", "1.0"}});
        REQUIRE_FALSE(got[0]);
        CHECK(got[0].error().kind == ErrorKind::network);
        CHECK(has(got[0].error().what, "Connection reset by peer"));
        CHECK(h.server->matching("/manifests/").size() == 3);
        CHECK(h.sleeps.size() == 2);
    }

    TEST_CASE("401 insufficient_scope re-scopes once: a token with the scopes the challenge names") {
        Harness h;
        h.server->handler = [](const http::Request& r) {
            if (has(r.url, "auth.example/token")) {
                const bool push = has(r.url, "pull%2Cpush") || has(r.url, "push%2Cpull");
                return reply(200, std::string(R"({"token":")") + (push ? "PUSH" : "PULL") + R"("})");
            }
            if (r.url == "https://reg.example/v2/") {
                return reply(
                    401, "", {R"(WWW-Authenticate: Bearer realm="https://auth.example/token",service="reg.example")"});
            }
            if (r.authorization == "Bearer PUSH") {
                return reply(202, "", {"Location: /v2/team/app/blobs/uploads/1"});
            }
            return reply(401,
                         "",
                         {R"(WWW-Authenticate: Bearer realm="https://auth.example/token",service="reg.example",)"
                          R"(scope="repository:team/app:pull,push",error="insufficient_scope")"});
        };
        RegistryClient client(h.options(user("alice", "pw")));
        RegistryCall call;
        call.host = "reg.example";
        call.method = "POST";
        call.path = "/v2/team/app/blobs/uploads/";
        call.scopes.add(repository_scope("team/app", "pull"));
        const auto resp = client.send_one(call);
        CHECK(resp.status == 202);
        const auto tokens = h.server->matching("auth.example/token");
        REQUIRE(tokens.size() == 2);
        CHECK(has(tokens[1]->url, "scope=repository%3Ateam%2Fapp%3Apull%2Cpush"));
        CHECK(h.server->matching("/blobs/uploads/").size() == 2); // refused once, then sent again
    }

    TEST_CASE("401 invalid_token drops the cached token and fetches a new one") {
        Harness h;
        int issued = 0;
        h.server->handler = [&issued](const http::Request& r) {
            if (has(r.url, "auth.example/token")) {
                ++issued;
                return reply(200, R"({"token":"T)" + std::to_string(issued) + R"("})");
            }
            if (r.authorization == "Bearer T2") {
                return reply(200, k_manifest, {"Content-Type: application/vnd.oci.image.manifest.v1+json"});
            }
            return reply(401,
                         "",
                         {R"(WWW-Authenticate: Bearer realm="https://auth.example/token",service="s",)"
                          R"(error="invalid_token")"});
        };
        RegistryClient client(h.options());
        auto got = client.get_manifests({{"reg.example", "team/app", "1.0"}});
        REQUIRE(got[0]);
        CHECK(issued == 2);
    }

    TEST_CASE("a token server that refuses the credentials: denied, with its message, scrubbed") {
        Harness h;
        h.server->handler = [](const http::Request& r) {
            if (has(r.url, "auth.example/token")) {
                // A hostile token server echoing what it got.
                return reply(401, R"({"errors":[{"code":"DENIED","message":"bad login )" + r.authorization + R"("}]})");
            }
            return reply(401, "", {R"(WWW-Authenticate: Bearer realm="https://auth.example/token",service="s")"});
        };
        RegistryClient client(h.options(user("alice", "s3cret")));
        auto got = client.get_manifests({{"reg.example", "team/app", "1.0"}});
        REQUIRE_FALSE(got[0]);
        CHECK(got[0].error().kind == ErrorKind::denied);
        CHECK(has(got[0].error().what, "rejected the credentials"));
        CHECK_FALSE(has(got[0].error().what, "YWxpY2U6czNjcmV0")); // the Basic value it echoed
        CHECK(has(got[0].error().what, "[redacted]"));
        CHECK(h.server->matching("/manifests/").empty()); // nothing sent without a token
    }

    TEST_CASE("a plain-HTTP token realm gets no credentials") {
        Harness h;
        h.server->handler = [](const http::Request& r) {
            if (has(r.url, "http://auth.example")) {
                return reply(200, R"({"token":"T"})");
            }
            return reply(401, "", {R"(WWW-Authenticate: Bearer realm="http://auth.example/token",service="s")"});
        };
        RegistryClient client(h.options(user("alice", "s3cret")));
        auto got = client.get_manifests({{"reg.example", "team/app", "1.0"}});
        REQUIRE_FALSE(got[0]);
        CHECK(has(got[0].error().what, "plain HTTP"));
        CHECK(h.server->matching("auth.example").empty());
    }

    TEST_CASE("Basic registries get Basic on their own origin only, not on an upload URL elsewhere") {
        Harness h;
        h.server->handler = [](const http::Request& r) {
            if (r.url == "https://reg.example/v2/") {
                return reply(401, "", {R"(WWW-Authenticate: Basic realm="reg")"});
            }
            return reply(201, "");
        };
        RegistryClient client(h.options(user("alice", "pw")));
        RegistryCall same;
        same.host = "reg.example";
        same.method = "PUT";
        same.path = "/v2/team/app/blobs/uploads/1?digest=sha256:x";
        RegistryCall elsewhere = same;
        elsewhere.path = "https://storage.example/upload/1?sig=abc";
        const auto r1 = client.send_one(same);
        const auto r2 = client.send_one(elsewhere);
        CHECK(r1.status == 201);
        CHECK(r2.status == 201);
        CHECK(h.server->matching("reg.example/v2/team")[0]->authorization == "Basic YWxpY2U6cHc=");
        CHECK(h.server->matching("storage.example")[0]->authorization.empty());
    }

    TEST_CASE("redirects: Authorization stays on its origin; no HTTPS -> HTTP unless declared") {
        Harness h;
        h.server->handler = [](const http::Request& r) {
            if (has(r.url, "/blobs/")) {
                return reply(307, "", {"Location: https://cdn.example/blob?sig=1"});
            }
            if (has(r.url, "cdn.example")) {
                return reply(200, "{}");
            }
            return reply(401, "", {R"(WWW-Authenticate: Basic realm="reg")"});
        };
        RegistryClient client(h.options(user("alice", "pw")));
        auto blobs = client.get_blobs(
            {{"reg.example", "team/app", "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}});
        REQUIRE(blobs[0]); // sha256("{}")
        CHECK(h.server->matching("reg.example/v2/team/app/blobs/")[0]->authorization == "Basic YWxpY2U6cHc=");
        REQUIRE(h.server->matching("cdn.example").size() == 1);
        CHECK(h.server->matching("cdn.example")[0]->authorization.empty());

        // The redirect step itself (RFC 9110 §15.4): 303 becomes a body-less GET; same origin
        // keeps Authorization; a downgrade is refused unless the target was declared plain.
        http::Request post;
        post.method = "POST";
        post.url = "https://reg.example/v2/x";
        post.body = "data";
        post.authorization = "Bearer T";
        std::string why;
        CHECK(http::apply_redirect(post, reply(303, "", {"Location: /v2/y"}), {}, why) == http::RedirectStep::follow);
        CHECK(post.method == "GET");
        CHECK(post.body.empty());
        CHECK(post.url == "https://reg.example/v2/y");
        CHECK(post.authorization == "Bearer T");
        http::Request get = post;
        CHECK(http::apply_redirect(get, reply(302, "", {"Location: http://reg.example/v2/z"}), {}, why)
              == http::RedirectStep::refused);
        CHECK(has(why, "plain HTTP"));
        const auto declared = [](const std::string& url) { return url.rfind("http://reg.example", 0) == 0; };
        CHECK(http::apply_redirect(get, reply(302, "", {"Location: http://reg.example/v2/z"}), declared, why)
              == http::RedirectStep::follow);
        CHECK(get.authorization.empty()); // another scheme and port: another origin
        http::Request plain = post;
        CHECK(http::apply_redirect(plain, reply(200, ""), {}, why) == http::RedirectStep::none);
        CHECK(http::apply_redirect(plain, reply(301, ""), {}, why) == http::RedirectStep::none); // no Location
    }

    TEST_CASE("check_pull: 200 may pull, 404 missing, 403 no access, with the registry's words") {
        Harness h;
        h.server->handler = [](const http::Request& r) {
            if (has(r.url, "/v2/team/app/tags/list?n=1")) {
                return reply(200, R"({"name":"team/app","tags":["1"]})");
            }
            if (has(r.url, "/v2/team/gone/")) {
                return reply(404, R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]})");
            }
            if (has(r.url, "/v2/team/secret/")) {
                return reply(403, R"({"errors":[{"code":"DENIED","message":"requested access is denied"}]})");
            }
            return reply(200, "{}");
        };
        RegistryClient client(h.options());
        auto ok = client.check_pull("reg.example", "team/app");
        REQUIRE(ok);
        CHECK(ok->verdict == PullCheck::Verdict::may_pull);
        auto gone = client.check_pull("reg.example", "team/gone");
        REQUIRE(gone);
        CHECK(gone->verdict == PullCheck::Verdict::missing);
        CHECK(gone->detail == "NAME_UNKNOWN: repository name not known");
        auto secret = client.check_pull("reg.example", "team/secret");
        REQUIRE(secret);
        CHECK(secret->verdict == PullCheck::Verdict::no_access);
        CHECK(secret->status == 403);
    }

    TEST_CASE("a re-scoped 401 does not use up a transient retry: max_attempts 5xx after it") {
        Harness h;
        int manifests = 0;
        h.server->handler = [&manifests](const http::Request& r) {
            if (has(r.url, "auth.example/token")) {
                return reply(200, R"({"token":"T"})");
            }
            if (r.url == "https://reg.example/v2/") {
                return reply(401, "", {R"(WWW-Authenticate: Bearer realm="https://auth.example/token",service="s")"});
            }
            if (++manifests == 1) {
                return reply(401,
                             "",
                             {R"(WWW-Authenticate: Bearer realm="https://auth.example/token",service="s",)"
                              R"(scope="repository:team/app:pull",error="insufficient_scope")"});
            }
            return reply(503, "busy");
        };
        auto options = h.options();
        options.max_attempts = 3;
        RegistryClient client(options);
        auto got = client.get_manifests({{"reg.example", "team/app", "1.0"}});
        REQUIRE_FALSE(got[0]);
        CHECK(manifests == 4); // the 401, then three 503s
    }
}
