#pragma once

#include <image_secure/base/result.hpp>

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

inline constexpr std::size_t k_npos = std::numeric_limits<std::size_t>::max();

/// How a scalar is written in the file.
enum class ScalarStyle { plain, single_quoted, double_quoted, block, alias };

/// A position in a file: byte offset plus 1-based line and column (the column counts Unicode
/// code points, as kubectl and editors do; LineCol columns count bytes).
struct Location {
    std::size_t offset = 0;
    std::size_t line = 0;
    std::size_t column = 0;
};

/// A mapping key as written, with where it is.
struct KeyFact {
    std::string name;
    Location at;
};

/// A Kubernetes object found in the input (a document's top-level mapping, or a List item).
struct K8sObject {
    std::string api_version;
    std::string kind;
    std::string name;          ///< metadata.name
    std::string generate_name; ///< metadata.generateName
    std::string namespace_name;
    std::size_t document = 0; ///< index of the YAML document in the file
    std::size_t offset = 0;   ///< byte offset of the object's mapping
    Location at;              ///< first key of the mapping (or the `- ` of a List item)
    bool is_list = false;     ///< a `*List` with items (needs no name)
    bool is_list_item = false;
    std::string ignore_annotation; ///< the image-secure.dev/ignore annotation as written

    /// `Kind/name`, `Kind/generateName*`, `Kind` without either, or "" without a kind.
    [[nodiscard]] std::string display() const;
};

/// One image value: where it is, exactly, and what it says.
struct ImageSite {
    std::string value;      ///< the decoded scalar
    std::size_t begin = 0;  ///< first byte of the value (inside quotes)
    std::size_t end = 0;    ///< one past the last byte of the value
    std::size_t line = 0;   ///< 1-based
    std::size_t column = 0; ///< 1-based, in Unicode code points (like Location::column)
    ScalarStyle style = ScalarStyle::plain;
    bool rewritable = false;       ///< the bytes [begin,end) are exactly `value` on one line
    std::size_t object = 0;        ///< index into Manifest::objects
    std::size_t pod_spec = k_npos; ///< index into Manifest::pod_specs, if inside one
    std::string container;         ///< container name ("" for volumes and extra fields)
    std::string field; ///< "containers", "initContainers", "ephemeralContainers", "volumes", or a rules path
    Location key;      ///< the `image` (or `reference`) key
};

/// An env entry of a container.
struct EnvFact {
    std::string name;
    bool has_literal_value = false; ///< a non-empty `value` (not valueFrom)
    std::string value;              ///< that value
    Location value_key;             ///< the `value` key (or the entry when absent)
};

/// One item of a containers / initContainers / ephemeralContainers list.
struct ContainerFact {
    std::size_t object = 0;
    std::size_t pod_spec = k_npos;
    std::string field; ///< which list
    std::string name;
    bool has_name = false;
    bool has_image = false;     ///< an `image` key exists
    bool image_empty = false;   ///< `image: ""` or `image: null`
    std::size_t image = k_npos; ///< index into Manifest::images
    Location at;                ///< the item (the `- ` line)
    Location image_key;
    std::vector<std::string> mount_paths;
    std::vector<EnvFact> env;
    std::string pull_policy; ///< as written, "" when absent
    Location pull_policy_key;
    std::vector<KeyFact> keys;        ///< every key of the container mapping
    std::vector<std::string> command; ///< `command` items as written
    std::vector<std::string> args;    ///< `args` items as written
    /// exec commands of probes and lifecycle hooks: ("livenessProbe", argv), ("preStop", argv) ...
    std::vector<std::pair<std::string, std::vector<std::string>>> exec_commands;
    bool non_root = false; ///< securityContext: runAsNonRoot true or runAsUser other than 0
};

/// A pull secret named in a pod spec.
struct PullSecretRef {
    std::string name;
    Location at; ///< the `- name: X` entry
};

/// Where and how imagePullSecrets entries can be added to one pod spec.
/// A pod spec's `imagePullSecrets` as written: where it is and where rewrite adds to it.
struct PullSecretsList {
    bool present = false;
    bool flow = false;
    bool null_value = false; ///< `imagePullSecrets:` with no value, or not a list
    std::size_t offset = 0;  ///< byte offset of the imagePullSecrets key
    std::size_t line = 0;
    std::size_t column = 0;
    std::size_t insert = 0; ///< flow: offset of ']'; block: line start after the last entry
    std::size_t dash_column = 0;
    bool empty = false;
    bool needs_leading_break = false;
    std::string eol = "\n";
    std::vector<std::string> names;  ///< existing names, in order
    std::vector<PullSecretRef> refs; ///< the same, with locations (validation facts)
};

struct PodSpec {
    std::size_t object = 0;
    std::size_t offset = 0; ///< byte offset of the pod spec mapping
    std::size_t line = 0;
    bool flow = false;                ///< `spec: {…}`
    std::size_t flow_close = 0;       ///< flow: offset of the closing '}'
    std::size_t key_column = 0;       ///< block: 0-based column of the pod spec's keys
    std::size_t insert_at = 0;        ///< block: offset where a new key is inserted (a line start)
    bool needs_leading_break = false; ///< the file ends without a line break before insert_at
    bool containers_flow = false;
    std::size_t dash_offset = 0;  ///< containers' dash column minus key_column
    std::string eol = "\n";       ///< the line break of the line insert_at follows
    PullSecretsList pull_secrets; ///< the existing imagePullSecrets
    std::string service_account;
    bool non_root = false;     ///< securityContext: runAsNonRoot true or runAsUser other than 0
    std::vector<KeyFact> keys; ///< every key of the pod spec mapping (validation facts)
};

/// A Secret in the bundle (for pull-secret checks).
struct SecretFact {
    std::size_t object = 0;
    std::string type;
    bool has_dockerconfigjson = false;
    std::string dockerconfigjson; ///< data[.dockerconfigjson] as written (base64)
    bool has_dockercfg = false;
    std::string dockercfg; ///< data[.dockercfg] as written (base64)
    std::vector<KeyFact> string_data_keys;
};

/// A ServiceAccount in the bundle.
struct ServiceAccountFact {
    std::size_t object = 0;
    std::vector<std::string> pull_secrets;
};

/// A YAML error in one document (collected instead of failing when ScanOptions asks).
struct DocumentError {
    std::string message;
    Location at;
};

/// An extra image location from a rules file (kustomize fieldSpec syntax).
struct FieldSpec {
    std::string group;             ///< "" matches any group
    std::string kind;              ///< "" matches any kind
    std::vector<std::string> path; ///< segments; "x[]" walks every item of sequence x
};

struct ScanOptions {
    std::vector<FieldSpec> extra_fields;
    /// Skip parsing documents that provably hold no image (no "image"/"ontainers" bytes,
    /// or a top-level kind CustomResourceDefinition). Validate turns this off.
    bool skip_irrelevant = true;
    /// Record YAML errors per document in Manifest::errors and go on (validate);
    /// otherwise the first error fails the scan.
    bool collect_errors = false;
    /// Also collect what only validate needs: containers, keys, env, Secrets, ServiceAccounts.
    bool validation_facts = false;
    unsigned threads = 0; ///< 0: all cores
};

/// The facts later jobs need about one file.
/// A reference that looks like an image but sits outside an `image` field (a container's args,
/// command or env value, ConfigMap data, an annotation): the workload will start it, and
/// rewrite does not move it. Found for warnings, `images --all` and validate (info).
struct ImageMention {
    std::string value;      ///< the reference as written
    std::string field;      ///< "args", "command", "env FOO", "data helperPod.yaml", "annotations"
    std::size_t object = 0; ///< index into Manifest::objects
    Location at;            ///< the scalar that holds it
};

/// The image-like references in `text` (a scalar's value). `image_context`: the text is
/// about an image (an env var or key named *image*), so a short name counts too; otherwise
/// only references with a registry host and a tag or digest do, and `image: X` lines.
[[nodiscard]] std::vector<std::string> find_image_mentions(std::string_view text, bool image_context);

struct Manifest {
    std::vector<K8sObject> objects;
    std::vector<PodSpec> pod_specs;
    std::vector<ImageSite> images;
    std::vector<ContainerFact> containers;            ///< with ScanOptions::validation_facts
    std::vector<SecretFact> secrets;                  ///< with ScanOptions::validation_facts
    std::vector<ServiceAccountFact> service_accounts; ///< with ScanOptions::validation_facts
    std::vector<DocumentError> errors;                ///< with ScanOptions::collect_errors
    std::vector<ImageMention> mentions;               ///< image-like references elsewhere
    std::size_t documents = 0;
};

/// Scans one file's text. Errors name `source` and the 1-based line:col.
[[nodiscard]] Result<Manifest>
scan_manifest(std::string_view text, std::string_view source, const ScanOptions& options);

/// Byte ranges of the YAML documents of a stream (split at column-0 `---` lines).
struct DocumentRange {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t first_line = 1; ///< 1-based line of `begin`
};

[[nodiscard]] std::vector<DocumentRange> split_documents(std::string_view text);

/// "UTF-16LE", "UTF-16BE", "UTF-32LE" or "UTF-32BE" when `text` starts with that encoding's
/// byte-order mark or its NUL pattern (YAML 1.2 §5.2), else "".
[[nodiscard]] std::string_view foreign_encoding(std::string_view text);

} // namespace image_secure
