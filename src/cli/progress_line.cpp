#include "cli/progress_line.hpp"

#include <cstdio>
#include <ostream>
#include <unistd.h>

namespace image_secure::cli {

ProgressLine::ProgressLine(std::ostream& err, bool enabled)
    : m_err(err), m_enabled(enabled), m_started(std::chrono::steady_clock::now()) {}

ProgressLine ProgressLine::on_terminal(std::ostream& err, bool quiet) {
    return {err, !quiet && ::isatty(STDERR_FILENO) == 1};
}

void ProgressLine::show(const std::string& text, std::int64_t bytes) {
    if (!m_enabled) {
        return;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
    char rate[48];
    std::snprintf(rate, sizeof rate, "  %.1f MB/s", seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0);
    const std::string line = "\r" + text + rate;
    m_width = line.size();
    m_err << line << std::flush;
}

void ProgressLine::clear() {
    if (m_enabled && m_width > 0) {
        m_err << "\r" << std::string(m_width, ' ') << "\r" << std::flush;
    }
}

} // namespace image_secure::cli
