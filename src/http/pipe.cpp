#include <image_secure/http/pipe.hpp>

#include <algorithm>
#include <cstring>

namespace image_secure::http {

Pipe::Pipe(std::size_t capacity, std::string expected_digest, std::int64_t expected_size)
    : m_buffer(capacity), m_expected_digest(std::move(expected_digest)), m_expected_size(expected_size),
      m_hash(std::string_view(m_expected_digest).substr(0, m_expected_digest.find(':'))) {}

Pipe::~Pipe() = default;

bool Pipe::accept(const char* data, std::size_t n) {
    if (m_expected_size >= 0 && m_total + static_cast<std::int64_t>(n) > m_expected_size) {
        fail("more bytes than the descriptor's size " + std::to_string(m_expected_size));
        m_content_wrong = true;
        return false;
    }
    m_hash.update(std::string_view(data, n));
    return true;
}

void Pipe::produce() {
    // Only an empty buffer is refilled, from its start: the producer writes in place.
    m_head = 0;
    std::string why;
    const std::size_t n = m_producer(m_buffer.data(), m_buffer.size(), why);
    if (!why.empty()) {
        fail(std::move(why));
        return;
    }
    if (n == 0) {
        finish();
        return;
    }
    if (!accept(m_buffer.data(), n)) {
        return;
    }
    m_size = n;
    m_total += static_cast<std::int64_t>(n);
    if (m_total == m_expected_size) {
        // The last piece is checked before it goes out: a wrong blob never completes its upload.
        finish();
        if (failed()) {
            m_size = 0;
        }
    }
}

bool Pipe::write(const char* data, std::size_t n) {
    if (m_reader_closed || !m_error.empty() || room() < n) {
        return false;
    }
    if (!accept(data, n)) {
        return false;
    }
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

std::size_t Pipe::read(char* out, std::size_t n) {
    if (m_size == 0 && m_producer && !m_finished && m_error.empty()) {
        produce();
    }
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

void Pipe::finish() {
    if (!m_error.empty() || m_finished) {
        return;
    }
    if (m_expected_size >= 0 && m_total != m_expected_size) {
        fail("got " + std::to_string(m_total) + " bytes, the descriptor says " + std::to_string(m_expected_size));
        m_content_wrong = true;
        return;
    }
    const std::string hex = m_hash.hex_final();
    const auto colon = m_expected_digest.find(':');
    if (!m_expected_digest.empty() && m_expected_digest.substr(colon + 1) != hex) {
        fail("content does not match digest " + m_expected_digest);
        m_content_wrong = true;
        return;
    }
    m_finished = true;
}

void Pipe::fail(std::string why) {
    if (m_error.empty()) {
        m_error = why.empty() ? "transfer failed" : std::move(why);
    }
}

void Pipe::close_reader() { m_reader_closed = true; }

bool Pipe::writable() const {
    // Resume a paused writer only when a good share of the buffer is free again: waking it
    // for every few bytes read costs more than the copy.
    constexpr std::size_t k_unpause_room = 1U << 20U;
    return room() >= std::min(k_unpause_room, m_buffer.size()) || m_reader_closed;
}

} // namespace image_secure::http
