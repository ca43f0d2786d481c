#pragma once

#include <image_secure/result.hpp>

#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// One input: its display name ("-" shown as "<stdin>") and its bytes.
struct InputFile {
    std::string path;    ///< as given or found; "-" for stdin
    std::string display; ///< the name used in messages
    std::string bytes;
};

/// Reads a whole file; errors name the path.
[[nodiscard]] Result<std::string> read_file(const std::string& path);

/// Reads at most `limit` bytes of a file, pipe or device; more is an error (so `/dev/zero`
/// or a huge file given where a password belongs ends quickly).
[[nodiscard]] Result<std::string> read_file_limited(const std::string& path, std::size_t limit);

/// Reads at most `limit` bytes of a stream; more is an error naming `what`.
[[nodiscard]] Result<std::string> read_stream_limited(std::istream& in, std::size_t limit, const std::string& what);

/// Reads all of a stream (stdin).
[[nodiscard]] std::string read_stream(std::istream& in);

/// Expands paths: files as given, directories to their *.yaml|*.yml|*.json files (sorted;
/// recursively with `recursive`), "-" kept. Missing paths are an error.
[[nodiscard]] Result<std::vector<std::string>> expand_paths(const std::vector<std::string>& paths,
                                                            bool recursive);

/// Reads every expanded path ("-" from `in`, at most once).
[[nodiscard]] Result<std::vector<InputFile>> read_inputs(const std::vector<std::string>& paths,
                                                         bool recursive, std::istream& in);

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// keeping the original file's mode.
[[nodiscard]] Result<Ok> write_atomically(const std::string& path, std::string_view bytes);

} // namespace image_secure
