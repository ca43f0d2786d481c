#pragma once

#include <image_secure/base/result.hpp>

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
[[nodiscard]] Result<std::vector<std::string>> expand_paths(const std::vector<std::string>& paths, bool recursive);

/// Reads every expanded path ("-" from `in`, at most once).
[[nodiscard]] Result<std::vector<InputFile>>
read_inputs(const std::vector<std::string>& paths, bool recursive, std::istream& in);

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// keeping the original file's mode.
[[nodiscard]] Result<Ok> write_atomically(const std::string& path, std::string_view bytes);

/// One file to replace: its new bytes, and the bytes it had when it was read.
struct FileReplacement {
    std::string path;
    std::string bytes;
    std::string original;
};

/// Replaces every file or none: each is written to a temporary file beside its target (a
/// symlink's target, so the link stays a link), then each target is checked to still hold
/// `original` (a file another process changed since it was read is refused), then all are
/// renamed; a rename that fails rolls back the ones before it. Temporary files that an
/// earlier, killed run left beside a target are removed first.
[[nodiscard]] Result<Ok> replace_files(const std::vector<FileReplacement>& files);

} // namespace image_secure
