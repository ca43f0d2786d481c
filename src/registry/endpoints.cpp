#include "endpoints.hpp"

#include <image_secure/base/text.hpp>
#include <image_secure/http/trust.hpp>
#include <image_secure/http/url.hpp>
#include <image_secure/rewrite/mapping.hpp>

#include <algorithm>
#include <filesystem>

namespace image_secure::registry_detail {

std::string host_of_url(const std::string& url) {
    auto rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
    return rest.substr(0, rest.find_first_of("/?#"));
}

bool Endpoints::plain(const std::string& host) const {
    return std::any_of(m_options.plain_http.begin(), m_options.plain_http.end(), [&host](const std::string& h) {
        return same_host(h, host);
    });
}

std::string Endpoints::base_url(const std::string& host) const {
    return (plain(host) ? "http://" : "https://") + api_host(host);
}

http::TlsOptions Endpoints::tls_for(const std::string& host) const {
    namespace fs = std::filesystem;
    http::TlsOptions tls;
    tls.verify = !m_options.insecure_skip_tls_verify
                 && std::none_of(m_options.insecure_hosts.begin(),
                                 m_options.insecure_hosts.end(),
                                 [&host](const std::string& h) { return same_host(h, host); });
    tls.ca_file = m_options.ca_file;
    for (const auto& dir : m_options.certs_dirs) {
        std::error_code ec;
        const fs::path base = fs::path(dir) / host;
        if (tls.ca_file.empty() && fs::exists(base / "ca.crt", ec)) {
            tls.ca_file = (base / "ca.crt").string();
        }
        if (fs::exists(base / "client.cert", ec) && fs::exists(base / "client.key", ec)) {
            tls.client_cert = (base / "client.cert").string();
            tls.client_key = (base / "client.key").string();
        }
    }
    return tls;
}

// Credentials go to a token realm only over HTTPS, or over plain HTTP to an origin the
// user declared plain (--plain-http HOST:PORT): never in cleartext by a server's say-so.
std::string Endpoints::realm_problem(const std::string& realm) const {
    const auto sep = realm.find("://");
    const std::string scheme = ascii_lower(realm.substr(0, sep == std::string::npos ? 0 : sep));
    if (scheme == "https") {
        return {};
    }
    if (scheme == "http" && plain(host_of_url(realm))) {
        return {};
    }
    if (scheme == "http") {
        return "its token server " + printable(http::redact_url(realm), 200)
               + " is plain HTTP: refusing to send credentials in cleartext (if that is intended, declare "
                 "the origin with --plain-http "
               + printable(host_of_url(realm), 100) + ")";
    }
    return "its token realm \"" + printable(realm, 200) + "\" is not an https:// URL";
}

std::string Endpoints::transport_hint(const std::string& error, const std::string& host) const {
    const std::string lower = ascii_lower(error);
    const std::string h = api_host(host);
    if (lower.find("wrong version number") != std::string::npos
        || lower.find("packet length too long") != std::string::npos) {
        return ": this registry speaks plain HTTP; pass --plain-http " + h;
    }
    if (lower.find("certificate") != std::string::npos
        && (lower.find("issuer") != std::string::npos || lower.find("self-signed") != std::string::npos
            || lower.find("self signed") != std::string::npos || lower.find("verify") != std::string::npos)) {
        std::string looked;
        for (const auto& dir : m_options.certs_dirs) {
            looked += (looked.empty() ? "" : ", ") + dir + "/" + h + "/ca.crt";
        }
        return ": the registry's certificate is not signed by a CA we trust; give it with --ca-file FILE or "
               "--certs-dir DIR (DIR/"
               + h + "/ca.crt)" + (looked.empty() ? std::string() : "; looked for " + looked)
               + (http::system_trust().found() ? std::string() : "; " + http::system_trust().describe());
    }
    return {};
}

} // namespace image_secure::registry_detail
