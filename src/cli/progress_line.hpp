#pragma once

// The one-line progress display of long commands (mirror, audit) on a terminal's stderr.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace image_secure::cli {

/// Each show() rewrites the line ("\r" + text + "  N.N MB/s" since construction); clear()
/// blanks it before other output. Disabled: does nothing.
class ProgressLine {
  public:
    ProgressLine(std::ostream& err, bool enabled);

    /// Enabled when stderr is a terminal and the command is not -q.
    [[nodiscard]] static ProgressLine on_terminal(std::ostream& err, bool quiet);

    [[nodiscard]] bool enabled() const { return m_enabled; }

    void show(const std::string& text, std::int64_t bytes);
    void clear();

  private:
    std::ostream& m_err;
    bool m_enabled;
    std::chrono::steady_clock::time_point m_started;
    std::size_t m_width = 0;
};

} // namespace image_secure::cli
