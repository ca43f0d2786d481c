#pragma once

// The HTTP seam: requests and responses as values, and the Transport interface that runs a
// batch of them. The curl implementation (curl_transport.hpp) is the one the tool uses; unit
// tests drive the registry client through a fake. Redirects are the transport's job, with
// Authorization kept to its origin (redirect.hpp).

#include <image_secure/http/body_sink.hpp>
#include <image_secure/http/pipe.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure::http {

/// TLS settings for one request (chosen per registry by the caller).
struct TlsOptions {
    bool verify = true;
    std::string ca_file;     ///< extra trust anchors (PEM); the system store stays trusted
    std::string client_cert; ///< PEM client certificate (certs.d client.cert)
    std::string client_key;  ///< PEM client key (certs.d client.key)
};

/// One HTTP request. The Authorization header is separate so redirects can drop it.
struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers; ///< "Name: value"
    std::string authorization;        ///< value of Authorization, "" for none
    std::string body;                 ///< request body (ignored when `upload` is set)
    std::shared_ptr<Pipe> upload;     ///< streamed request body of `upload_size` bytes
    std::int64_t upload_size = -1;
    std::shared_ptr<BodySink> download; ///< a 2xx body goes here instead of Response::body
    std::size_t max_body = 8U << 20U;   ///< larger (non-streamed) bodies are an error
    TlsOptions tls;
    bool follow_redirects = true;
    long timeout_seconds = 0; ///< whole-transfer limit, 0 = none (connect limit always)
    /// For a `download`: how often a failed transfer (connection lost, 408/429/5xx) is sent
    /// again, resuming with `Range` after the bytes the pipe already has (a server that
    /// ignores Range answers 200 and the bytes it already sent are skipped).
    int resume_attempts = 0;
};

/// One response, or a transport error (`error` non-empty, `status` 0).
struct Response {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; ///< names lower-cased
    std::string body;
    std::string error; ///< curl's message when no HTTP response arrived
    std::string url;   ///< the URL that answered (after redirects)
    std::string http_version;
    bool stalled = false; ///< no bytes moved for TransportOptions::stall_seconds

    [[nodiscard]] const std::string* header(std::string_view lower_name) const;

    [[nodiscard]] bool ok() const { return error.empty() && status >= 200 && status < 300; }
};

/// Log lines for `-v`: never carries Authorization values or query strings of redirects.
using Logger = std::function<void(const std::string&)>;

struct TransportOptions {
    unsigned concurrency = 8; ///< transfers in flight at once
    std::string user_agent;
    Logger log; ///< may be empty
    long connect_timeout_seconds = 15;
    long stall_seconds = 30;    ///< abort a transfer that moved no byte for this long
    std::function<void()> tick; ///< called about 4 times a second while transfers run
    /// May a redirect from HTTPS go to this plain-HTTP URL? (Unset: never.)
    std::function<bool(const std::string& url)> plain_allowed;
    double max_retry_after = 30; ///< cap on one wait before a resumed download, seconds
};

/// Runs a batch of requests.
class Transport {
  public:
    virtual ~Transport() = default;
    Transport() = default;
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    /// Performs all requests (concurrently, at most `concurrency` at a time) and returns the
    /// responses in the same order. Redirects (301/302/303/307/308) are followed up to 5 hops;
    /// Authorization is kept only while scheme, host and port stay the same.
    virtual std::vector<Response> perform(std::vector<Request> requests) = 0;
    Response perform_one(Request request);

    /// Called about 4 times a second while transfers run (progress displays).
    virtual void set_tick(std::function<void()> tick) = 0;
};

/// Makes the transport a client uses (the curl one, or a test's fake).
using TransportFactory = std::function<std::unique_ptr<Transport>(TransportOptions)>;

} // namespace image_secure::http
