#pragma once

// The layout of our JSON outputs (images, registry resolve/inspect, mirror): values are built
// as nlohmann::ordered_json, escaped by nlohmann, and laid out one record per line so that
// `grep` and line-based diffs work on them. (The Secret's Go-exact bytes have their own
// writer in secret/; `ref -o json` streams millions of records and writes them directly.)

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

namespace image_secure {

/// `records` (an array) as `[\n  {"key": value, ...},\n  ...\n]\n`, or `[]\n` when empty.
/// Members keep their order, with ": " and ", " between them; an array of objects under a key
/// named in `expanded` puts each object on a line of its own, indented once more.
[[nodiscard]] std::string render_json_records(const nlohmann::ordered_json& records,
                                              std::initializer_list<std::string_view> expanded = {});

} // namespace image_secure
