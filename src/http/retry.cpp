#include <image_secure/http/retry.hpp>
#include <image_secure/http/url.hpp>

#include <algorithm>

namespace image_secure::http {

double retry_delay(int attempt, std::initializer_list<const Response*> responses, std::int64_t now_epoch, double cap) {
    const int doublings = std::clamp(attempt - 1, 0, 8);
    double wait = 0.25 * static_cast<double>(1U << static_cast<unsigned>(doublings));
    for (const Response* r : responses) {
        if (r == nullptr) {
            continue;
        }
        if (const std::string* after = r->header("retry-after")) {
            if (auto seconds = parse_retry_after(*after, now_epoch)) {
                wait = std::max(wait, *seconds);
            }
        }
    }
    return std::min(wait, cap);
}

} // namespace image_secure::http
