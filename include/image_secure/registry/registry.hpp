#pragma once

// The registry client: OCI distribution / Docker Registry v2 API over http::Transport.
// Auth (anonymous, Basic, Bearer tokens with GET or OAuth2 POST), token cache per scope
// set, retries with backoff and Retry-After, per-registry TLS and plain HTTP, Docker Hub
// aliases. Every call is batched: a batch runs concurrently on one multi handle.

#include <image_secure/base/result.hpp>
#include <image_secure/http/transport.hpp>
#include <image_secure/reference/reference.hpp>
#include <image_secure/registry/credentials.hpp>
#include <image_secure/registry/oci.hpp>
#include <image_secure/registry/rate_limit.hpp>
#include <image_secure/registry/registry_auth.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace image_secure {

struct RegistryOptions {
    std::vector<std::string> plain_http;     ///< hosts (host[:port]) reached over plain HTTP
    std::string ca_file;                     ///< extra CA for every TLS registry
    bool insecure_skip_tls_verify = false;   ///< every host (the bare flag; warned about)
    std::vector<std::string> insecure_hosts; ///< hosts (host[:port]) whose certificates are not verified
    std::vector<std::string> certs_dirs;     ///< docker-style <dir>/<host:port>/{ca.crt,client.cert,client.key}
    unsigned concurrency = 8;
    http::Logger log;
    /// Credentials for a registry host ("" host never asked). May be empty: anonymous.
    std::function<Result<std::optional<Credential>>(const std::string& host)> credentials;
    std::function<std::int64_t()> clock; ///< seconds since the epoch (tests move it)
    std::function<void(double)> sleep;   ///< seconds (tests skip it)
    int max_attempts = 5;                ///< per call, for 408/429/5xx and connection errors
    double max_retry_after = 30;         ///< cap on one wait, seconds
    long stall_seconds = 30;             ///< a transfer that moves no byte for this long fails
    std::string credential_sources;      ///< where credentials were looked for (messages)
    http::TransportFactory transport;    ///< unset: libcurl (http::load_library() first)
};

/// One call to a registry's API.
struct RegistryCall {
    std::string host; ///< registry host as in references ("docker.io", "r.example.com:5000")
    std::string method = "GET";
    std::string path; ///< "/v2/…" or an absolute URL (upload Location)
    std::vector<std::string> headers;
    std::string body;
    ScopeSet scopes; ///< what the token must allow
    std::shared_ptr<http::Pipe> upload;
    std::int64_t upload_size = -1;
    std::shared_ptr<http::BodySink> download; ///< a 2xx body streams here (a Pipe, a layer reader)
    std::size_t max_body = 8U << 20U;
    bool retry = true;       ///< false when the body cannot be sent again
    int resume_attempts = 0; ///< a `download`: resumed with Range this often (http::Request)
};

/// How `registry check` got in.
struct AccessCheck {
    bool accepted = false;
    std::string scheme;   ///< "none", "basic", "token"
    std::string username; ///< "" when anonymous
    std::string reason;   ///< why rejected
};

/// Whether credentials that log in may also pull from one repository (`registry check SERVER/REPO`).
struct PullCheck {
    enum class Verdict {
        may_pull,  ///< 200
        missing,   ///< 404: no such repository (or hidden from these credentials)
        no_access, ///< 401/403
        other,     ///< any other answer (`status`)
    } verdict = Verdict::other;
    long status = 0;
    std::string detail; ///< the registry's error codes and messages ("" when none)
};

/// Where a manifest lives.
struct ImageLocator {
    std::string host;       ///< reference domain ("docker.io" …)
    std::string repository; ///< path ("library/nginx")
    std::string reference;  ///< tag or digest

    [[nodiscard]] static ImageLocator from(const Reference& ref);
    [[nodiscard]] std::string str() const;
};

struct ManifestHead {
    std::string digest;
    std::string media_type;
    std::int64_t size = 0;
};

struct FetchedManifest {
    std::string bytes;
    std::string media_type;
    std::string digest;
    oci::Manifest parsed;
};

/// Repository scope helper: "repository:<name>:<actions>".
[[nodiscard]] Scope repository_scope(const std::string& repository, const std::string& actions);

/// The API host of a registry: Docker Hub's names become registry-1.docker.io.
[[nodiscard]] std::string api_host(const std::string& host);

class RegistryClient {
  public:
    explicit RegistryClient(RegistryOptions options);
    ~RegistryClient();
    RegistryClient(const RegistryClient&) = delete;
    RegistryClient& operator=(const RegistryClient&) = delete;

    /// Sends every call (concurrently), authenticating as each registry asks.
    std::vector<http::Response> send(std::vector<RegistryCall> calls);
    http::Response send_one(RegistryCall call);

    /// Are the configured credentials for `host` accepted? A network failure is an Error.
    Result<AccessCheck> check(const std::string& host);

    /// May the configured credentials pull from `repository`? (GET /v2/<repo>/tags/list?n=1
    /// with a pull-scoped token.) A network failure is an Error.
    Result<PullCheck> check_pull(const std::string& host, const std::string& repository);

    /// HEAD each manifest (all four media types accepted); falls back to GET when the
    /// registry sends no digest.
    std::vector<Result<ManifestHead>> head_manifests(const std::vector<ImageLocator>& images);
    /// GET each manifest; the bytes are checked against the digest asked for or announced.
    std::vector<Result<FetchedManifest>> get_manifests(const std::vector<ImageLocator>& images);
    /// GET small blobs (configs), checked against their digests.
    std::vector<Result<std::string>> get_blobs(const std::vector<ImageLocator>& blobs);

    /// "https://host" or "http://host" for API calls.
    [[nodiscard]] std::string base_url(const std::string& host) const;
    /// Called about 4 times a second while transfers run (progress displays).
    void set_tick(std::function<void()> tick);
    /// The rate limits registries announced (lower-case host -> the latest), for reports.
    [[nodiscard]] std::map<std::string, RateLimit> rate_limits() const;

    /// Token requests made so far (all hosts).
    [[nodiscard]] std::size_t token_requests() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// An Error for a failed response: network errors and registry errors (kind network),
/// 404 (kind not_found). `what` names the object ("manifest r/x:1").
[[nodiscard]] Error response_error(const http::Response& response, const std::string& what);

/// The registry's error codes and messages from an error body ("MANIFEST_UNKNOWN: …").
[[nodiscard]] std::string registry_error_text(const std::string& body);

} // namespace image_secure
