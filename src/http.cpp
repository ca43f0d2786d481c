// The only file that includes libcurl. libcurl is loaded with dlopen on first use, not
// linked: its ~35 dependent libraries cost every command 7 ms and 4 MiB at startup, and a
// binary that only needs it for registry commands runs everywhere else without it.
#include <image_secure/http.hpp>

#include <image_secure/text.hpp>

#define CURL_DISABLE_TYPECHECK 1 // the type-checking macros would call the linked symbols
#include <curl/curl.h>
#include <dlfcn.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <deque>
#include <stdexcept>

namespace image_secure::http {

// ------------------------------------------------------------------------------------ Pipe

struct Pipe::Hash {
    struct Free {
        void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> ctx{EVP_MD_CTX_new()};
    const EVP_MD* md = nullptr;
};

Pipe::Pipe(std::size_t capacity, std::string expected_digest, std::int64_t expected_size)
    : m_buffer(capacity), m_expected_digest(std::move(expected_digest)), m_expected_size(expected_size),
      m_hash(std::make_unique<Hash>())
{
    const auto colon = m_expected_digest.find(':');
    const std::string algorithm = m_expected_digest.substr(0, colon);
    m_hash->md = algorithm == "sha512" ? EVP_sha512() : algorithm == "sha384" ? EVP_sha384() : EVP_sha256();
    if (!m_hash->ctx || EVP_DigestInit_ex(m_hash->ctx.get(), m_hash->md, nullptr) != 1) {
        throw std::runtime_error("cannot initialise a digest");
    }
}

Pipe::~Pipe() = default;

bool Pipe::write(const char* data, std::size_t n)
{
    if (m_reader_closed || !m_error.empty() || room() < n) {
        return false;
    }
    if (m_expected_size >= 0 && m_total + static_cast<std::int64_t>(n) > m_expected_size) {
        fail("more bytes than the descriptor's size " + std::to_string(m_expected_size));
        m_content_wrong = true;
        return false;
    }
    EVP_DigestUpdate(m_hash->ctx.get(), data, n);
    std::size_t tail = (m_head + m_size) % m_buffer.size();
    std::size_t left = n;
    while (left > 0) {
        const std::size_t chunk = std::min(left, m_buffer.size() - tail);
        std::memcpy(m_buffer.data() + tail, data + (n - left), chunk);
        left -= chunk;
        tail = (tail + chunk) % m_buffer.size();
    }
    m_size += n;
    m_total += static_cast<std::int64_t>(n);
    return true;
}

std::size_t Pipe::read(char* out, std::size_t n)
{
    if (!m_error.empty()) {
        return 0;
    }
    const std::size_t take = std::min(n, m_size);
    std::size_t done = 0;
    while (done < take) {
        const std::size_t chunk = std::min(take - done, m_buffer.size() - m_head);
        std::memcpy(out + done, m_buffer.data() + m_head, chunk);
        done += chunk;
        m_head = (m_head + chunk) % m_buffer.size();
    }
    m_size -= take;
    return take;
}

void Pipe::finish()
{
    if (!m_error.empty() || m_finished) {
        return;
    }
    if (m_expected_size >= 0 && m_total != m_expected_size) {
        fail("got " + std::to_string(m_total) + " bytes, the descriptor says " + std::to_string(m_expected_size));
        m_content_wrong = true;
        return;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(m_hash->ctx.get(), md.data(), &len);
    static constexpr const char* k_hex = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
        hex += k_hex[md[i] >> 4U];
        hex += k_hex[md[i] & 0xFU];
    }
    const auto colon = m_expected_digest.find(':');
    if (!m_expected_digest.empty() && m_expected_digest.substr(colon + 1) != hex) {
        fail("content does not match digest " + m_expected_digest);
        m_content_wrong = true;
        return;
    }
    m_finished = true;
}

void Pipe::fail(std::string why)
{
    if (m_error.empty()) {
        m_error = why.empty() ? "transfer failed" : std::move(why);
    }
}

void Pipe::close_reader()
{
    m_reader_closed = true;
}

// ------------------------------------------------------------------------------------ libcurl

namespace {

// Every libcurl function the transport uses, looked up in libcurl.so.4.
#define IMAGE_SECURE_CURL_FUNCTIONS(X)                                                                             \
    X(curl_global_init) X(curl_global_cleanup) X(curl_easy_init) X(curl_easy_cleanup)                             \
    X(curl_easy_setopt) X(curl_easy_getinfo) X(curl_easy_pause) X(curl_easy_strerror) X(curl_multi_init)          \
    X(curl_multi_cleanup) X(curl_multi_setopt) X(curl_multi_add_handle) X(curl_multi_remove_handle)                \
    X(curl_multi_perform) X(curl_multi_poll) X(curl_multi_info_read) X(curl_share_init) X(curl_share_cleanup)     \
    X(curl_share_setopt) X(curl_slist_append) X(curl_slist_free_all) X(curl_url) X(curl_url_cleanup)              \
    X(curl_url_set) X(curl_url_get) X(curl_free) X(curl_getdate)

struct CurlApi {
#define IMAGE_SECURE_CURL_POINTER(name) decltype(&::name) name = nullptr;
    IMAGE_SECURE_CURL_FUNCTIONS(IMAGE_SECURE_CURL_POINTER)
#undef IMAGE_SECURE_CURL_POINTER
};

const CurlApi* g_curl = nullptr;

/// Loads libcurl once (thread-safe); throws LibraryMissing when it cannot.
const CurlApi& curl_api()
{
    static const CurlApi* const loaded = [] {
        // IMAGE_SECURE_LIBCURL names another libcurl (a private build; tests use a missing one).
        const char* path = std::getenv("IMAGE_SECURE_LIBCURL");
        void* handle = dlopen(path != nullptr && *path != '\0' ? path : "libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            const char* why = dlerror();
            throw LibraryMissing(std::string("registry commands need libcurl (libcurl.so.4, Debian/Ubuntu package "
                                             "libcurl4): ")
                                 + (why != nullptr ? why : "not found"));
        }
        static CurlApi api;
#define IMAGE_SECURE_CURL_LOOKUP(name)                                                                              \
    api.name = reinterpret_cast<decltype(&::name)>(dlsym(handle, #name));                                          \
    if (api.name == nullptr) {                                                                                     \
        throw LibraryMissing("libcurl.so.4 has no " #name " (libcurl 7.66 or newer is needed)");                   \
    }
        IMAGE_SECURE_CURL_FUNCTIONS(IMAGE_SECURE_CURL_LOOKUP)
#undef IMAGE_SECURE_CURL_LOOKUP
        api.curl_global_init(CURL_GLOBAL_DEFAULT); // once per process; the library stays loaded
        return &api;
    }();
    g_curl = loaded;
    return *loaded;
}

} // namespace

// ------------------------------------------------------------------------------------ URLs

namespace {

struct UrlFree {
    void operator()(CURLU* u) const { g_curl->curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlFree>;

std::string url_part(CURLU* url, CURLUPart part, unsigned flags = 0)
{
    char* text = nullptr;
    if (g_curl->curl_url_get(url, part, &text, flags) != CURLUE_OK || text == nullptr) {
        return {};
    }
    std::string out(text);
    g_curl->curl_free(text);
    return out;
}

} // namespace

std::string resolve_url(const std::string& base, const std::string& location)
{
    curl_api();
    const UrlHandle url(g_curl->curl_url());
    if (!url || g_curl->curl_url_set(url.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK
        || g_curl->curl_url_set(url.get(), CURLUPART_URL, location.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        return location;
    }
    return url_part(url.get(), CURLUPART_URL);
}

std::string url_origin(const std::string& url_text)
{
    curl_api();
    const UrlHandle url(g_curl->curl_url());
    if (!url || g_curl->curl_url_set(url.get(), CURLUPART_URL, url_text.c_str(), 0) != CURLUE_OK) {
        return {};
    }
    return ascii_lower(url_part(url.get(), CURLUPART_SCHEME) + "://" + url_part(url.get(), CURLUPART_HOST) + ":"
                       + url_part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT));
}

std::string redact_url(const std::string& url)
{
    return url.substr(0, url.find_first_of("?#"));
}

std::string url_encode(std::string_view text)
{
    static constexpr const char* k_hex = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' || c == '_'
            || c == '.' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += k_hex[u >> 4U];
            out += k_hex[u & 0xFU];
        }
    }
    return out;
}

std::optional<double> parse_retry_after(std::string_view value, std::int64_t now_epoch)
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (value.size() > 9) {
            return 1e9;
        }
        return static_cast<double>(std::stoll(std::string(value)));
    }
    const std::string text(value);
    curl_api();
    const time_t when = g_curl->curl_getdate(text.c_str(), nullptr);
    if (when == -1) {
        return std::nullopt;
    }
    return std::max(0.0, static_cast<double>(static_cast<std::int64_t>(when) - now_epoch));
}

const std::string* Response::header(std::string_view lower_name) const
{
    for (const auto& [name, value] : headers) {
        if (name == lower_name) {
            return &value;
        }
    }
    return nullptr;
}

// ------------------------------------------------------------------------------------ Transport

namespace {

struct MultiFree {
    void operator()(CURLM* m) const { g_curl->curl_multi_cleanup(m); }
};
struct ShareFree {
    void operator()(CURLSH* s) const { g_curl->curl_share_cleanup(s); }
};
struct EasyFree {
    void operator()(CURL* e) const { g_curl->curl_easy_cleanup(e); }
};
struct ListFree {
    void operator()(curl_slist* l) const { g_curl->curl_slist_free_all(l); }
};
using EasyHandle = std::unique_ptr<CURL, EasyFree>;
using HeaderList = std::unique_ptr<curl_slist, ListFree>;

constexpr std::size_t k_unpause_room = 1U << 20U;
constexpr int k_max_redirects = 5;

bool is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string trim(std::string_view s)
{
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    return std::string(s);
}

} // namespace

struct Transport::Impl {
    struct Transfer {
        std::size_t index = 0;
        Request request;
        Response response;
        EasyHandle easy;
        HeaderList headers;
        std::array<char, CURL_ERROR_SIZE> error{};
        std::size_t body_offset = 0;
        bool write_paused = false;
        bool read_paused = false;
        bool too_large = false;
        int hops = 0;
        int resumes = 0;
        std::int64_t skip = 0;       ///< bytes of a 200 answer to a resumed GET already in the pipe
        std::string original_url;    ///< before redirects: where a resumed GET starts again
        std::string original_authorization;
        bool resume_check = false;   ///< a resumed GET: is the first answer 206 or 200?
        std::chrono::steady_clock::time_point last_progress; ///< when a byte last moved
        curl_off_t last_bytes = -1;
        bool stall_hit = false;
        long stall_seconds = 30;
        std::chrono::steady_clock::time_point due; ///< a resumed GET waits until then
        std::chrono::steady_clock::time_point started;
    };

    std::unique_ptr<CURLM, MultiFree> multi{g_curl->curl_multi_init()};
    std::unique_ptr<CURLSH, ShareFree> share{g_curl->curl_share_init()};
    const TransportOptions& options;

    explicit Impl(const TransportOptions& opts) : options(opts)
    {
        if (!multi || !share) {
            throw std::runtime_error("libcurl initialisation failed");
        }
        g_curl->curl_multi_setopt(multi.get(), CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
        g_curl->curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.concurrency));
        g_curl->curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        g_curl->curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto* t = static_cast<Transfer*>(user);
        const std::string_view line(data, size * count);
        if (line.rfind("HTTP/", 0) == 0) {
            t->response.headers.clear(); // a new response in the chain (100, 401, ...)
            return line.size();
        }
        const auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            t->response.headers.emplace_back(ascii_lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
        }
        return line.size();
    }

    static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto* t = static_cast<Transfer*>(user);
        const std::size_t n = size * count;
        long status = 0;
        g_curl->curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &status);
        if (t->request.download && status >= 200 && status < 300) {
            if (t->resume_check) {
                t->resume_check = false;
                if (status == 206) {
                    t->skip = 0; // the server resumed where we asked
                }
            }
            if (t->skip > 0) { // a resumed GET the server answered from the start
                const auto drop = static_cast<std::size_t>(std::min<std::int64_t>(t->skip, static_cast<std::int64_t>(n)));
                t->skip -= static_cast<std::int64_t>(drop);
                if (drop == n) {
                    return n;
                }
                if (t->request.download->write(data + drop, n - drop)) {
                    return n;
                }
                t->skip += static_cast<std::int64_t>(drop); // nothing taken: libcurl will offer it again
            } else if (t->request.download->write(data, n)) {
                return n;
            }
            if (t->request.download->reader_closed() || t->request.download->failed()) {
                return 0; // abort
            }
            t->write_paused = true;
            return CURL_WRITEFUNC_PAUSE;
        }
        if (t->response.body.size() + n > t->request.max_body) {
            t->too_large = true;
            return 0;
        }
        t->response.body.append(data, n);
        return n;
    }

    static int on_progress(void* user, curl_off_t /*dltotal*/, curl_off_t dlnow, curl_off_t /*ultotal*/,
                           curl_off_t ulnow)
    {
        auto* t = static_cast<Transfer*>(user);
        const auto now = std::chrono::steady_clock::now();
        if (dlnow + ulnow != t->last_bytes || t->write_paused || t->read_paused) {
            t->last_bytes = dlnow + ulnow;
            t->last_progress = now;
            return 0;
        }
        if (now - t->last_progress > std::chrono::seconds(t->stall_seconds)) {
            t->stall_hit = true;
            return 1; // abort
        }
        return 0;
    }

    static std::size_t on_read(char* out, std::size_t size, std::size_t count, void* user)
    {
        auto* t = static_cast<Transfer*>(user);
        const std::size_t n = size * count;
        if (t->request.upload) {
            Pipe& pipe = *t->request.upload;
            if (pipe.failed()) {
                return CURL_READFUNC_ABORT;
            }
            if (const std::size_t got = pipe.read(out, n); got > 0) {
                return got;
            }
            if (pipe.at_end()) {
                return 0;
            }
            t->read_paused = true;
            return CURL_READFUNC_PAUSE;
        }
        const std::size_t left = t->request.body.size() - t->body_offset;
        const std::size_t take = std::min(left, n);
        std::memcpy(out, t->request.body.data() + t->body_offset, take);
        t->body_offset += take;
        return take;
    }

    /// A fresh easy handle per transfer: reusing one on a multiplexed HTTP/2 connection right
    /// after its previous stream ended is where libcurl 7.88 has been seen to hand one stream's
    /// response to another transfer (the mirror's digest check caught it once under ASan).
    /// Connections, TLS sessions and DNS live in the multi and share handles, not here.
    static EasyHandle new_easy()
    {
        EasyHandle e(g_curl->curl_easy_init());
        if (!e) {
            throw std::runtime_error("curl_easy_init failed");
        }
        return e;
    }

    void setup(Transfer& t)
    {
        CURL* e = t.easy.get();
        const Request& r = t.request;
        t.response = Response{};
        t.body_offset = 0;
        t.too_large = false;
        t.write_paused = t.read_paused = false;
        t.error.fill(0);
        g_curl->curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
        g_curl->curl_easy_setopt(e, CURLOPT_SHARE, share.get());
        g_curl->curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
        g_curl->curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error.data());
        g_curl->curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        g_curl->curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        g_curl->curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        // Streams (blob copies) get their own HTTP/1.1 connections: one h2 connection's flow
        // control would make every layer share one window. Requests with a body (PUT, POST,
        // PATCH) use HTTP/1.1 too: small, rare, and clear of libcurl 7.88's h2 upload paths.
        // Reads (HEAD, GET) multiplex over h2.
        const bool stream = r.upload || r.download || !r.body.empty() || (r.method != "GET" && r.method != "HEAD");
        g_curl->curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                         static_cast<long>(stream ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS));
        g_curl->curl_easy_setopt(e, CURLOPT_PIPEWAIT, stream ? 0L : 1L);
        g_curl->curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
        g_curl->curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        g_curl->curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024L);
        g_curl->curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024L);
        g_curl->curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
        // Progress, not duration, decides: a transfer that moves no byte for stall_seconds ends.
        // (A transfer paused on its pipe is exempt: its partner is what is slow.)
        t.last_progress = std::chrono::steady_clock::now();
        t.last_bytes = -1;
        t.stall_seconds = options.stall_seconds;
        t.stall_hit = false;
        g_curl->curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        g_curl->curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &Impl::on_progress);
        g_curl->curl_easy_setopt(e, CURLOPT_XFERINFODATA, &t);
        if (r.timeout_seconds > 0) {
            g_curl->curl_easy_setopt(e, CURLOPT_TIMEOUT, r.timeout_seconds);
        }
        if (!options.user_agent.empty()) {
            g_curl->curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
        }
        g_curl->curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, r.tls.verify ? 1L : 0L);
        g_curl->curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, r.tls.verify ? 2L : 0L);
        if (!r.tls.ca_file.empty()) {
            g_curl->curl_easy_setopt(e, CURLOPT_CAINFO, r.tls.ca_file.c_str());
        }
        if (!r.tls.client_cert.empty()) {
            g_curl->curl_easy_setopt(e, CURLOPT_SSLCERT, r.tls.client_cert.c_str());
            g_curl->curl_easy_setopt(e, CURLOPT_SSLKEY, r.tls.client_key.c_str());
        }
        g_curl->curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::on_header);
        g_curl->curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
        g_curl->curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_write);
        g_curl->curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);

        curl_slist* list = nullptr;
        for (const auto& h : r.headers) {
            list = g_curl->curl_slist_append(list, h.c_str());
        }
        if (!r.authorization.empty()) {
            const std::string h = "Authorization: " + r.authorization;
            list = g_curl->curl_slist_append(list, h.c_str());
        }
        list = g_curl->curl_slist_append(list, "Expect:");
        t.headers.reset(list);
        g_curl->curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);

        const bool has_body = r.upload || !r.body.empty();
        if (r.method == "HEAD") {
            g_curl->curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        } else if (r.method == "GET") {
            g_curl->curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        } else if (r.method == "POST" && !r.upload) {
            g_curl->curl_easy_setopt(e, CURLOPT_POST, 1L);
            g_curl->curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
            g_curl->curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
        } else if (has_body || r.method == "PUT" || r.method == "PATCH") {
            g_curl->curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
            g_curl->curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
            g_curl->curl_easy_setopt(e, CURLOPT_READFUNCTION, &Impl::on_read);
            g_curl->curl_easy_setopt(e, CURLOPT_READDATA, &t);
            const curl_off_t size = r.upload ? static_cast<curl_off_t>(r.upload_size)
                                             : static_cast<curl_off_t>(r.body.size());
            g_curl->curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, size);
        } else {
            g_curl->curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
        }
        t.started = std::chrono::steady_clock::now();
        if (options.log) {
            options.log("> " + r.method + " " + redact_url(r.url));
        }
    }

    /// True when the transfer went on to a redirect target.
    bool follow(Transfer& t)
    {
        const Request& r = t.request;
        if (!r.follow_redirects || !is_redirect(t.response.status) || r.upload || t.hops >= k_max_redirects) {
            return false;
        }
        const std::string* location = t.response.header("location");
        if (location == nullptr || location->empty()) {
            return false;
        }
        const std::string next = resolve_url(r.url, *location);
        if (ascii_lower(r.url.substr(0, 8)) == "https://" && ascii_lower(next.substr(0, 7)) == "http://"
            && !(options.plain_allowed && options.plain_allowed(next))) {
            t.response.error = "refusing to follow a redirect from HTTPS to plain HTTP ("
                               + printable(redact_url(next), 200) + ")";
            t.response.status = 0;
            return false;
        }
        if (url_origin(next) != url_origin(r.url)) {
            t.request.authorization.clear(); // never forward credentials to another origin
        }
        if (t.response.status == 303) {
            t.request.method = "GET";
            t.request.body.clear();
        }
        t.request.url = next;
        ++t.hops;
        return true;
    }

    void finish(Transfer& t, CURLcode code)
    {
        CURL* e = t.easy.get();
        g_curl->curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t.response.status);
        long version = 0;
        g_curl->curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
        t.response.http_version = version == CURL_HTTP_VERSION_2_0 ? "HTTP/2" : "HTTP/1.1";
        t.response.url = t.request.url;
        if (code != CURLE_OK) {
            if (t.too_large) {
                t.response.error = "response larger than " + std::to_string(t.request.max_body) + " bytes";
            } else if (t.request.download && t.request.download->failed()) {
                t.response.error = t.request.download->error();
            } else if (t.request.upload && t.request.upload->failed()) {
                t.response.error = t.request.upload->error();
            } else if (code == CURLE_OPERATION_TIMEDOUT || (code == CURLE_ABORTED_BY_CALLBACK && t.stall_hit)) {
                t.response.stalled = true;
                t.response.error = "no data for " + std::to_string(options.stall_seconds) + " s from "
                                   + url_origin(t.request.url) + " (the server stalled)";
            } else {
                t.response.error = t.error[0] != 0 ? std::string(t.error.data()) : g_curl->curl_easy_strerror(code);
            }
            t.response.status = t.response.error.empty() ? t.response.status : 0;
        }
        if (options.log) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                                  - t.started)
                                .count();
            options.log("< " + (t.response.error.empty() ? std::to_string(t.response.status) : t.response.error)
                        + " " + t.response.http_version + " " + std::to_string(ms) + " ms");
        }
    }

    /// A failed download into a pipe goes again, from where the pipe stands, while it may.
    bool schedule_resume(Transfer& t)
    {
        const Request& r = t.request;
        if (!r.download || t.resumes >= r.resume_attempts || r.download->failed() || r.download->reader_closed()
            || t.too_large) {
            return false;
        }
        const long s = t.response.status;
        const bool transient = !t.response.error.empty() || retryable_status(s);
        if (!transient) {
            return false;
        }
        ++t.resumes;
        double wait = std::min(0.25 * static_cast<double>(1U << static_cast<unsigned>(std::min(t.resumes, 8))),
                               options.max_retry_after);
        if (const std::string* after = t.response.header("retry-after")) {
            if (auto seconds = parse_retry_after(*after, static_cast<std::int64_t>(std::time(nullptr)))) {
                wait = std::min(std::max(wait, *seconds), options.max_retry_after);
            }
        }
        const std::int64_t have = r.download->transferred();
        if (options.log) {
            options.log("! " + (t.response.error.empty() ? "HTTP " + std::to_string(s) : t.response.error)
                        + ": resuming " + redact_url(t.original_url) + " at byte " + std::to_string(have) + " in "
                        + std::to_string(static_cast<int>(wait * 1000)) + " ms");
        }
        t.request.url = t.original_url;
        t.request.authorization = t.original_authorization;
        t.request.method = "GET";
        t.request.headers.erase(std::remove_if(t.request.headers.begin(), t.request.headers.end(),
                                               [](const std::string& h) {
                                                   return ascii_lower(h.substr(0, 6)) == "range:";
                                               }),
                                t.request.headers.end());
        if (have > 0) {
            t.request.headers.push_back("Range: bytes=" + std::to_string(have) + "-");
        }
        t.skip = have;
        t.resume_check = have > 0;
        t.hops = 0;
        t.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long long>(wait * 1000));
        return true;
    }

    std::vector<Response> perform(std::vector<Request>& requests)
    {
        std::deque<std::unique_ptr<Transfer>> pending;
        for (std::size_t i = 0; i < requests.size(); ++i) {
            auto t = std::make_unique<Transfer>();
            t->index = i;
            t->request = std::move(requests[i]);
            pending.push_back(std::move(t));
        }
        std::vector<Response> out(requests.size());
        std::vector<std::unique_ptr<Transfer>> active;
        std::vector<Transfer*> waiting; ///< active transfers waiting to resume
        const std::size_t limit = std::max(1U, options.concurrency);
        auto last_tick = std::chrono::steady_clock::now();
        auto start = [this, &active](std::unique_ptr<Transfer> t) {
            t->original_url = t->request.url;
            t->original_authorization = t->request.authorization;
            t->easy = new_easy();
            setup(*t);
            g_curl->curl_multi_add_handle(multi.get(), t->easy.get());
            active.push_back(std::move(t));
        };
        while (!pending.empty() || !active.empty()) {
            while (active.size() < limit && !pending.empty()) {
                auto t = std::move(pending.front());
                pending.pop_front();
                // The two ends of a pipe start together, whatever the limit: a download whose
                // reader has not started fills the pipe and waits forever (--concurrency 1).
                const auto partner = std::find_if(pending.begin(), pending.end(), [&t](const auto& p) {
                    return (t->request.download && p->request.upload == t->request.download)
                           || (t->request.upload && p->request.download == t->request.upload);
                });
                std::unique_ptr<Transfer> other;
                if (partner != pending.end()) {
                    other = std::move(*partner);
                    pending.erase(partner);
                }
                start(std::move(t));
                if (other) {
                    start(std::move(other));
                }
            }
            const auto now = std::chrono::steady_clock::now();
            for (auto it = waiting.begin(); it != waiting.end();) {
                if ((*it)->due <= now) {
                    (*it)->easy = new_easy();
                    setup(**it);
                    g_curl->curl_multi_add_handle(multi.get(), (*it)->easy.get());
                    it = waiting.erase(it);
                } else {
                    ++it;
                }
            }
            int running = 0;
            g_curl->curl_multi_perform(multi.get(), &running);
            int left = 0;
            while (CURLMsg* msg = g_curl->curl_multi_info_read(multi.get(), &left)) {
                if (msg->msg != CURLMSG_DONE) {
                    continue;
                }
                Transfer* done = nullptr;
                g_curl->curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &done);
                const CURLcode code = msg->data.result;
                g_curl->curl_multi_remove_handle(multi.get(), msg->easy_handle);
                finish(*done, code);
                if (done->response.error.empty() && follow(*done)) {
                    setup(*done);
                    g_curl->curl_multi_add_handle(multi.get(), done->easy.get());
                    continue;
                }
                if (schedule_resume(*done)) {
                    done->easy.reset();
                    done->write_paused = done->read_paused = false;
                    waiting.push_back(done);
                    continue;
                }
                if (done->request.download) {
                    if (done->response.ok()) {
                        done->request.download->finish();
                    } else {
                        done->request.download->fail(done->response.error.empty()
                                                         ? "HTTP " + std::to_string(done->response.status)
                                                         : done->response.error);
                    }
                }
                if (done->request.upload) {
                    done->request.upload->close_reader();
                }
                auto it = std::find_if(active.begin(), active.end(), [done](const auto& p) { return p.get() == done; });
                done->easy.reset();
                out[done->index] = std::move(done->response);
                active.erase(it);
            }
            bool paused = false;
            for (auto& t : active) {
                if (!t->easy) {
                    continue; // waiting to resume
                }
                if (t->write_paused) {
                    const Pipe& pipe = *t->request.download;
                    if (pipe.room() >= std::min(k_unpause_room, pipe.room() + pipe.buffered())
                        || pipe.reader_closed()) {
                        t->write_paused = false;
                        g_curl->curl_easy_pause(t->easy.get(), CURLPAUSE_CONT);
                    }
                }
                if (t->read_paused) {
                    const Pipe& pipe = *t->request.upload;
                    if (pipe.buffered() > 0 || pipe.at_end() || pipe.failed()) {
                        t->read_paused = false;
                        g_curl->curl_easy_pause(t->easy.get(), CURLPAUSE_CONT);
                    }
                }
                paused = paused || t->write_paused || t->read_paused;
            }
            if (!active.empty() || !pending.empty()) {
                int wait_ms = paused ? 1 : 200;
                for (const Transfer* w : waiting) {
                    const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
                        w->due - std::chrono::steady_clock::now());
                    wait_ms = std::max(0, std::min(wait_ms, static_cast<int>(until.count())));
                }
                g_curl->curl_multi_poll(multi.get(), nullptr, 0, wait_ms, nullptr);
            }
            if (options.tick && std::chrono::steady_clock::now() - last_tick > std::chrono::milliseconds(250)) {
                last_tick = std::chrono::steady_clock::now();
                options.tick();
            }
        }
        return out;
    }
};

Transport::Transport(TransportOptions options) : m_options(std::move(options))
{
    curl_api();
    m_impl = std::make_unique<Impl>(m_options);
}

Transport::~Transport() = default;

std::vector<Response> Transport::perform(std::vector<Request> requests)
{
    return m_impl->perform(requests);
}

Response Transport::perform_one(Request request)
{
    std::vector<Request> one;
    one.push_back(std::move(request));
    return std::move(m_impl->perform(one).front());
}

} // namespace image_secure::http
