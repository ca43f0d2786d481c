#pragma once

#include <image_secure/base/result.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// Docker Hub's key in docker config files, and kubectl's default --docker-server.
inline constexpr std::string_view k_default_docker_server = "https://index.docker.io/v1/";

/// Credentials for one registry.
struct DockerCredentials {
    std::string server{k_default_docker_server};
    std::string username;
    std::string password;
    std::string email;
};

/// A file given with --from-file, already read: key (".dockerconfigjson" by default) and bytes.
struct SecretFile {
    std::string key;
    std::string path;
    std::string bytes;
};

/// The Secret to print. Data keys map to raw (not yet base64) bytes.
struct SecretSpec {
    std::string name;
    std::optional<std::string> namespace_name;
    std::string type = "kubernetes.io/dockerconfigjson";
    std::map<std::string, std::string> data;
    std::map<std::string, std::string> labels; ///< metadata.labels (onboard); not part of the hash
    /// `creationTimestamp: null`, as kubectl up to 1.33 prints it (1.34 omits the zero value).
    bool creation_timestamp_null = false;
};

/// Does kubectl 1.`minor` print `creationTimestamp: null` for a new object? (Up to 1.33.)
[[nodiscard]] constexpr bool kubectl_prints_null_timestamp(int minor) { return minor <= 33; }

enum class SecretFormat { yaml, json, name };

/// `{"auths":{"<server>":{"username":…,"password":…,"email":…,"auth":…}}}` exactly as kubectl writes it.
[[nodiscard]] std::string docker_config_json(const DockerCredentials& creds);

/// The same for several registries, keys in Go's map order (byte-wise sorted).
[[nodiscard]] std::string docker_config_json(std::vector<DockerCredentials> entries);

/// kubectl's content hash suffix for `--append-hash` (10 characters).
[[nodiscard]] std::string secret_hash(const SecretSpec& spec);

/// Renders the Secret byte-identical to `kubectl create secret docker-registry … --dry-run=client -o …`.
[[nodiscard]] Result<std::string> render_secret(const SecretSpec& spec, SecretFormat format);

/// Splits one `--from-file` value as pflag's StringSlice does (one Go encoding/csv record).
[[nodiscard]] Result<std::vector<std::string>> split_csv_flag(std::string_view value);

/// Parses `[KEY=]PATH` (kubectl 1.31+: a bare PATH means `.dockerconfigjson=PATH`).
struct FileSource {
    std::string key;
    std::string path;
};

/// `bare_key_is_basename`: kubectl up to 1.30 named a bare path's key after the file's
/// base name; 1.31 and later use `.dockerconfigjson`.
[[nodiscard]] Result<FileSource> parse_file_source(std::string_view source, bool bare_key_is_basename = false);

/// The ConfigMap/Secret key rule: `[-._a-zA-Z0-9]+`, at most 253, not `.`/`..`/`..*`.
[[nodiscard]] Result<Ok> validate_secret_key(std::string_view key);

/// Adds `file` to `spec.data`, failing on a bad or duplicate key like kubectl.
[[nodiscard]] Result<Ok> add_secret_file(SecretSpec& spec, const SecretFile& file);

/// Strips one trailing "\n", then one trailing "\r" (the `docker login --password-stdin` rule).
[[nodiscard]] std::string strip_password_newline(std::string password);

} // namespace image_secure
