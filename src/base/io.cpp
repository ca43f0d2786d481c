#include <image_secure/base/io.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace image_secure {

namespace fs = std::filesystem;

Result<std::string> read_stream_limited(std::istream& in, std::size_t limit, const std::string& what) {
    std::string bytes(limit + 1, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > limit) {
        return input_error("more than " + std::to_string(limit) + " bytes", what);
    }
    return bytes;
}

Result<std::string> read_file_limited(const std::string& path, std::size_t limit) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        return input_error("is a directory", path);
    }
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        return input_error(std::string("cannot read file: ") + std::strerror(errno), path);
    }
    return read_stream_limited(stream, limit, path);
}

Result<std::string> read_file(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        return input_error("is a directory", path);
    }
    if (fs::exists(path, ec) && !fs::is_regular_file(path, ec)) {
        // A pipe, FIFO or character device (e.g. --password-file <(...)): it cannot seek.
        std::ifstream stream(path, std::ios::binary);
        if (!stream) {
            return input_error(std::string("cannot read file: ") + std::strerror(errno), path);
        }
        return read_stream(stream);
    }
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    if (!file) {
        return input_error(std::string("cannot read file: ") + std::strerror(errno), path);
    }
    // Size the buffer exactly: memory use is part of the contract (DESIGN.md).
    const auto size = file.tellg();
    std::string bytes;
    if (size > 0) {
        bytes.resize(static_cast<std::size_t>(size));
        file.seekg(0);
        file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!file) {
            return input_error("cannot read file", path);
        }
    } else {
        file.seekg(0);
        bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    }
    return bytes;
}

std::string read_stream(std::istream& in) {
    std::string bytes;
    std::array<char, 65536> chunk{};
    while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
        bytes.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    }
    return bytes;
}

namespace {

bool is_manifest_name(const fs::path& p) {
    const std::string ext = p.extension().string();
    return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

} // namespace

Result<std::vector<std::string>> expand_paths(const std::vector<std::string>& paths, bool recursive) {
    std::vector<std::string> out;
    for (const auto& path : paths) {
        if (path == "-") {
            out.push_back(path);
            continue;
        }
        std::error_code ec;
        const auto status = fs::status(path, ec);
        if (ec || !fs::exists(status)) {
            return input_error("no such file or directory", path);
        }
        if (!fs::is_directory(status)) {
            out.push_back(path);
            continue;
        }
        std::vector<std::string> found;
        // Every failure names the path it happened at (a symlink loop, an unreadable folder).
        Result<Ok> listed = Ok{};
        auto collect = [&](const fs::directory_entry& entry) -> Result<Ok> {
            if (!is_manifest_name(entry.path())) {
                return Ok{};
            }
            std::error_code file_ec;
            const bool regular = entry.is_regular_file(file_ec);
            if (file_ec) {
                return input_error("cannot read: " + file_ec.message(), entry.path().string());
            }
            if (regular) {
                found.push_back(entry.path().string());
            }
            return Ok{};
        };
        auto walk = [&](auto it) -> Result<Ok> {
            const decltype(it) end;
            if (ec) {
                return input_error("cannot list directory: " + ec.message(), path);
            }
            while (it != end) {
                if (auto r = collect(*it); !r) {
                    return r;
                }
                const std::string at = it->path().string();
                it.increment(ec);
                if (ec) {
                    return input_error("cannot list directory: " + ec.message(), at);
                }
            }
            return Ok{};
        };
        listed = recursive ? walk(fs::recursive_directory_iterator(path, ec)) : walk(fs::directory_iterator(path, ec));
        if (!listed) {
            return listed.error();
        }
        std::sort(found.begin(), found.end());
        out.insert(out.end(), found.begin(), found.end());
    }
    return out;
}

Result<std::vector<InputFile>> read_inputs(const std::vector<std::string>& paths, bool recursive, std::istream& in) {
    auto expanded = expand_paths(paths, recursive);
    if (!expanded) {
        return expanded.error();
    }
    std::vector<InputFile> inputs;
    bool stdin_read = false;
    for (const auto& path : *expanded) {
        if (path == "-") {
            if (stdin_read) {
                return usage_error("standard input given more than once", "-f -");
            }
            stdin_read = true;
            inputs.push_back({path, "<stdin>", read_stream(in)});
            continue;
        }
        auto bytes = read_file(path);
        if (!bytes) {
            return bytes.error();
        }
        inputs.push_back({path, path, std::move(*bytes)});
    }
    return inputs;
}

namespace {

constexpr std::string_view k_temp_marker = ".image-secure-";

/// A temporary file name beside `target`: NAME.image-secure-<pid>-XXXXXX.
std::string temp_template(const std::string& target) {
    return target + std::string(k_temp_marker) + std::to_string(::getpid()) + "-XXXXXX";
}

/// Removes NAME.image-secure-* files beside `target` that no running process owns: ours name
/// their pid; the older form (six random characters) counts as stale after a minute.
void remove_stale_temps(const std::string& target) {
    const fs::path p(target);
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    const std::string prefix = p.filename().string() + std::string(k_temp_marker);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0 || !entry.is_regular_file(ec)) {
            continue;
        }
        const std::string rest = name.substr(prefix.size());
        const auto dash = rest.find('-');
        bool stale = false;
        if (dash != std::string::npos && dash > 0 && rest.size() == dash + 7
            && std::all_of(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(dash), [](char c) {
                   return c >= '0' && c <= '9';
               })) {
            const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
            stale = pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
        } else if (rest.size() == 6) {
            struct stat st {};

            stale = ::stat(entry.path().c_str(), &st) == 0 && ::time(nullptr) - st.st_mtime > 60;
        }
        if (stale) {
            fs::remove(entry.path(), ec);
        }
    }
}

/// Writes `bytes` to a new temporary file beside `target` with `mode`; returns its name.
Result<std::string> write_temp(const std::string& target, std::string_view bytes, const struct stat* mode) {
    std::string tmp = temp_template(target);
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) {
        return input_error(std::string("cannot create a temporary file beside it: ") + std::strerror(errno), target);
    }
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            const std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return input_error("cannot write file: " + why, target);
        }
        written += static_cast<std::size_t>(n);
    }
    if (mode != nullptr) {
        (void)::fchmod(fd, mode->st_mode & 07777U);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return input_error("cannot write file", target);
    }
    return tmp;
}

/// Test seam: after the temporary files are written, IMAGE_SECURE_TEST_PAUSE_BEFORE_REPLACE=MS
/// waits that long, and IMAGE_SECURE_TEST_PAUSE_BEFORE_REPLACE=PATH waits until PATH is gone
/// (at most 60 s), so that a test can change a file under a running --in-place without racing.
void test_pause() {
    const char* value = std::getenv("IMAGE_SECURE_TEST_PAUSE_BEFORE_REPLACE");
    if (value == nullptr || *value == '\0') {
        return;
    }
    const std::string_view v(value);
    if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        ::usleep(static_cast<useconds_t>(std::strtoul(value, nullptr, 10) * 1000U));
        return;
    }
    for (int waited = 0; waited < 6000 && ::access(value, F_OK) == 0; ++waited) {
        ::usleep(10000);
    }
}

} // namespace

Result<Ok> replace_files(const std::vector<FileReplacement>& files) {
    struct Staged {
        const FileReplacement* file = nullptr;
        std::string target; ///< the real file (symlinks resolved)
        std::string tmp;
    };

    std::vector<Staged> staged;
    auto discard = [&staged] {
        for (const auto& s : staged) {
            if (!s.tmp.empty()) {
                ::unlink(s.tmp.c_str());
            }
        }
    };
    // 1. Plan: resolve every target; the same file twice is a mistake.
    for (const auto& f : files) {
        std::error_code ec;
        const fs::path real = fs::canonical(f.path, ec);
        if (ec) {
            return input_error("cannot resolve the file to replace: " + ec.message(), f.path);
        }
        for (const auto& s : staged) {
            if (s.target == real.string()) {
                return input_error("the same file is given twice (as " + s.file->path + " too)", f.path);
            }
        }
        staged.push_back({&f, real.string(), {}});
    }
    // 2. Write every temporary file.
    for (auto& s : staged) {
        remove_stale_temps(s.target);

        struct stat st {};

        const bool existed = ::stat(s.target.c_str(), &st) == 0;
        auto tmp = write_temp(s.target, s.file->bytes, existed ? &st : nullptr);
        if (!tmp) {
            discard();
            Error e = tmp.error();
            e.what += "; no file was changed";
            return e;
        }
        s.tmp = std::move(*tmp);
    }
    test_pause();
    // 3. Nothing may have changed since it was read.
    for (const auto& s : staged) {
        auto now = read_file(s.target);
        if (!now || *now != s.file->original) {
            discard();
            return input_error("the file changed after it was read (another process is editing it?); no file was "
                               "changed: run again",
                               s.file->path);
        }
    }
    // 4. Rename all; a failure puts back what was renamed before it.
    for (std::size_t i = 0; i < staged.size(); ++i) {
        if (::rename(staged[i].tmp.c_str(), staged[i].target.c_str()) == 0) {
            staged[i].tmp.clear();
            continue;
        }
        const std::string why = std::strerror(errno);
        std::string restored;
        for (std::size_t j = 0; j < i; ++j) {
            struct stat st {};

            const bool has_mode = ::stat(staged[j].target.c_str(), &st) == 0;
            auto back = write_temp(staged[j].target, staged[j].file->original, has_mode ? &st : nullptr);
            if (back && ::rename(back->c_str(), staged[j].target.c_str()) == 0) {
                continue;
            }
            restored += (restored.empty() ? "" : ", ") + staged[j].file->path;
        }
        discard();
        return input_error("cannot replace file: " + why
                               + (i == 0 ? std::string("; no file was changed")
                                  : restored.empty()
                                      ? "; the " + std::to_string(i) + " file(s) replaced before it were restored"
                                      : "; COULD NOT RESTORE " + restored),
                           staged[i].file->path);
    }
    return Ok{};
}

Result<Ok> write_atomically(const std::string& path, std::string_view bytes) {
    struct stat st {};

    const bool existed = ::stat(path.c_str(), &st) == 0;
    auto tmp = write_temp(path, bytes, existed ? &st : nullptr);
    if (!tmp) {
        return tmp.error();
    }
    if (::rename(tmp->c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp->c_str());
        return input_error("cannot replace file: " + why, path);
    }
    return Ok{};
}

} // namespace image_secure
