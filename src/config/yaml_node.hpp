#pragma once

// yaml-cpp, for our own small configuration files (private to src/config/, its one home).
// yaml-cpp reports problems by throwing; nothing thrown leaves this area.

#include <image_secure/base/location.hpp>
#include <image_secure/base/result.hpp>

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace image_secure::config {

/// A usage error at `node`'s position in `source` ("rules.yaml:3:5").
[[nodiscard]] inline Error node_error(std::string_view source, const YAML::Node& node, const std::string& what) {
    const auto mark = node.Mark();
    return usage_error(what,
                       mark.line >= 0 ? format_location(
                           source, static_cast<std::size_t>(mark.line) + 1, static_cast<std::size_t>(mark.column) + 1)
                                      : std::string(source));
}

/// The YAML error `e` as a usage error "<what>: <message>" at its position.
[[nodiscard]] inline Error exception_error(const YAML::Exception& e, std::string_view source, std::string_view what) {
    return usage_error(std::string(what) + ": " + e.msg,
                       e.mark.line >= 0 ? format_location(source,
                                                          static_cast<std::size_t>(e.mark.line) + 1,
                                                          static_cast<std::size_t>(e.mark.column) + 1)
                                        : std::string(source));
}

/// Parses `text` into a node tree; a syntax error is a usage error "<what>: …" with its position.
[[nodiscard]] inline Result<YAML::Node>
load_yaml(std::string_view text, std::string_view source, std::string_view what) {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return exception_error(e, source, what);
    }
}

/// Runs a reader over loaded nodes; a conversion yaml-cpp refuses (`as<T>()` on a mapping)
/// becomes a usage error at its position instead of an exception.
template <class Reader>
[[nodiscard]] auto guarded(Reader&& read, std::string_view source, std::string_view what) -> decltype(read()) {
    try {
        return read();
    } catch (const YAML::Exception& e) {
        return exception_error(e, source, what);
    }
}

} // namespace image_secure::config
