#include <image_secure/findings/finding.hpp>

namespace image_secure {

std::string_view severity_name(Severity severity) {
    switch (severity) {
    case Severity::info:
        return "info";
    case Severity::warning:
        return "warning";
    case Severity::error:
        return "error";
    }
    return "error";
}

Result<Severity> parse_severity(std::string_view text) {
    if (text == "error") {
        return Severity::error;
    }
    if (text == "warning") {
        return Severity::warning;
    }
    if (text == "info") {
        return Severity::info;
    }
    return usage_error("severity must be error, warning or info, not \"" + std::string(text) + "\"");
}

const RuleInfo* Catalogue::find(std::string_view id) const {
    for (const auto& info : rules) {
        if (info.id == id) {
            return &info;
        }
    }
    return nullptr;
}

} // namespace image_secure
