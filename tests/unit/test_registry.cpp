// Registry client pieces: pure parsing (challenges, scopes, tokens, docker config,
// manifests, Retry-After, streaming pipe) and, when the project's testbed is running
// (IMAGE_SECURE_TESTBED = its testbed.env), the token cache against the real registry
// with a clock the test moves.
#include <image_secure/http/transport.hpp>
#include <image_secure/http/url.hpp>
#include <image_secure/registry/credentials.hpp>
#include <image_secure/registry/oci.hpp>
#include <image_secure/registry/registry.hpp>
#include <image_secure/registry/registry_auth.hpp>
#include <image_secure/secret/secret.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

using namespace image_secure;

TEST_SUITE("registry") {
    TEST_CASE("WWW-Authenticate: bearer with quoted commas and several scopes (spec/registry.md §2, §0.4)") {
        const auto c = parse_challenges(
            R"(Bearer realm="https://127.0.0.1:5103/token",service="testbed-registry",scope="repository:proof/upload:pull,push repository:library/multi:pull",error="insufficient_scope")");
        REQUIRE(c.size() == 1);
        CHECK(c[0].scheme == "bearer");
        CHECK(c[0].param("realm") == "https://127.0.0.1:5103/token");
        CHECK(c[0].param("service") == "testbed-registry");
        CHECK(c[0].param("error") == "insufficient_scope");
        const auto scopes = parse_scopes(c[0].param("scope"));
        REQUIRE(scopes.size() == 2);
        CHECK(scopes[0].name == "proof/upload");
        CHECK(scopes[0].actions == std::set<std::string>{"pull", "push"});
        CHECK(scopes[1].str() == "repository:library/multi:pull");
    }

    TEST_CASE("WWW-Authenticate: several challenges in one field, any case, escapes, unquoted values") {
        const auto c = parse_challenges(R"(BEARER Realm=https://a/token, service="s\"x", Basic realm="b")");
        REQUIRE(c.size() == 2);
        CHECK(c[0].scheme == "bearer");
        CHECK(c[0].param("realm") == "https://a/token");
        CHECK(c[0].param("service") == "s\"x");
        CHECK(c[1].scheme == "basic");
        CHECK(c[1].param("realm") == "b");
        CHECK(parse_challenges("").empty());
        CHECK(parse_challenges("Basic").size() == 1);
    }

    TEST_CASE("scopes: the name may contain ':' (host:port), actions split at the last ':'") {
        Scope s;
        REQUIRE(parse_scope("repository:localhost:5000/foo:pull,push", s));
        CHECK(s.type == "repository");
        CHECK(s.name == "localhost:5000/foo");
        CHECK(s.actions.size() == 2);
        REQUIRE(parse_scope("repository(plugin):a/b:pull", s));
        CHECK(s.type == "repository");
        CHECK_FALSE(parse_scope("nonsense", s));
        CHECK_FALSE(parse_scope("repository:name", s));
    }

    TEST_CASE("ScopeSet merges actions per repository and compares as sets") {
        ScopeSet a;
        a.add(repository_scope("x", "push"));
        a.add(repository_scope("x", "pull"));
        a.add(repository_scope("a", "pull"));
        CHECK(a.key() == "repository:a:pull repository:x:pull,push");
        ScopeSet b;
        b.add(repository_scope("x", "pull"));
        CHECK(a.covers(b));
        CHECK_FALSE(b.covers(a));
        CHECK(a.covers(ScopeSet{}));
    }

    TEST_CASE("token responses: token or access_token, expires_in default 60 (spec/registry.md §3)") {
        auto g = parse_token_response(R"({"access_token":"abc","refresh_token":"r"})");
        REQUIRE(g);
        CHECK(g->token == "abc");
        CHECK(g->refresh_token == "r");
        CHECK(g->expires_in == 60);
        g = parse_token_response(R"({"token":"t","expires_in":5})");
        REQUIRE(g);
        CHECK(g->expires_in == 5);
        CHECK_FALSE(parse_token_response(R"({"expires_in":5})"));
        CHECK_FALSE(parse_token_response("<html>"));
    }

    TEST_CASE("docker config: auth, username/password, tokens, helpers; keys normalised") {
        const auto cfg = parse_docker_config(R"({
          "auths": {
            "https://index.docker.io/v1/": {"auth": "dTpwOng="},
            "https://r.example.com:5000/v2/": {"username": "ci", "password": "pw"},
            "t.example.com": {"identitytoken": "refresh"}
          },
          "credHelpers": {"gcr.io": "gcloud"},
          "credsStore": "desktop"
        })",
                                             "config.json");
        REQUIRE(cfg);
        CHECK(cfg->auths.at("docker.io").username == "u");
        CHECK(cfg->auths.at("docker.io").password == "p:x"); // split at the first ':'
        CHECK(cfg->auths.at("r.example.com:5000").username == "ci");
        CHECK(cfg->auths.at("t.example.com").identity_token == "refresh");
        CHECK(cfg->cred_helpers.at("gcr.io") == "gcloud");
        CHECK(cfg->creds_store == "desktop");
        std::vector<std::pair<std::string, std::string>> asked;
        const HelperRunner runner = [&asked](const std::string& program,
                                             const std::string& server) -> Result<std::optional<Credential>> {
            asked.emplace_back(program, server);
            return std::optional<Credential>(Credential{"h", "s", {}, {}, program});
        };
        CHECK(lookup_docker_config(*cfg, "gcr.io", runner).value()->username == "h");
        CHECK(lookup_docker_config(*cfg, "r.example.com:5000", runner).value()->username == "ci");
        CHECK(lookup_docker_config(*cfg, "other.example.com", runner).value()->username == "h");
        CHECK(lookup_docker_config(*cfg, "registry-1.docker.io", runner).value()->username == "u");
        REQUIRE(asked.size() == 2);
        CHECK(asked[0] == std::pair<std::string, std::string>{"docker-credential-gcloud", "gcr.io"});
        CHECK(asked[1] == std::pair<std::string, std::string>{"docker-credential-desktop", "other.example.com"});
        CHECK_FALSE(parse_docker_config(R"({"auths": {"x": {"auth": "bm9jb2xvbg=="}}})", "c"));
        CHECK_FALSE(parse_docker_config("[]", "c"));
    }

    TEST_CASE("several registries in one dockerconfigjson: Go map order") {
        const std::vector<DockerCredentials> entries{{"b.example.com", "u", "p", ""}, {"a.example.com", "v", "q", ""}};
        CHECK(docker_config_json(entries)
              == R"({"auths":{"a.example.com":{"username":"v","password":"q","auth":"djpx"},)"
                 R"("b.example.com":{"username":"u","password":"p","auth":"dTpw"}}})");
    }

    TEST_CASE("Retry-After: seconds and HTTP dates (RFC 9110 §10.2.3)") {
        CHECK(http::parse_retry_after("7", 0).value() == doctest::Approx(7));
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example date)
        CHECK(http::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 3).value() == doctest::Approx(3));
        CHECK(http::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 100).value() == doctest::Approx(0));
        CHECK_FALSE(http::parse_retry_after("soon", 0));
    }

    TEST_CASE("URLs: relative Location, origins, redaction") {
        CHECK(http::resolve_url("https://r:5000/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/x?_state=1")
              == "https://r:5000/v2/a/blobs/uploads/x?_state=1");
        CHECK(http::resolve_url("https://r/v2/", "https://cdn.example/x") == "https://cdn.example/x");
        CHECK(http::url_origin("https://R.example/x") == "https://r.example:443");
        CHECK(http::url_origin("http://r.example:80/") == http::url_origin("http://r.example/y"));
        CHECK(http::url_origin("https://r.example:8443/") != http::url_origin("https://r.example/"));
        CHECK(http::redact_url("https://cdn/x?sig=secret") == "https://cdn/x");
    }

    TEST_CASE("manifests: both families, index, platform selection, sizes") {
        const std::string image =
            R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
          "config":{"mediaType":"c","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":10},
          "layers":[{"mediaType":"l","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":100},
                    {"mediaType":"l","digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333","size":1000}]})";
        auto m = oci::parse_manifest(image, "application/vnd.docker.distribution.manifest.v2+json");
        REQUIRE(m);
        CHECK(m->kind == oci::Manifest::Kind::image);
        CHECK(m->image_size() == 1110);
        CHECK_FALSE(oci::parse_manifest(image, "application/vnd.oci.image.manifest.v1+json"));
        const std::string index = R"({"schemaVersion":2,"manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:4444444444444444444444444444444444444444444444444444444444444444","size":1,"platform":{"os":"linux","architecture":"amd64"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5555555555555555555555555555555555555555555555555555555555555555","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:6666666666666666666666666666666666666666666666666666666666666666","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v7"}}]})";
        auto i = oci::parse_manifest(index, "application/vnd.oci.image.index.v1+json");
        REQUIRE(i);
        CHECK(i->kind == oci::Manifest::Kind::index);
        CHECK(oci::select_platform(*i, *oci::parse_platform("linux/arm64"))->digest.substr(7, 1) == "5");
        CHECK(oci::select_platform(*i, *oci::parse_platform("linux/arm64/v8"))->digest.substr(7, 1) == "5");
        CHECK(oci::select_platform(*i, *oci::parse_platform("linux/arm/v7"))->digest.substr(7, 1) == "6");
        CHECK(oci::select_platform(*i, *oci::parse_platform("linux/arm/v6")) == nullptr);
        CHECK(oci::select_platform(*i, *oci::parse_platform("windows/amd64")) == nullptr);
        // no mediaType anywhere: sniffed from the body
        auto sniffed = oci::parse_manifest(R"({"schemaVersion":2,"manifests":[]})", "application/json");
        REQUIRE(sniffed);
        CHECK(sniffed->kind == oci::Manifest::Kind::index);
        CHECK_FALSE(oci::parse_manifest(R"({"schemaVersion":1,"fsLayers":[]})", ""));
        CHECK_FALSE(oci::parse_platform("linux"));
        CHECK_FALSE(oci::parse_platform("linux/"));
    }

    TEST_CASE("Pipe: passes bytes through a ring buffer, checks size and digest") {
        // sha256("hello world") from the sha256sum of the same bytes
        const std::string digest = "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
        http::Pipe pipe(4, digest, 11);
        std::string out;
        char buf[3];
        const std::string in = "hello world";
        std::size_t pos = 0;
        while (pos < in.size() || pipe.buffered() > 0) {
            const std::size_t n = std::min<std::size_t>(3, in.size() - pos);
            if (n > 0 && pipe.write(in.data() + pos, n)) {
                pos += n;
            }
            const std::size_t got = pipe.read(buf, sizeof buf);
            out.append(buf, got);
        }
        pipe.finish();
        CHECK(out == in);
        CHECK(pipe.at_end());
        CHECK_FALSE(pipe.failed());

        http::Pipe wrong(64, digest, 11);
        REQUIRE(wrong.write("hello World", 11));
        wrong.finish();
        CHECK(wrong.failed());
        http::Pipe small(64, digest, 5);
        CHECK_FALSE(small.write("hello world", 11));
        CHECK(small.failed());
    }
}

namespace {

std::map<std::string, std::string> testbed_env() {
    std::map<std::string, std::string> env;
    const char* path = std::getenv("IMAGE_SECURE_TESTBED");
    if (path == nullptr) {
        return env;
    }
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos && line[0] != '#') {
            env[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return env;
}

std::size_t lines_in(const std::string& path) {
    std::ifstream in(path);
    std::size_t n = 0;
    std::string line;
    while (std::getline(in, line)) {
        ++n;
    }
    return n;
}

} // namespace

TEST_SUITE("registry-live") {
    TEST_CASE("token cache: reused until expiry, then fetched again (real registry, moved clock)") {
        const auto env = testbed_env();
        if (env.empty()) {
            MESSAGE("IMAGE_SECURE_TESTBED not set: skipped");
            return;
        }
        std::int64_t now = 1'000'000;
        RegistryOptions options;
        options.certs_dirs = {env.at("TESTBED_CERTS_D")};
        options.clock = [&now] { return now; };
        options.credentials = [](const std::string&) -> Result<std::optional<Credential>> {
            return std::optional<Credential>(Credential{"pusher", "pusher-secret", {}, {}, "test"});
        };
        RegistryClient client(options);
        const std::string host = env.at("TESTBED_TOKEN");
        const std::string log = env.at("TESTBED_TOKEN_LOG");
        const std::size_t before = lines_in(log);
        const ImageLocator small{host, "library/small", "1.0"};
        REQUIRE(client.head_manifests({small}).front());
        REQUIRE(client.head_manifests({small, ImageLocator{host, "library/small", "latest"}}).front());
        CHECK(client.token_requests() == 1);
        now += 299; // the testbed's tokens live 300 s; the client keeps a margin
        REQUIRE(client.head_manifests({small}).front());
        CHECK(client.token_requests() == 2);
        CHECK(lines_in(log) - before == 2); // what the issuer saw
        // A new scope set that the cached token does not cover needs one more token.
        REQUIRE(client.head_manifests({ImageLocator{host, "library/multi", "1.0"}}).front());
        CHECK(client.token_requests() == 3);
    }
}
