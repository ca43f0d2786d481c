#pragma once

// Where this machine keeps its trusted CA certificates. A static binary cannot rely on the
// path compiled into its libcurl/OpenSSL (each distribution has its own), so it looks:
// $SSL_CERT_FILE and $SSL_CERT_DIR when set, else the first bundle and the first directory
// that exist among the well-known locations of Debian/Ubuntu, Fedora/RHEL/Amazon, SUSE and
// Alpine (the list Go's crypto/x509 uses).

#include <functional>
#include <string>
#include <vector>

namespace image_secure::http {

struct SystemTrust {
    std::string file;                   ///< PEM bundle, "" when none was found
    std::string dir;                    ///< OpenSSL hashed directory (or a ':'-list), "" when none
    std::vector<std::string> looked;    ///< what was tried, in order (for the message when none)
    bool file_from_environment = false; ///< SSL_CERT_FILE chose `file`
    bool dir_from_environment = false;  ///< SSL_CERT_DIR chose `dir`

    [[nodiscard]] bool found() const { return !file.empty() || !dir.empty(); }

    /// One line for -v: which bundle and directory are trusted, or that none was found.
    [[nodiscard]] std::string describe() const;
};

/// The bundles tried, in order, when SSL_CERT_FILE is unset.
[[nodiscard]] const std::vector<std::string>& ca_bundle_locations();
/// The directories tried when SSL_CERT_DIR is unset.
[[nodiscard]] const std::vector<std::string>& ca_directory_locations();

/// The lookup, with its inputs as seams: `env` reads a variable (nullptr when unset), `exists`
/// says whether a file (or, for directories, a directory) is there and readable.
[[nodiscard]] SystemTrust find_system_trust(const std::function<const char*(const char*)>& env,
                                            const std::function<bool(const std::string&, bool dir)>& exists);

/// This process's answer (looked up once, from the real environment and file system).
[[nodiscard]] const SystemTrust& system_trust();

} // namespace image_secure::http
