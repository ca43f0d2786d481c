#pragma once

// The findings model every checker reports in (validate's IS0xx, audit's IS1xx): rules in a
// catalogue, findings at a file position, severities, suppression. Renderers
// (findings/report.hpp) take the catalogue they report against.

#include <image_secure/base/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

enum class Severity { info, warning, error };

[[nodiscard]] std::string_view severity_name(Severity severity);
[[nodiscard]] Result<Severity> parse_severity(std::string_view text);

/// One rule of a catalogue.
struct RuleInfo {
    std::string_view id;
    std::string_view name;
    Severity severity;
    bool enabled; ///< by default
    std::string_view summary;
    std::string_view help;
};

/// The rules one command checks, in order.
struct Catalogue {
    std::string_view command; ///< "validate": names the JUnit suite and the SARIF run
    std::vector<RuleInfo> rules;

    /// The entry of `id`, or nullptr for an id this catalogue does not know.
    [[nodiscard]] const RuleInfo* find(std::string_view id) const;
};

/// One finding at a place in an input.
struct Finding {
    std::string file;
    std::size_t line = 1;
    std::size_t column = 1;
    Severity severity = Severity::error;
    std::string rule;
    std::string message;
    std::string object; ///< "Kind/name" or ""
    bool suppressed = false;
    std::string justification; ///< the annotation's reason, when suppressed
};

} // namespace image_secure
