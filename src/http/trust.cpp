#include <image_secure/http/trust.hpp>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace image_secure::http {

const std::vector<std::string>& ca_bundle_locations() {
    static const std::vector<std::string> paths = {
        "/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Arch, Gentoo, Alpine
        "/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL, CentOS, Amazon Linux
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // RHEL 7+ (ca-trust, the source of the above)
        "/etc/ssl/ca-bundle.pem",                            // openSUSE, SLES
        "/etc/ssl/cert.pem",                                 // Alpine, others
        "/etc/pki/tls/cacert.pem",                           // OpenELEC
    };
    return paths;
}

const std::vector<std::string>& ca_directory_locations() {
    static const std::vector<std::string> paths = {"/etc/ssl/certs", "/etc/pki/tls/certs"};
    return paths;
}

SystemTrust find_system_trust(const std::function<const char*(const char*)>& env,
                              const std::function<bool(const std::string&, bool dir)>& exists) {
    SystemTrust trust;
    // As OpenSSL and Go do: a variable that is set replaces the well-known locations of its
    // kind, even when what it names is missing.
    if (const char* file = env("SSL_CERT_FILE"); file != nullptr && *file != '\0') {
        trust.file_from_environment = true;
        trust.looked.push_back(std::string("$SSL_CERT_FILE (") + file + ")");
        if (exists(file, false)) {
            trust.file = file;
        }
    } else {
        for (const auto& path : ca_bundle_locations()) {
            trust.looked.push_back(path);
            if (exists(path, false)) {
                trust.file = path;
                break;
            }
        }
    }
    if (const char* dir = env("SSL_CERT_DIR"); dir != nullptr && *dir != '\0') {
        trust.dir_from_environment = true;
        trust.looked.push_back(std::string("$SSL_CERT_DIR (") + dir + ")");
        trust.dir = dir; // a ':'-separated list is OpenSSL's to read
    } else {
        for (const auto& path : ca_directory_locations()) {
            trust.looked.push_back(path + "/");
            if (exists(path, true)) {
                trust.dir = path;
                break;
            }
        }
    }
    return trust;
}

std::string SystemTrust::describe() const {
    if (!found()) {
        std::string list;
        for (const auto& path : looked) {
            list += (list.empty() ? "" : ", ") + path;
        }
        return "no system CA certificates found (looked for " + list
               + "): only --ca-file and --certs-dir CAs are trusted; set SSL_CERT_FILE to a PEM bundle";
    }
    std::string line = "CA certificates: ";
    line +=
        file.empty() ? std::string("no bundle") : "bundle " + file + (file_from_environment ? " (SSL_CERT_FILE)" : "");
    if (!dir.empty()) {
        line += ", directory " + dir + (dir_from_environment ? " (SSL_CERT_DIR)" : "");
    }
    return line;
}

const SystemTrust& system_trust() {
    static const SystemTrust trust = find_system_trust([](const char* name) { return std::getenv(name); },
                                                       [](const std::string& path, bool dir) {
                                                           std::error_code ec;
                                                           const bool kind =
                                                               dir ? std::filesystem::is_directory(path, ec)
                                                                   : std::filesystem::is_regular_file(path, ec);
                                                           return kind && ::access(path.c_str(), R_OK) == 0;
                                                       });
    return trust;
}

} // namespace image_secure::http
