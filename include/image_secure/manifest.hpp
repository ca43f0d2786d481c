#pragma once

#include <image_secure/result.hpp>

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

inline constexpr std::size_t k_npos = std::numeric_limits<std::size_t>::max();

/// How a scalar is written in the file.
enum class ScalarStyle { plain, single_quoted, double_quoted, block, alias };

/// A Kubernetes object found in the input (a document, or an item of a List).
struct K8sObject {
    std::string api_version;
    std::string kind;
    std::string name;
    std::string namespace_name;
    std::size_t document = 0; ///< index of the YAML document in the file
    std::size_t offset = 0;   ///< byte offset of the object's mapping
    std::vector<std::string> ignore_rules; ///< from the image-secure.dev/ignore annotation
};

/// One image value: where it is, exactly, and what it says.
struct ImageSite {
    std::string value;       ///< the decoded scalar
    std::size_t begin = 0;   ///< first byte of the value (inside quotes)
    std::size_t end = 0;     ///< one past the last byte of the value
    std::size_t line = 0;    ///< 1-based
    std::size_t column = 0;  ///< 1-based, bytes
    ScalarStyle style = ScalarStyle::plain;
    bool rewritable = false; ///< the bytes [begin,end) are exactly `value` on one line
    std::size_t object = 0;  ///< index into Manifest::objects
    std::size_t pod_spec = k_npos; ///< index into Manifest::pod_specs, if inside one
    std::string container;   ///< container name ("" for volumes and extra fields)
    std::string field;       ///< "containers", "initContainers", "ephemeralContainers", "volumes", or a rules path
};

/// Where and how imagePullSecrets entries can be added to one pod spec.
struct PodSpec {
    std::size_t object = 0;
    std::size_t offset = 0;      ///< byte offset of the pod spec mapping
    std::size_t line = 0;
    bool flow = false;           ///< `spec: {…}`
    std::size_t flow_close = 0;  ///< flow: offset of the closing '}'
    std::size_t key_column = 0;  ///< block: 0-based column of the pod spec's keys
    std::size_t insert_at = 0;   ///< block: offset where a new key is inserted (a line start)
    bool needs_leading_break = false; ///< the file ends without a line break before insert_at
    bool containers_flow = false;
    std::size_t dash_offset = 0; ///< containers' dash column minus key_column
    std::string eol = "\n";      ///< the line break of the line insert_at follows
    // Existing imagePullSecrets.
    bool has_pull_secrets = false;
    bool pull_secrets_flow = false;
    bool pull_secrets_null = false;  ///< `imagePullSecrets:` with no value, or not a list
    std::size_t pull_secrets_offset = 0; ///< byte offset of the imagePullSecrets key
    std::size_t pull_secrets_line = 0;
    std::size_t pull_secrets_column = 0;
    std::size_t pull_secrets_insert = 0; ///< flow: offset of ']'; block: line start after the last entry
    std::size_t pull_secrets_dash_column = 0;
    bool pull_secrets_empty = false;
    bool pull_secrets_needs_leading_break = false;
    std::string pull_secrets_eol = "\n";
    std::vector<std::string> pull_secrets; ///< existing names, in order
    std::string service_account;
};

/// An extra image location from a rules file (kustomize fieldSpec syntax).
struct FieldSpec {
    std::string group; ///< "" matches any group
    std::string kind;  ///< "" matches any kind
    std::vector<std::string> path; ///< segments; "x[]" walks every item of sequence x
};

struct ScanOptions {
    std::vector<FieldSpec> extra_fields;
    /// Skip parsing documents that provably hold no image (no "image"/"ontainers" bytes,
    /// or a top-level kind CustomResourceDefinition). Validate turns this off.
    bool skip_irrelevant = true;
    unsigned threads = 0; ///< 0: all cores
};

/// The facts later jobs need about one file.
struct Manifest {
    std::vector<K8sObject> objects;
    std::vector<PodSpec> pod_specs;
    std::vector<ImageSite> images;
    std::size_t documents = 0;
};

/// Scans one file's text. Errors name `source` and the 1-based line:col.
[[nodiscard]] Result<Manifest> scan_manifest(std::string_view text, std::string_view source,
                                             const ScanOptions& options);

/// Byte ranges of the YAML documents of a stream (split at column-0 `---` lines).
struct DocumentRange {
    std::size_t begin = 0;
    std::size_t end = 0;
};
[[nodiscard]] std::vector<DocumentRange> split_documents(std::string_view text);

} // namespace image_secure
