#pragma once

// Which failed calls go again and how long to wait: connection errors and 408/429/5xx, up
// to max_attempts; a stalled server gets one more chance only; jittered backoff that honours
// Retry-After (http/retry.hpp). Private to src/registry/.

#include <image_secure/http/retry.hpp>
#include <image_secure/registry/registry.hpp>

#include <random>

namespace image_secure::registry_detail {

class RetryPolicy {
  public:
    explicit RetryPolicy(const RegistryOptions& options) : m_options(options) {}

    /// Is `response` worth another try, after `failed` failed attempts (counting this one)?
    /// A connection error or an answer that trying later may change (408/429/5xx).
    [[nodiscard]] static bool transient(const http::Response& response) {
        return !response.error.empty() || http::retryable_status(response.status);
    }

    /// `failed` counts transient failures only (a 401 that re-scoped is not one).
    [[nodiscard]] bool again(const http::Response& response, int failed) const {
        // A stalled server gets one more chance, not max_attempts × stall_seconds.
        return transient(response) && !(response.stalled && failed > 1) && failed < m_options.max_attempts;
    }

    /// Seconds to wait before the next try after `failed` failed attempts, with jitter.
    [[nodiscard]] double delay(const http::Response& response, int failed) {
        const double base = http::retry_delay(failed, {&response}, m_options.clock(), m_options.max_retry_after);
        std::uniform_real_distribution<double> jitter(0.0, 0.1 * base);
        return base + jitter(m_random);
    }

    void sleep(double seconds) const { m_options.sleep(seconds); }

    [[nodiscard]] int max_attempts() const { return m_options.max_attempts; }

  private:
    const RegistryOptions& m_options;
    std::mt19937 m_random{std::random_device{}()};
};

} // namespace image_secure::registry_detail
