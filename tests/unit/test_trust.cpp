// Where the static binary finds CA certificates: the order and the environment overrides of
// ../shared/spec/portable-release.md §4, written out by hand (no real file system).
#include <image_secure/http/trust.hpp>

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>

using image_secure::http::find_system_trust;

namespace {

struct World {
    std::map<std::string, std::string> env;
    std::set<std::string> files;
    std::set<std::string> dirs;

    [[nodiscard]] image_secure::http::SystemTrust trust() const {
        return find_system_trust(
            [this](const char* name) -> const char* {
                auto it = env.find(name);
                return it == env.end() ? nullptr : it->second.c_str();
            },
            [this](const std::string& path, bool dir) { return dir ? dirs.count(path) > 0 : files.count(path) > 0; });
    }
};

} // namespace

TEST_CASE("trust: Debian's bundle and directory") {
    World w;
    w.files = {"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"};
    w.dirs = {"/etc/ssl/certs"};
    const auto t = w.trust();
    CHECK(t.file == "/etc/ssl/certs/ca-certificates.crt");
    CHECK(t.dir == "/etc/ssl/certs");
    CHECK(t.found());
    CHECK(t.describe() == "CA certificates: bundle /etc/ssl/certs/ca-certificates.crt, directory /etc/ssl/certs");
}

TEST_CASE("trust: each distribution's bundle is found when it is the only one") {
    for (const char* path : {"/etc/pki/tls/certs/ca-bundle.crt",
                             "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
                             "/etc/ssl/ca-bundle.pem",
                             "/etc/ssl/cert.pem",
                             "/etc/pki/tls/cacert.pem"}) {
        World w;
        w.files = {path};
        CAPTURE(path);
        const auto t = w.trust();
        CHECK(t.file == path);
        CHECK(t.dir.empty());
    }
}

TEST_CASE("trust: RHEL's bundle wins over its ca-trust source and SUSE's; RHEL's directory is second") {
    World w;
    w.files = {"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
               "/etc/pki/tls/certs/ca-bundle.crt",
               "/etc/ssl/ca-bundle.pem"};
    w.dirs = {"/etc/pki/tls/certs"};
    const auto t = w.trust();
    CHECK(t.file == "/etc/pki/tls/certs/ca-bundle.crt");
    CHECK(t.dir == "/etc/pki/tls/certs");
}

TEST_CASE("trust: SSL_CERT_FILE and SSL_CERT_DIR replace the probe of their kind") {
    World w;
    w.files = {"/etc/ssl/certs/ca-certificates.crt", "/opt/ca.pem"};
    w.dirs = {"/etc/ssl/certs"};
    w.env = {{"SSL_CERT_FILE", "/opt/ca.pem"}};
    auto t = w.trust();
    CHECK(t.file == "/opt/ca.pem");
    CHECK(t.dir == "/etc/ssl/certs"); // the directory is still probed
    CHECK(t.describe() == "CA certificates: bundle /opt/ca.pem (SSL_CERT_FILE), directory /etc/ssl/certs");

    w.env = {{"SSL_CERT_DIR", "/opt/certs:/etc/other"}};
    t = w.trust();
    CHECK(t.file == "/etc/ssl/certs/ca-certificates.crt");
    CHECK(t.dir == "/opt/certs:/etc/other");

    // A variable naming a missing file is not silently replaced by a probed one.
    w.env = {{"SSL_CERT_FILE", "/missing.pem"}};
    t = w.trust();
    CHECK(t.file.empty());
    CHECK(t.dir == "/etc/ssl/certs");

    // Empty counts as unset.
    w.env = {{"SSL_CERT_FILE", ""}};
    CHECK(w.trust().file == "/etc/ssl/certs/ca-certificates.crt");
}

TEST_CASE("trust: nothing found says where it looked and what to do") {
    const World w;
    const auto t = w.trust();
    CHECK_FALSE(t.found());
    const std::string line = t.describe();
    CHECK(line.rfind("no system CA certificates found (looked for /etc/ssl/certs/ca-certificates.crt, "
                     "/etc/pki/tls/certs/ca-bundle.crt, ",
                     0)
          == 0);
    CHECK(line.find("/etc/pki/tls/certs/)") != std::string::npos);
    CHECK(line.find("set SSL_CERT_FILE") != std::string::npos);
}
