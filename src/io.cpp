#include <image_secure/io.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace image_secure {

namespace fs = std::filesystem;

Result<std::string> read_stream_limited(std::istream& in, std::size_t limit, const std::string& what)
{
    std::string bytes(limit + 1, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > limit) {
        return input_error("more than " + std::to_string(limit) + " bytes", what);
    }
    return bytes;
}

Result<std::string> read_file_limited(const std::string& path, std::size_t limit)
{
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

Result<std::string> read_file(const std::string& path)
{
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

std::string read_stream(std::istream& in)
{
    std::string bytes;
    std::array<char, 65536> chunk{};
    while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
        bytes.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    }
    return bytes;
}

namespace {

bool is_manifest_name(const fs::path& p)
{
    const std::string ext = p.extension().string();
    return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

} // namespace

Result<std::vector<std::string>> expand_paths(const std::vector<std::string>& paths, bool recursive)
{
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
        auto collect = [&](const fs::directory_entry& entry) {
            if (entry.is_regular_file() && is_manifest_name(entry.path())) {
                found.push_back(entry.path().string());
            }
        };
        if (recursive) {
            for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
                collect(entry);
            }
        } else {
            for (const auto& entry : fs::directory_iterator(path, ec)) {
                collect(entry);
            }
        }
        if (ec) {
            return input_error("cannot list directory: " + ec.message(), path);
        }
        std::sort(found.begin(), found.end());
        out.insert(out.end(), found.begin(), found.end());
    }
    return out;
}

Result<std::vector<InputFile>> read_inputs(const std::vector<std::string>& paths, bool recursive,
                                           std::istream& in)
{
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

Result<Ok> write_atomically(const std::string& path, std::string_view bytes)
{
    struct stat st {};
    const bool existed = ::stat(path.c_str(), &st) == 0;
    std::string tmp = path + ".image-secure-XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) {
        return input_error(std::string("cannot create temporary file: ") + std::strerror(errno), path);
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
            return input_error("cannot write file: " + why, path);
        }
        written += static_cast<std::size_t>(n);
    }
    if (existed) {
        (void)::fchmod(fd, st.st_mode & 07777U);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return input_error("cannot write file", path);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return input_error("cannot replace file: " + why, path);
    }
    return Ok{};
}

} // namespace image_secure
