#pragma once

// HTTP transport on libcurl: one multi handle (concurrency, HTTP/2 multiplexing, keep-alive)
// and one share handle (DNS, TLS sessions, connections) per Transport. Redirects are followed
// here, not by libcurl, so that Authorization never leaves its origin.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure::http {

/// libcurl (loaded at first use) is not installed or too old. The CLI reports it as an error.
class LibraryMissing : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// TLS settings for one request (chosen per registry by the caller).
struct TlsOptions {
    bool verify = true;
    std::string ca_file;     ///< extra trust anchors (PEM); the system store stays trusted
    std::string client_cert; ///< PEM client certificate (certs.d client.cert)
    std::string client_key;  ///< PEM client key (certs.d client.key)
};

/// A bounded byte buffer that streams one download into one upload running in the same
/// `Transport::perform` call, hashing what passes through. Nothing is held beyond `capacity`.
class Pipe {
public:
    /// `expected_digest` ("sha256:…") and `expected_size` are checked before the upload
    /// may end: a mismatch aborts the upload, so the destination never commits bad bytes.
    Pipe(std::size_t capacity, std::string expected_digest, std::int64_t expected_size);
    ~Pipe();
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    /// Writer side: false when there is no room for `n` bytes now (the writer pauses).
    bool write(const char* data, std::size_t n);
    /// Reader side: bytes copied (0 with `at_end()` at the end, 0 without it: wait).
    std::size_t read(char* out, std::size_t n);
    void finish();                  ///< the writer is done; the content is checked now
    void fail(std::string why);     ///< the writer failed; the reader aborts
    void close_reader();            ///< the reader stopped; the writer aborts
    [[nodiscard]] bool at_end() const { return m_finished && m_size == 0; }
    [[nodiscard]] bool failed() const { return !m_error.empty(); }
    [[nodiscard]] bool reader_closed() const { return m_reader_closed; }
    /// The bytes were wrong (size or digest), not merely interrupted: sending again won't help.
    [[nodiscard]] bool content_wrong() const { return m_content_wrong; }
    [[nodiscard]] const std::string& error() const { return m_error; }
    [[nodiscard]] std::size_t buffered() const { return m_size; }
    [[nodiscard]] std::size_t room() const { return m_buffer.size() - m_size; }
    [[nodiscard]] std::int64_t transferred() const { return m_total; }

private:
    struct Hash;
    std::vector<char> m_buffer;
    std::size_t m_head = 0; ///< read position
    std::size_t m_size = 0; ///< bytes buffered
    std::int64_t m_total = 0;
    std::string m_expected_digest;
    std::int64_t m_expected_size;
    std::unique_ptr<Hash> m_hash;
    bool m_finished = false;
    bool m_reader_closed = false;
    bool m_content_wrong = false;
    std::string m_error;
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
    std::shared_ptr<Pipe> download;   ///< a 2xx body goes here instead of Response::body
    std::size_t max_body = 8U << 20U; ///< larger (non-streamed) bodies are an error
    TlsOptions tls;
    bool follow_redirects = true;
    long timeout_seconds = 0;         ///< whole-transfer limit, 0 = none (connect limit always)
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
    std::string error;     ///< curl's message when no HTTP response arrived
    std::string url;       ///< the URL that answered (after redirects)
    std::string http_version;
    bool stalled = false;  ///< no bytes moved for TransportOptions::stall_seconds

    [[nodiscard]] const std::string* header(std::string_view lower_name) const;
    [[nodiscard]] bool ok() const { return error.empty() && status >= 200 && status < 300; }
};

/// Log lines for `-v`: never carries Authorization values or query strings of redirects.
using Logger = std::function<void(const std::string&)>;

struct TransportOptions {
    unsigned concurrency = 8; ///< transfers in flight at once
    std::string user_agent;
    Logger log;               ///< may be empty
    long connect_timeout_seconds = 15;
    long stall_seconds = 30;     ///< abort a transfer that moved no byte for this long
    std::function<void()> tick;  ///< called about 4 times a second while transfers run
    /// May a redirect from HTTPS go to this plain-HTTP URL? (Unset: never.)
    std::function<bool(const std::string& url)> plain_allowed;
    double max_retry_after = 30; ///< cap on one wait before a resumed download, seconds
};

/// Runs requests concurrently on one multi handle.
class Transport {
public:
    explicit Transport(TransportOptions options);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    /// Performs all requests concurrently (at most `concurrency` at a time) and returns the
    /// responses in the same order. Redirects (301/302/303/307/308) are followed up to 5 hops;
    /// Authorization is kept only while scheme, host and port stay the same.
    std::vector<Response> perform(std::vector<Request> requests);
    Response perform_one(Request request);

    [[nodiscard]] const TransportOptions& options() const { return m_options; }
    void set_tick(std::function<void()> tick) { m_options.tick = std::move(tick); }

private:
    struct Impl;
    TransportOptions m_options;
    std::unique_ptr<Impl> m_impl;
};

/// 408, 429 and the 5xx answers a server gives when trying again later may work.
[[nodiscard]] constexpr bool retryable_status(long status)
{
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

/// Resolves `location` against `base` (absolute or relative Location headers).
[[nodiscard]] std::string resolve_url(const std::string& base, const std::string& location);

/// "scheme://host:port" of a URL, lower-cased, with the default port filled in.
[[nodiscard]] std::string url_origin(const std::string& url);

/// The URL without its query string and fragment (safe to log).
[[nodiscard]] std::string redact_url(const std::string& url);

/// Percent-encodes a query component.
[[nodiscard]] std::string url_encode(std::string_view text);

/// Parses a Retry-After value: delta-seconds or an HTTP date; seconds from `now_epoch`.
[[nodiscard]] std::optional<double> parse_retry_after(std::string_view value, std::int64_t now_epoch);

} // namespace image_secure::http
