#include <image_secure/reference/reference.hpp>

#include <doctest/doctest.h>

#include <string>

using image_secure::parse_reference;

namespace {

const std::string k_hex64 = std::string(64, 'a');

struct Case {
    std::string input;
    bool valid;
    std::string domain;
    std::string path;
    std::string tag;
    std::string digest;
    std::string familiar;
    std::string normalized;
};

} // namespace

TEST_SUITE("reference") {
    TEST_CASE("parse_reference: table from spec/reference.md (upstream v0.6.0 oracle)") {
        const Case cases[] = {
            {"nginx", true, "docker.io", "library/nginx", "", "", "nginx", "docker.io/library/nginx:latest"},
            {"nginx:1.25",
             true,
             "docker.io",
             "library/nginx",
             "1.25",
             "",
             "nginx:1.25",
             "docker.io/library/nginx:1.25"},
            {"localhost:5000",
             true,
             "docker.io",
             "library/localhost",
             "5000",
             "",
             "localhost:5000",
             "docker.io/library/localhost:5000"},
            {"example.com:5000",
             true,
             "docker.io",
             "library/example.com",
             "5000",
             "",
             "example.com:5000",
             "docker.io/library/example.com:5000"},
            {"nginx:5000/app", true, "nginx:5000", "app", "", "", "nginx:5000/app", "nginx:5000/app:latest"},
            {"my_registry.example.com/app",
             true,
             "",
             "my_registry.example.com/app",
             "",
             "",
             "my_registry.example.com/app",
             "my_registry.example.com/app:latest"},
            {"x/y.z/app", true, "docker.io", "x/y.z/app", "", "", "x/y.z/app", "docker.io/x/y.z/app:latest"},
            {"Quay.IO/prometheus/prometheus",
             true,
             "Quay.IO",
             "prometheus/prometheus",
             "",
             "",
             "Quay.IO/prometheus/prometheus",
             "Quay.IO/prometheus/prometheus:latest"},
            {"DOCKER.IO/library/nginx",
             true,
             "DOCKER.IO",
             "library/nginx",
             "",
             "",
             "DOCKER.IO/library/nginx",
             "DOCKER.IO/library/nginx:latest"},
            {"docker.io:443/nginx",
             true,
             "docker.io:443",
             "nginx",
             "",
             "",
             "docker.io:443/nginx",
             "docker.io:443/nginx:latest"},
            {"index.docker.io",
             true,
             "docker.io",
             "library/index.docker.io",
             "",
             "",
             "index.docker.io",
             "docker.io/library/index.docker.io:latest"},
            {"index.docker.io/library/nginx:1",
             true,
             "docker.io",
             "library/nginx",
             "1",
             "",
             "nginx:1",
             "docker.io/library/nginx:1"},
            {"library/library",
             true,
             "docker.io",
             "library/library",
             "",
             "",
             "library",
             "docker.io/library/library:latest"},
            {"docker.io/library/nginx/extra",
             true,
             "docker.io",
             "library/nginx/extra",
             "",
             "",
             "library/nginx/extra",
             "docker.io/library/nginx/extra:latest"},
            {"localhost/library/foo",
             true,
             "localhost",
             "library/foo",
             "",
             "",
             "localhost/library/foo",
             "localhost/library/foo:latest"},
            {"oci:foo", true, "docker.io", "library/oci", "foo", "", "oci:foo", "docker.io/library/oci:foo"},
            {"example.com:99999999999999999999/app",
             true,
             "example.com:99999999999999999999",
             "app",
             "",
             "",
             "example.com:99999999999999999999/app",
             "example.com:99999999999999999999/app:latest"},
            {"256.256.256.256:5000/app",
             true,
             "256.256.256.256:5000",
             "app",
             "",
             "",
             "256.256.256.256:5000/app",
             "256.256.256.256:5000/app:latest"},
            {"[::1]:5000/app", true, "[::1]:5000", "app", "", "", "[::1]:5000/app", "[::1]:5000/app:latest"},
            {"[:]/app", true, "[:]", "app", "", "", "[:]/app", "[:]/app:latest"},
            {"[ABCD]/app", true, "[ABCD]", "app", "", "", "[ABCD]/app", "[ABCD]/app:latest"},
            {"Foo/bar", true, "Foo", "bar", "", "", "Foo/bar", "Foo/bar:latest"},
            {"foo__bar",
             true,
             "docker.io",
             "library/foo__bar",
             "",
             "",
             "foo__bar",
             "docker.io/library/foo__bar:latest"},
            {"foo---bar",
             true,
             "docker.io",
             "library/foo---bar",
             "",
             "",
             "foo---bar",
             "docker.io/library/foo---bar:latest"},
            {"sha256:" + k_hex64,
             true,
             "docker.io",
             "library/sha256",
             k_hex64,
             "",
             "sha256:" + k_hex64,
             "docker.io/library/sha256:" + k_hex64},
            {"nginx:1.25@sha256:" + k_hex64,
             true,
             "docker.io",
             "library/nginx",
             "1.25",
             "sha256:" + k_hex64,
             "nginx:1.25@sha256:" + k_hex64,
             "docker.io/library/nginx:1.25@sha256:" + k_hex64},
            {"gcr.io/distroless/static@sha256:" + k_hex64,
             true,
             "gcr.io",
             "distroless/static",
             "",
             "sha256:" + k_hex64,
             "gcr.io/distroless/static@sha256:" + k_hex64,
             "gcr.io/distroless/static@sha256:" + k_hex64},
            {"a@sha384:" + std::string(96, 'b'),
             true,
             "docker.io",
             "library/a",
             "",
             "sha384:" + std::string(96, 'b'),
             "a@sha384:" + std::string(96, 'b'),
             "docker.io/library/a@sha384:" + std::string(96, 'b')},
            {std::string(63, 'a'),
             true,
             "docker.io",
             "library/" + std::string(63, 'a'),
             "",
             "",
             std::string(63, 'a'),
             "docker.io/library/" + std::string(63, 'a') + ":latest"},
            {"nginx:" + std::string(128, 't'),
             true,
             "docker.io",
             "library/nginx",
             std::string(128, 't'),
             "",
             "nginx:" + std::string(128, 't'),
             "docker.io/library/nginx:" + std::string(128, 't')},
        };
        for (const auto& c : cases) {
            CAPTURE(c.input);
            const auto ref = parse_reference(c.input);
            REQUIRE(ref.has_value() == c.valid);
            CHECK(ref->domain == c.domain);
            CHECK(ref->path == c.path);
            CHECK(ref->tag == c.tag);
            CHECK(ref->digest == c.digest);
            CHECK(ref->familiar() == c.familiar);
            CHECK(ref->normalized() == c.normalized);
        }
    }

    TEST_CASE("parse_reference: rejects what the Go library rejects") {
        const std::string invalid[] = {
            "",
            k_hex64,
            std::string(64, 'A'),
            "nginx:latest/app",
            "[fe80::1%eth0]:5000/app",
            "[::ffff:192.0.2.1]/app",
            "nginx@sha256:" + std::string(64, 'A'),
            "nginx@SHA256:" + k_hex64,
            "nginx@sha256:abc",
            "nginx@sha1:" + std::string(40, 'a'),
            "nginx@md5:" + std::string(32, 'a'),
            "nginx@sha256:" + std::string(63, 'a'),
            " nginx",
            "nginx\n",
            "nginx ",
            "\"nginx\"",
            "'nginx'",
            "nginx%3Alatest",
            "https://registry.example.com/app",
            "docker://nginx",
            "{{ .Values.image }}",
            "${IMAGE}",
            "foo___bar",
            "foo..bar",
            "foo._bar",
            "foo-_bar",
            "_foo",
            "foo-",
            "foo/",
            "/foo",
            "foo//bar",
            "Nginx",
            "nginx:.tag",
            "nginx:-tag",
            "nginx:a+b",
            "nginx:" + std::string(129, 't'),
            "nginx@sha256:" + k_hex64 + "@sha256:" + k_hex64,
            "nginx@sha256:" + k_hex64 + ":tag",
            "@sha256:" + k_hex64,
            "ng\xc3\xb1nx",
            std::string("nginx\0evil", 10),
            "LOCALHOST",
        };
        for (const auto& s : invalid) {
            CAPTURE(s);
            CHECK_FALSE(parse_reference(s).has_value());
        }
    }

    TEST_CASE("parse_reference: path length counts only the path (v0.6.0), library/ included") {
        CHECK(parse_reference(std::string(247, 'a')).has_value());
        CHECK_FALSE(parse_reference(std::string(248, 'a')).has_value());
        CHECK(parse_reference("registry.example.com/" + std::string(255, 'a')).has_value());
        CHECK_FALSE(parse_reference("registry.example.com/" + std::string(256, 'a')).has_value());
    }

    TEST_CASE("parse_reference: error texts follow the Go library") {
        CHECK(parse_reference("nginx@SHA256:abc").error().what
              == "invalid reference format: repository name (library/nginx@SHA256) must be lowercase");
        CHECK(parse_reference(k_hex64).error().what
              == "invalid repository name (" + k_hex64 + "), cannot specify 64-byte hexadecimal strings");
        CHECK(parse_reference("nginx@sha256:" + std::string(63, 'a')).error().what == "invalid checksum digest length");
        CHECK(parse_reference("nginx@md5:" + std::string(32, 'a')).error().what == "unsupported digest algorithm");
        CHECK(parse_reference("nginx@sha256:" + std::string(64, 'A')).error().what == "invalid checksum digest format");
        CHECK(parse_reference(std::string(248, 'a')).error().what
              == "repository name must not be more than 255 characters");
        CHECK(parse_reference("a b").error().what == "invalid reference format");
    }

    TEST_CASE("parse_reference: normalized re-parses to itself") {
        for (const char* s :
             {"nginx",
              "quay.io/a/b:c",
              "localhost:5000/x@sha256:0000000000000000000000000000000000000000000000000000000000000000"}) {
            const auto ref = parse_reference(s);
            REQUIRE(ref);
            const auto again = parse_reference(ref->normalized());
            REQUIRE(again);
            CHECK(again->normalized() == ref->normalized());
        }
    }
}
