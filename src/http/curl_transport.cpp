// libcurl's transport. With curl_library.cpp and url.cpp, the only files that include libcurl.
#include "curl_library.hpp"

#include <image_secure/base/text.hpp>
#include <image_secure/http/curl_transport.hpp>
#include <image_secure/http/redirect.hpp>
#include <image_secure/http/retry.hpp>
#include <image_secure/http/trust.hpp>
#include <image_secure/http/url.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>

namespace image_secure::http {

namespace {

const detail::CurlApi* g_curl = nullptr; ///< set before the first transport exists

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

constexpr int k_max_redirects = 5;

std::string trim(std::string_view s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    return std::string(s);
}

class CurlTransport final : public Transport {
  public:
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
        std::int64_t skip = 0;    ///< bytes of a 200 answer to a resumed GET already in the pipe
        std::string original_url; ///< before redirects: where a resumed GET starts again
        std::string original_authorization;
        bool resume_check = false;                           ///< a resumed GET: is the first answer 206 or 200?
        std::chrono::steady_clock::time_point last_progress; ///< when a byte last moved
        curl_off_t last_bytes = -1;
        bool stall_hit = false;
        long stall_seconds = 30;
        std::chrono::steady_clock::time_point due; ///< a resumed GET waits until then
        std::chrono::steady_clock::time_point started;
    };

    std::unique_ptr<CURLM, MultiFree> multi{g_curl->curl_multi_init()};
    std::unique_ptr<CURLSH, ShareFree> share{g_curl->curl_share_init()};
    TransportOptions options;
    bool trust_logged = false;
    std::map<std::string, std::string> trust_blobs; ///< --ca-file path -> system bundle + that file

    void set_tick(std::function<void()> tick) override { options.tick = std::move(tick); }

    explicit CurlTransport(TransportOptions opts) : options(std::move(opts)) {
        if (!multi || !share) {
            return; // perform() answers every request with an error
        }
        g_curl->curl_multi_setopt(multi.get(), CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
        g_curl->curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.concurrency));
        g_curl->curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        g_curl->curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
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

    static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
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
                const auto drop =
                    static_cast<std::size_t>(std::min<std::int64_t>(t->skip, static_cast<std::int64_t>(n)));
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
            if (t->request.download->consumer_gone() || t->request.download->failed()) {
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

    static int
    on_progress(void* user, curl_off_t /*dltotal*/, curl_off_t dlnow, curl_off_t /*ultotal*/, curl_off_t ulnow) {
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

    static std::size_t on_read(char* out, std::size_t size, std::size_t count, void* user) {
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
            if (pipe.failed()) {
                return CURL_READFUNC_ABORT; // a self-fed pipe whose file failed or was wrong
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
    static EasyHandle new_easy() { return EasyHandle(g_curl->curl_easy_init()); }

    void setup(Transfer& t) {
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
        g_curl->curl_easy_setopt(
            e, CURLOPT_HTTP_VERSION, static_cast<long>(stream ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS));
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
        g_curl->curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &CurlTransport::on_progress);
        g_curl->curl_easy_setopt(e, CURLOPT_XFERINFODATA, &t);
        if (r.timeout_seconds > 0) {
            g_curl->curl_easy_setopt(e, CURLOPT_TIMEOUT, r.timeout_seconds);
        }
        if (!options.user_agent.empty()) {
            g_curl->curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
        }
        g_curl->curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, r.tls.verify ? 1L : 0L);
        g_curl->curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, r.tls.verify ? 2L : 0L);
        set_trust(e, r);
        if (!r.tls.client_cert.empty()) {
            g_curl->curl_easy_setopt(e, CURLOPT_SSLCERT, r.tls.client_cert.c_str());
            g_curl->curl_easy_setopt(e, CURLOPT_SSLKEY, r.tls.client_key.c_str());
        }
        g_curl->curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &CurlTransport::on_header);
        g_curl->curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
        g_curl->curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &CurlTransport::on_write);
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
            g_curl->curl_easy_setopt(e, CURLOPT_READFUNCTION, &CurlTransport::on_read);
            g_curl->curl_easy_setopt(e, CURLOPT_READDATA, &t);
            const curl_off_t size =
                r.upload ? static_cast<curl_off_t>(r.upload_size) : static_cast<curl_off_t>(r.body.size());
            g_curl->curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, size);
        } else {
            g_curl->curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
        }
        t.started = std::chrono::steady_clock::now();
        if (options.log) {
            options.log("> " + r.method + " " + redact_url(r.url));
        }
    }

    /// The CAs a TLS request trusts: the system's (trust.hpp: no path compiled into libcurl is
    /// relied on) plus --ca-file / certs.d's ca.crt. libcurl takes one bundle, so an extra CA
    /// file goes in as one in-memory bundle with the system's.
    void set_trust(CURL* e, const Request& r) {
        const SystemTrust& trust = system_trust();
        if (!trust_logged && options.log && r.url.rfind("https://", 0) == 0) {
            trust_logged = true;
            options.log("TLS " + trust.describe());
        }
        if (!trust.dir.empty()) {
            g_curl->curl_easy_setopt(e, CURLOPT_CAPATH, trust.dir.c_str());
        }
        if (r.tls.ca_file.empty()) {
            if (!trust.file.empty()) {
                g_curl->curl_easy_setopt(e, CURLOPT_CAINFO, trust.file.c_str());
            }
            return;
        }
        const std::string* blob = trust.file.empty() ? nullptr : bundle_with(trust.file, r.tls.ca_file);
        if (blob == nullptr) {
            g_curl->curl_easy_setopt(e, CURLOPT_CAINFO, r.tls.ca_file.c_str()); // libcurl reports a bad file
            return;
        }
        curl_blob value{const_cast<char*>(blob->data()), blob->size(), CURL_BLOB_NOCOPY};
        g_curl->curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &value);
    }

    /// The system bundle and `extra` as one PEM text (read once per file), nullptr when either
    /// cannot be read.
    const std::string* bundle_with(const std::string& system, const std::string& extra) {
        if (auto it = trust_blobs.find(extra); it != trust_blobs.end()) {
            return &it->second;
        }
        std::ostringstream text;
        for (const auto* path : {&system, &extra}) {
            std::ifstream in(*path, std::ios::binary);
            if (!in) {
                return nullptr;
            }
            text << in.rdbuf() << '\n';
        }
        return &trust_blobs.emplace(extra, text.str()).first->second;
    }

    /// True when the transfer went on to a redirect target.
    bool follow(Transfer& t) {
        if (!t.request.follow_redirects || t.request.upload || t.hops >= k_max_redirects) {
            return false;
        }
        std::string refused;
        switch (apply_redirect(t.request, t.response, options.plain_allowed, refused)) {
        case RedirectStep::none:
            return false;
        case RedirectStep::refused:
            t.response.error = refused;
            t.response.status = 0;
            return false;
        case RedirectStep::follow:
            break;
        }
        ++t.hops;
        return true;
    }

    void finish(Transfer& t, CURLcode code) {
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
            const auto ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t.started)
                    .count();
            options.log("< " + (t.response.error.empty() ? std::to_string(t.response.status) : t.response.error) + " "
                        + t.response.http_version + " " + std::to_string(ms) + " ms");
        }
    }

    /// A failed download into a pipe goes again, from where the pipe stands, while it may.
    bool schedule_resume(Transfer& t) {
        const Request& r = t.request;
        if (!r.download || t.resumes >= r.resume_attempts || r.download->failed() || r.download->consumer_gone()
            || t.too_large) {
            return false;
        }
        const long s = t.response.status;
        const bool transient = !t.response.error.empty() || retryable_status(s);
        if (!transient) {
            return false;
        }
        ++t.resumes;
        const double wait = retry_delay(
            t.resumes + 1, {&t.response}, static_cast<std::int64_t>(std::time(nullptr)), options.max_retry_after);
        const std::int64_t have = r.download->transferred();
        if (options.log) {
            options.log("! " + (t.response.error.empty() ? "HTTP " + std::to_string(s) : t.response.error)
                        + ": resuming " + redact_url(t.original_url) + " at byte " + std::to_string(have) + " in "
                        + std::to_string(static_cast<int>(wait * 1000)) + " ms");
        }
        t.request.url = t.original_url;
        t.request.authorization = t.original_authorization;
        t.request.method = "GET";
        t.request.headers.erase(
            std::remove_if(t.request.headers.begin(),
                           t.request.headers.end(),
                           [](const std::string& h) { return ascii_lower(h.substr(0, 6)) == "range:"; }),
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

    /// A transfer that cannot get an easy handle (out of memory) ends with an error.
    static void give_up(Transfer& t, std::vector<Response>& out) {
        t.response = Response{};
        t.response.error = "cannot start a transfer (curl_easy_init failed)";
        if (t.request.download) {
            t.request.download->fail(t.response.error);
        }
        if (t.request.upload) {
            t.request.upload->close_reader();
        }
        out[t.index] = std::move(t.response);
    }

    std::vector<Response> perform(std::vector<Request> requests) override {
        if (!multi || !share) {
            std::vector<Response> failed(requests.size());
            for (auto& r : failed) {
                r.error = "libcurl initialisation failed";
            }
            return failed;
        }
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
        auto start = [this, &active, &out](std::unique_ptr<Transfer> t) {
            t->original_url = t->request.url;
            t->original_authorization = t->request.authorization;
            t->easy = new_easy();
            if (!t->easy) {
                give_up(*t, out);
                return;
            }
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
                    if (!(*it)->easy) {
                        Transfer* gone = *it;
                        give_up(*gone, out);
                        active.erase(std::find_if(
                            active.begin(), active.end(), [gone](const auto& p) { return p.get() == gone; }));
                        it = waiting.erase(it);
                        continue;
                    }
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
                    if (t->request.download->writable()) {
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

} // namespace

std::unique_ptr<Transport> make_curl_transport(TransportOptions options) {
    g_curl = detail::curl();
    return std::make_unique<CurlTransport>(std::move(options));
}

} // namespace image_secure::http
