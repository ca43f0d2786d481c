#pragma once

#include <image_secure/base/digest.hpp>
#include <image_secure/http/body_sink.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace image_secure::http {

/// A bounded byte buffer that streams one download into one upload running in the same
/// `Transport::perform` call, hashing what passes through. Nothing is held beyond `capacity`.
class Pipe final : public BodySink {
  public:
    /// `expected_digest` ("sha256:…") and `expected_size` are checked before the upload
    /// may end: a mismatch aborts the upload, so the destination never commits bad bytes.
    Pipe(std::size_t capacity, std::string expected_digest, std::int64_t expected_size);
    ~Pipe();
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    /// Fills the buffer into `out` (at most `n` bytes); 0 at the end; an error sets `why`.
    using Producer = std::function<std::size_t(char* out, std::size_t n, std::string& why)>;

    /// The pipe feeds itself from `producer` (a local file) whenever the reader finds it empty,
    /// with the same size and digest checks: an upload with no download beside it.
    void set_producer(Producer producer) { m_producer = std::move(producer); }

    /// Writer side: false when there is no room for `n` bytes now (the writer pauses).
    bool write(const char* data, std::size_t n) override;
    /// Reader side: bytes copied (0 with `at_end()` at the end, 0 without it: wait).
    std::size_t read(char* out, std::size_t n);
    void finish() override;              ///< the writer is done; the content is checked now
    void fail(std::string why) override; ///< the writer failed; the reader aborts
    void close_reader();                 ///< the reader stopped; the writer aborts

    [[nodiscard]] bool at_end() const { return m_finished && m_size == 0; }

    [[nodiscard]] bool failed() const override { return !m_error.empty(); }

    [[nodiscard]] bool reader_closed() const { return m_reader_closed; }

    [[nodiscard]] bool consumer_gone() const override { return m_reader_closed; }

    [[nodiscard]] bool writable() const override;

    /// The bytes were wrong (size or digest), not merely interrupted: sending again won't help.
    [[nodiscard]] bool content_wrong() const { return m_content_wrong; }

    [[nodiscard]] const std::string& error() const override { return m_error; }

    [[nodiscard]] std::size_t buffered() const { return m_size; }

    [[nodiscard]] std::size_t room() const { return m_buffer.size() - m_size; }

    [[nodiscard]] std::int64_t transferred() const override { return m_total; }

  private:
    bool accept(const char* data, std::size_t n); ///< the size check and the hash of bytes coming in
    void produce();

    std::vector<char> m_buffer;
    Producer m_producer;
    std::size_t m_head = 0; ///< read position
    std::size_t m_size = 0; ///< bytes buffered
    std::int64_t m_total = 0;
    std::string m_expected_digest;
    std::int64_t m_expected_size;
    Hasher m_hash;
    bool m_finished = false;
    bool m_reader_closed = false;
    bool m_content_wrong = false;
    std::string m_error;
};

} // namespace image_secure::http
