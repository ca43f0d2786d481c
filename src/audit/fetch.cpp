#include "fetch.hpp"

#include <image_secure/base/io.hpp>
#include <image_secure/base/text.hpp>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <thread>

namespace image_secure::audit {

namespace {

constexpr std::size_t k_queue_capacity = 4U << 20U; ///< bytes queued per transfer before it pauses

/// A BodySink that hands the body to a LayerReader on its own thread: the transport's write
/// callback only queues bytes, so several layers decompress in parallel.
class LayerSink final : public http::BodySink {
  public:
    LayerSink(const LayerJob& job, std::int64_t max_uncompressed, std::atomic<std::int64_t>& bytes)
        : m_reader(job.digest, job.media_type, job.size, max_uncompressed), m_bytes(bytes) {}

    ~LayerSink() override {
        {
            const std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        if (m_worker.joinable()) {
            m_worker.join();
        }
    }

    LayerSink(const LayerSink&) = delete;
    LayerSink& operator=(const LayerSink&) = delete;

    bool write(const char* data, std::size_t n) override {
        const std::lock_guard lock(m_mutex);
        if (!m_error.empty() || !m_reader_error.empty()) {
            return false;
        }
        if (m_queued > 0 && m_queued + n > k_queue_capacity) {
            return false;
        }
        m_queue.emplace_back(data, n);
        m_queued += n;
        m_total += static_cast<std::int64_t>(n);
        m_bytes += static_cast<std::int64_t>(n);
        start_locked();
        m_wake.notify_one();
        return true;
    }

    [[nodiscard]] bool writable() const override {
        const std::lock_guard lock(m_mutex);
        return !m_reader_error.empty() || m_queued < k_queue_capacity / 2;
    }

    void finish() override {
        const std::lock_guard lock(m_mutex);
        m_finished = true;
        start_locked();
        m_wake.notify_one();
    }

    void fail(std::string why) override {
        const std::lock_guard lock(m_mutex);
        if (m_error.empty()) {
            m_error = std::move(why);
        }
        m_wake.notify_one();
    }

    [[nodiscard]] bool failed() const override {
        const std::lock_guard lock(m_mutex);
        return !m_error.empty() || !m_reader_error.empty();
    }

    [[nodiscard]] const std::string& error() const override {
        const std::lock_guard lock(m_mutex);
        return m_reader_error.empty() ? m_error : m_reader_error;
    }

    [[nodiscard]] bool consumer_gone() const override { return false; }

    [[nodiscard]] std::int64_t transferred() const override {
        const std::lock_guard lock(m_mutex);
        return m_total;
    }

    /// After the transfer: the summary, the reader's error, or the transport's.
    Result<layer::LayerSummary> result() {
        {
            const std::lock_guard lock(m_mutex);
            if (!m_finished && m_error.empty()) {
                m_error = "the transfer did not complete"; // the transport is done with it
            }
            start_locked(); // a body that never arrived: the worker sees the state and ends
            m_wake.notify_one();
        }
        m_worker.join();
        const std::lock_guard lock(m_mutex);
        if (!m_reader_error.empty()) {
            return Error{ErrorKind::network, m_reader_error, {}};
        }
        if (!m_error.empty() || !m_result) {
            return Error{
                ErrorKind::network, m_error.empty() ? std::string("the layer could not be read") : m_error, {}};
        }
        return std::move(*m_result);
    }

    /// Did the reader (not the transport) reject the bytes?
    [[nodiscard]] bool reader_failed() const {
        const std::lock_guard lock(m_mutex);
        return !m_reader_error.empty();
    }

  private:
    void start_locked() {
        if (!m_worker.joinable()) {
            m_worker = std::thread([this] { work(); });
        }
    }

    void work() {
        for (;;) {
            std::string chunk;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return !m_queue.empty() || m_finished || !m_error.empty() || m_stop; });
                if (m_queue.empty()) {
                    if (m_finished && m_error.empty()) {
                        lock.unlock();
                        auto summary = m_reader.finish();
                        lock.lock();
                        if (summary) {
                            m_result = std::move(*summary);
                        } else {
                            m_reader_error = summary.error().what;
                        }
                    }
                    return;
                }
                chunk = std::move(m_queue.front());
                m_queue.pop_front();
                m_queued -= chunk.size();
            }
            if (auto e = m_reader.push(chunk); !e.empty()) {
                const std::lock_guard lock(m_mutex);
                m_reader_error = std::move(e);
                m_queue.clear();
                m_queued = 0;
                return;
            }
        }
    }

    layer::LayerReader m_reader;
    std::atomic<std::int64_t>& m_bytes;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::string> m_queue;
    std::size_t m_queued = 0;
    std::int64_t m_total = 0;
    bool m_finished = false;
    bool m_stop = false;
    std::string m_error;        ///< the transport's
    std::string m_reader_error; ///< the reader's (corrupt, truncated, digest)
    std::optional<layer::LayerSummary> m_result;
    std::thread m_worker;
};

} // namespace

LayerCache::LayerCache(std::string dir) : m_dir(std::move(dir)) {}

std::string LayerCache::file_of(const std::string& digest) const {
    std::string name = digest;
    std::replace(name.begin(), name.end(), ':', '-');
    return m_dir + "/" + name + ".v" + std::to_string(layer::k_summary_format);
}

SummaryPtr LayerCache::get(const std::string& digest) {
    {
        const std::lock_guard lock(m_mutex);
        if (const auto it = m_memory.find(digest); it != m_memory.end()) {
            return it->second;
        }
    }
    if (m_dir.empty() || digest.find('/') != std::string::npos) {
        return nullptr;
    }
    std::ifstream in(file_of(digest), std::ios::binary);
    if (!in) {
        return nullptr;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto summary = layer::decode_summary(bytes);
    if (!summary || summary->digest != digest) {
        return nullptr; // corrupt or foreign: fetched again
    }
    auto ptr = std::make_shared<const layer::LayerSummary>(std::move(*summary));
    const std::lock_guard lock(m_mutex);
    m_memory.emplace(digest, ptr);
    return ptr;
}

void LayerCache::put(const SummaryPtr& summary) {
    {
        const std::lock_guard lock(m_mutex);
        m_memory[summary->digest] = summary;
    }
    if (m_dir.empty() || summary->digest.find('/') != std::string::npos) {
        return;
    }
    std::error_code ec;
    std::filesystem::create_directories(m_dir, ec);
    ::chmod(m_dir.c_str(), 0700);
    // A new file is 0600 (write_atomically's temp file); a failed write is not an error.
    (void)write_atomically(file_of(summary->digest), layer::encode_summary(*summary));
}

std::vector<Result<SummaryPtr>> fetch_layers(RegistryClient& client,
                                             const std::vector<LayerJob>& jobs,
                                             std::int64_t max_uncompressed,
                                             std::atomic<std::int64_t>& bytes_read) {
    std::vector<std::shared_ptr<LayerSink>> sinks;
    std::vector<RegistryCall> calls;
    for (const auto& job : jobs) {
        auto sink = std::make_shared<LayerSink>(job, max_uncompressed, bytes_read);
        RegistryCall call;
        call.host = job.host;
        call.path = "/v2/" + job.repository + "/blobs/" + job.digest;
        call.scopes.add(repository_scope(job.repository, "pull"));
        call.download = sink;
        call.resume_attempts = 1; // a dropped connection resumes once with Range
        calls.push_back(std::move(call));
        sinks.push_back(std::move(sink));
    }
    auto responses = client.send(std::move(calls));
    std::vector<Result<SummaryPtr>> out;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        auto summary = sinks[i]->result();
        if (sinks[i]->reader_failed()) {
            out.emplace_back(summary.error());
            continue;
        }
        if (!responses[i].ok()) {
            out.emplace_back(response_error(responses[i], "blob " + jobs[i].digest));
            continue;
        }
        if (!summary) {
            out.emplace_back(summary.error());
            continue;
        }
        out.emplace_back(std::make_shared<const layer::LayerSummary>(std::move(*summary)));
    }
    return out;
}

} // namespace image_secure::audit
