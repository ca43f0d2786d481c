// The manifest scanner: libyaml events → a compact per-document tree with byte offsets
// (yaml_tree.hpp) → the facts rewrite, images and validate need (the Extractor below; image
// mentions outside image fields in mentions.cpp). One scanner for every job.
#include "yaml_tree.hpp"

#include <image_secure/base/location.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/k8s/yaml_span.hpp>
#include <image_secure/reference/reference.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <streambuf>
#include <thread>
#include <unordered_set>
#include <yaml.h>

namespace image_secure {

namespace {

using namespace k8s_detail; // the libyaml tree (yaml_tree.hpp)

// ---------------------------------------------------------------------------------------
// Splitting

bool is_marker_line(std::string_view text, std::size_t i, char c) {
    if (i + 3 > text.size() || text[i] != c || text[i + 1] != c || text[i + 2] != c) {
        return false;
    }
    return i + 3 == text.size() || text[i + 3] == ' ' || text[i + 3] == '\t' || text[i + 3] == '\n'
           || text[i + 3] == '\r';
}

// ---------------------------------------------------------------------------------------
// Extraction

struct DocResult {
    std::vector<K8sObject> objects;
    std::vector<PodSpec> pod_specs;
    std::vector<ImageSite> images;
    std::vector<ContainerFact> containers;
    std::vector<SecretFact> secrets;
    std::vector<ServiceAccountFact> service_accounts;
    std::vector<DocumentError> errors;
    std::vector<ImageMention> mentions;
    std::size_t documents = 0;
    std::optional<Error> error;
};

const std::uint32_t k_none = UINT32_MAX;

class Extractor {
  public:
    Extractor(std::string_view text, const Tree& tree, const ScanOptions& options, std::size_t document, DocResult& out)
        : m_text(text), m_tree(tree), m_nodes(tree.nodes), m_options(options), m_document(document), m_out(out) {}

    void run() {
        if (m_nodes.empty()) {
            return;
        }
        const Node& root = m_nodes[0];
        if (root.kind != NodeKind::map || kids(root).empty()) {
            return; // empty, scalar or sequence documents hold no object
        }
        const auto kind = scalar_value(find(0, "kind"));
        const auto items = find(0, "items");
        if (kind.size() >= 4 && kind.substr(kind.size() - 4) == "List" && items != k_none
            && m_nodes[items].kind == NodeKind::seq) {
            m_out.objects[add_object(0)].is_list = true;
            for (const auto item : kids(m_nodes[items])) {
                if (m_nodes[item].kind == NodeKind::map) {
                    process_object(item, true);
                }
            }
            return;
        }
        process_object(0, false);
    }

  private:
    // Index in `children` of the key `key` of mapping `map`, or k_npos.
    [[nodiscard]] std::size_t key_index(std::uint32_t map, std::string_view key) const {
        if (map == k_none || m_nodes[map].kind != NodeKind::map) {
            return k_npos;
        }
        const auto children = kids(m_nodes[map]);
        for (std::size_t i = 0; i + 1 < children.size(); i += 2) {
            const Node& k = m_nodes[children[i]];
            if (k.kind == NodeKind::scalar && text_of(k) == key) {
                return i;
            }
        }
        return k_npos;
    }

    /// The value node of `key` in mapping `map` (k_none when absent or not a mapping).
    [[nodiscard]] std::uint32_t find(std::uint32_t map, std::string_view key) const {
        const std::size_t i = key_index(map, key);
        return i == k_npos ? k_none : kids(m_nodes[map])[i + 1];
    }

    /// The key node of `key` in mapping `map`; callers only ask for keys that exist.
    [[nodiscard]] std::uint32_t key_of(std::uint32_t map, std::string_view key) const {
        const std::size_t i = key_index(map, key);
        return i == k_npos ? map : kids(m_nodes[map])[i];
    }

    [[nodiscard]] std::string_view scalar_value(std::uint32_t id) const {
        if (id == k_none || m_nodes[id].kind != NodeKind::scalar) {
            return {};
        }
        return text_of(m_nodes[id]);
    }

    [[nodiscard]] Location at(std::uint32_t id) const {
        return Location{skip_node_properties(m_text, m_nodes[id].pos), 0, 0};
    }

    std::size_t add_object(std::uint32_t id) {
        K8sObject obj;
        obj.api_version = std::string(scalar_value(find(id, "apiVersion")));
        obj.kind = std::string(scalar_value(find(id, "kind")));
        const auto meta = find(id, "metadata");
        obj.name = std::string(scalar_value(find(meta, "name")));
        obj.generate_name = std::string(scalar_value(find(meta, "generateName")));
        obj.namespace_name = std::string(scalar_value(find(meta, "namespace")));
        // Read as written; what it suppresses is the checkers' business (findings/suppression).
        obj.ignore_annotation = std::string(scalar_value(find(find(meta, "annotations"), "image-secure.dev/ignore")));
        obj.document = m_document;
        obj.offset = m_nodes[id].pos;
        const auto first = kids(m_nodes[id]);
        obj.at = first.empty() ? at(id) : at(first[0]);
        m_out.objects.push_back(std::move(obj));
        return m_out.objects.size() - 1;
    }

    void process_object(std::uint32_t id, bool list_item) {
        const std::size_t object = add_object(id);
        m_out.objects[object].is_list_item = list_item;
        const std::string kind = m_out.objects[object].kind;
        if (kind.empty() || m_out.objects[object].api_version.empty()) {
            return; // not a Kubernetes object: never touched
        }
        if (kind == "CustomResourceDefinition") {
            return; // schemas mention `image`; never touch them
        }
        if (kind == "Secret" && m_options.validation_facts) {
            add_secret(id, object);
        } else if (kind == "ServiceAccount" && m_options.validation_facts) {
            ServiceAccountFact sa;
            sa.object = object;
            for (const auto item : kids_of(find(id, "imagePullSecrets"))) {
                sa.pull_secrets.emplace_back(scalar_value(find(item, "name")));
            }
            m_out.service_accounts.push_back(std::move(sa));
        }
        mentions_in_map(find(find(id, "metadata"), "annotations"), "annotations", object);
        if (kind == "ConfigMap") {
            mentions_in_map(find(id, "data"), "data", object);
        }
        m_object = object;
        m_pod_spec_nodes.clear();
        if (kind == "Pod") {
            const auto spec = find(id, "spec");
            if (spec != k_none && m_nodes[spec].kind == NodeKind::map) {
                m_pod_spec_nodes.push_back(spec);
            }
        }
        walk(id, k_npos, false);
        extra_fields(id, object);
    }

    void walk(std::uint32_t id, std::size_t pod_spec, bool in_flow) {
        const Node& node = m_nodes[id];
        if (node.kind == NodeKind::seq) {
            for (const auto child : kids(node)) {
                walk(child, pod_spec, in_flow || node.flow);
            }
            return;
        }
        if (node.kind != NodeKind::map) {
            return;
        }
        if (std::find(m_pod_spec_nodes.begin(), m_pod_spec_nodes.end(), id) != m_pod_spec_nodes.end()) {
            pod_spec = add_pod_spec(id);
        }
        const bool flow = in_flow || node.flow;
        const auto children = kids(node);
        for (std::size_t i = 0; i + 1 < children.size(); i += 2) {
            const Node& key = m_nodes[children[i]];
            const auto value = children[i + 1];
            if (key.kind != NodeKind::scalar) {
                walk(value, pod_spec, flow);
                continue;
            }
            const std::string_view name = text_of(key);
            const bool is_seq = m_nodes[value].kind == NodeKind::seq;
            if (name == "template") {
                // A `template` whose `spec` holds `containers` is a pod template: marked before
                // the walk reaches it.
                const auto spec = find(value, "spec");
                if (spec != k_none && m_nodes[spec].kind == NodeKind::map && find(spec, "containers") != k_none) {
                    m_pod_spec_nodes.push_back(spec);
                }
            } else if (name == "metadata") {
                continue; // object metadata never holds containers
            } else if (is_seq && (name == "containers" || name == "initContainers" || name == "ephemeralContainers")) {
                containers(value, std::string(name), pod_spec, flow);
            } else if (is_seq && name == "volumes" && pod_spec != k_npos) {
                image_volumes(value, pod_spec, flow);
            }
            walk(value, pod_spec, flow);
        }
    }

    void containers(std::uint32_t seq, const std::string& field, std::size_t pod_spec, bool in_flow) {
        for (const auto item : kids(m_nodes[seq])) {
            if (m_nodes[item].kind != NodeKind::map) {
                continue;
            }
            container_mentions(item);
            if (!m_options.validation_facts) {
                const auto image = find(item, "image");
                if (image != k_none) {
                    add_image(image,
                              key_of(item, "image"),
                              field,
                              std::string(scalar_value(find(item, "name"))),
                              pod_spec,
                              in_flow || m_nodes[item].flow);
                }
                continue;
            }
            ContainerFact c;
            c.object = m_object;
            c.pod_spec = pod_spec;
            c.field = field;
            const auto first = kids(m_nodes[item]);
            c.at = first.empty() ? at(item) : at(first[0]);
            for (std::size_t i = 0; i + 1 < first.size(); i += 2) {
                if (m_nodes[first[i]].kind == NodeKind::scalar) {
                    c.keys.push_back({std::string(text_of(m_nodes[first[i]])), at(first[i])});
                }
            }
            const auto name = find(item, "name");
            c.has_name = name != k_none;
            c.name = std::string(scalar_value(name));
            const auto image = find(item, "image");
            if (image != k_none) {
                const auto key = key_of(item, "image");
                c.has_image = true;
                c.image_key = at(key);
                const auto resolved = m_nodes[image].kind == NodeKind::alias ? m_nodes[image].alias_of : image;
                c.image_empty = resolved == UINT32_MAX || m_nodes[resolved].kind == NodeKind::null
                                || (m_nodes[resolved].kind == NodeKind::scalar && text_of(m_nodes[resolved]).empty());
                c.image = m_out.images.size();
                add_image(image, key, field, c.name, pod_spec, in_flow || m_nodes[item].flow);
            }
            for (const auto mount : kids_of(find(item, "volumeMounts"))) {
                c.mount_paths.emplace_back(scalar_value(find(mount, "mountPath")));
            }
            for (const auto entry : kids_of(find(item, "env"))) {
                EnvFact env;
                env.name = std::string(scalar_value(find(entry, "name")));
                const auto value = find(entry, "value");
                env.has_literal_value =
                    value != k_none && !scalar_value(value).empty() && find(entry, "valueFrom") == k_none;
                env.value_key = value != k_none ? at(key_of(entry, "value")) : at(entry);
                if (env.has_literal_value) {
                    env.value = std::string(scalar_value(value));
                }
                c.env.push_back(std::move(env));
            }
            const auto policy = find(item, "imagePullPolicy");
            if (policy != k_none) {
                c.pull_policy = std::string(scalar_value(policy));
                c.pull_policy_key = at(key_of(item, "imagePullPolicy"));
            }
            c.command = scalars_of(find(item, "command"));
            c.args = scalars_of(find(item, "args"));
            for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
                const auto exec = find(find(item, probe), "exec");
                if (exec != k_none) {
                    c.exec_commands.emplace_back(probe, scalars_of(find(exec, "command")));
                }
            }
            const auto lifecycle = find(item, "lifecycle");
            for (const char* hook : {"postStart", "preStop"}) {
                const auto exec = find(find(lifecycle, hook), "exec");
                if (exec != k_none) {
                    c.exec_commands.emplace_back(hook, scalars_of(find(exec, "command")));
                }
            }
            c.non_root = non_root(find(item, "securityContext"));
            m_out.containers.push_back(std::move(c));
        }
    }

    /// The scalar items of a sequence (command, args).
    std::vector<std::string> scalars_of(std::uint32_t seq) {
        std::vector<std::string> out;
        for (const auto item : kids_of(seq)) {
            out.emplace_back(scalar_value(item));
        }
        return out;
    }

    /// A securityContext that keeps the process off uid 0.
    bool non_root(std::uint32_t context) {
        if (context == k_none) {
            return false;
        }
        const auto flag = find(context, "runAsNonRoot");
        if (flag != k_none && scalar_value(flag) == "true") {
            return true;
        }
        const auto user = find(context, "runAsUser");
        return user != k_none && !scalar_value(user).empty() && scalar_value(user) != "0";
    }

    void mention(std::uint32_t scalar, std::string field, bool image_context, std::size_t object) {
        if (scalar == k_none || m_nodes[scalar].kind != NodeKind::scalar) {
            return;
        }
        for (auto& value : find_image_mentions(text_of(m_nodes[scalar]), image_context)) {
            m_out.mentions.push_back({std::move(value), field, object, at(scalar)});
        }
    }

    /// Values of a mapping (annotations, ConfigMap data), keyed "FIELD KEY".
    void mentions_in_map(std::uint32_t map, const std::string& field, std::size_t object) {
        if (map == k_none || m_nodes[map].kind != NodeKind::map) {
            return;
        }
        const auto children = kids(m_nodes[map]);
        for (std::size_t i = 0; i + 1 < children.size(); i += 2) {
            const std::string key(scalar_value(children[i]));
            mention(children[i + 1], field + " " + key, ascii_lower(key).find("image") != std::string::npos, object);
        }
    }

    void container_mentions(std::uint32_t item) {
        for (const char* list : {"args", "command"}) {
            for (const auto arg : kids_of(find(item, list))) {
                mention(arg, list, false, m_object);
            }
        }
        for (const auto entry : kids_of(find(item, "env"))) {
            const std::string name(scalar_value(find(entry, "name")));
            mention(
                find(entry, "value"), "env " + name, ascii_lower(name).find("image") != std::string::npos, m_object);
        }
    }

    /// Children of a sequence or mapping node; empty for k_none and scalars.
    [[nodiscard]] std::span<const std::uint32_t> kids_of(std::uint32_t id) const {
        if (id == k_none) {
            return {};
        }
        return kids(m_nodes[id]);
    }

    void add_secret(std::uint32_t id, std::size_t object) {
        SecretFact secret;
        secret.object = object;
        secret.type = std::string(scalar_value(find(id, "type")));
        const auto data = find(id, "data");
        if (const auto v = find(data, ".dockerconfigjson"); v != k_none) {
            secret.has_dockerconfigjson = true;
            secret.dockerconfigjson = std::string(scalar_value(v));
        }
        if (const auto v = find(data, ".dockercfg"); v != k_none) {
            secret.has_dockercfg = true;
            secret.dockercfg = std::string(scalar_value(v));
        }
        const auto string_data = find(id, "stringData");
        if (string_data != k_none && m_nodes[string_data].kind == NodeKind::map) {
            const auto children = kids(m_nodes[string_data]);
            for (std::size_t i = 0; i + 1 < children.size(); i += 2) {
                secret.string_data_keys.push_back({std::string(scalar_value(children[i])), at(children[i])});
            }
        }
        m_out.secrets.push_back(std::move(secret));
    }

    void image_volumes(std::uint32_t seq, std::size_t pod_spec, bool in_flow) {
        for (const auto item : kids(m_nodes[seq])) {
            const auto image = find(item, "image");
            if (image == k_none || m_nodes[image].kind != NodeKind::map) {
                continue;
            }
            const auto ref = find(image, "reference");
            if (ref != k_none) {
                add_image(ref,
                          key_of(image, "reference"),
                          "volumes",
                          std::string(scalar_value(find(item, "name"))),
                          pod_spec,
                          in_flow || m_nodes[image].flow);
            }
        }
    }

    void extra_fields(std::uint32_t root, std::size_t object) {
        const K8sObject& obj = m_out.objects[object];
        const auto slash = obj.api_version.find('/');
        const std::string group = slash == std::string::npos ? "" : obj.api_version.substr(0, slash);
        for (const auto& spec : m_options.extra_fields) {
            if ((!spec.kind.empty() && spec.kind != obj.kind) || (!spec.group.empty() && spec.group != group)) {
                continue;
            }
            std::string joined;
            for (const auto& seg : spec.path) {
                joined += joined.empty() ? seg : "/" + seg;
            }
            follow_path(root, spec.path, 0, joined, root, root);
        }
    }

    void follow_path(std::uint32_t id,
                     const std::vector<std::string>& path,
                     std::size_t i,
                     const std::string& field,
                     std::uint32_t parent,
                     std::uint32_t key) {
        if (i == path.size()) {
            if (m_nodes[id].kind == NodeKind::scalar || m_nodes[id].kind == NodeKind::alias) {
                const std::size_t start = skip_node_properties(m_text, m_nodes[id].pos);
                for (const auto& site : m_out.images) {
                    if (site.begin == start || site.begin == start + 1) {
                        return; // already found as a container image (+1: inside quotes)
                    }
                }
                add_image(id, key, field, "", k_npos, m_nodes[parent].flow);
            }
            return;
        }
        std::string_view seg = path[i];
        const bool each = seg.size() > 2 && seg.substr(seg.size() - 2) == "[]";
        if (each) {
            seg.remove_suffix(2);
        }
        const auto child = find(id, seg);
        if (child == k_none) {
            return;
        }
        const auto child_key = key_of(id, seg);
        if (!each) {
            follow_path(child, path, i + 1, field, id, child_key);
            return;
        }
        if (m_nodes[child].kind == NodeKind::seq) {
            for (const auto item : kids(m_nodes[child])) {
                follow_path(item, path, i + 1, field, id, child_key);
            }
        }
    }

    [[nodiscard]] std::size_t column_of(std::size_t pos) const { return pos - line_start(m_text, pos); }

    // `key` is the mapping key the value belongs to: its column bounds a multi-line value.
    void add_image(std::uint32_t id,
                   std::uint32_t key,
                   const std::string& field,
                   std::string container,
                   std::size_t pod_spec,
                   bool in_flow) {
        const Node& node = m_nodes[id];
        const std::size_t min_indent = column_of(m_nodes[key].pos);
        ImageSite site;
        site.key = at(key);
        site.object = m_object;
        site.pod_spec = pod_spec;
        site.field = field;
        site.container = std::move(container);
        const std::size_t start = skip_node_properties(m_text, node.pos);
        if (node.kind == NodeKind::alias) {
            site.style = ScalarStyle::alias;
            site.begin = site.end = node.pos;
            if (node.alias_of != UINT32_MAX && m_nodes[node.alias_of].kind == NodeKind::scalar) {
                site.value = std::string(text_of(m_nodes[node.alias_of]));
            }
        } else if (node.kind == NodeKind::scalar) {
            site.value = std::string(text_of(node));
            const char first = start < m_text.size() ? m_text[start] : ' ';
            const bool quoted = first == '"' || first == '\'';
            if (first == '|' || first == '>') {
                const ScalarSpan span = scalar_span(m_text, start, min_indent, in_flow, false);
                site.begin = span.value_begin;
                site.end = span.value_end;
                site.style = ScalarStyle::block;
            } else {
                site.begin = quoted ? start + 1 : start;
                site.end = std::max(site.begin, quoted ? node.end - 1 : node.end);
                site.style = first == '"'    ? ScalarStyle::double_quoted
                             : first == '\'' ? ScalarStyle::single_quoted
                                             : ScalarStyle::plain;
            }
            const std::string_view raw = m_text.substr(site.begin, site.end - site.begin);
            site.rewritable = site.style != ScalarStyle::block && raw.find('\n') == std::string_view::npos
                              && raw.find('\r') == std::string_view::npos
                              && (site.style != ScalarStyle::plain || raw == text_of(node));
        } else {
            site.begin = site.end = start;
        }
        m_out.images.push_back(std::move(site));
    }

    // ---- pod specs and insertion points

    std::size_t node_end(std::uint32_t id, std::size_t min_indent, bool in_flow) const {
        const Node& node = m_nodes[id];
        const std::size_t start = skip_node_properties(m_text, node.pos);
        switch (node.kind) {
        case NodeKind::scalar:
            if (start < m_text.size() && (m_text[start] == '|' || m_text[start] == '>')) {
                // libyaml's end of a block scalar lies past its trailing blank lines.
                return scalar_span(m_text, start, min_indent, in_flow, false).end;
            }
            return node.end;
        case NodeKind::alias:
            return node.end;
        case NodeKind::null:
            return 0;
        case NodeKind::seq:
        case NodeKind::map:
            break;
        }
        if (node.flow) {
            return node.end;
        }
        // In block style children follow each other line by line: the last one ends last.
        const auto children = kids(node);
        if (children.empty()) {
            return start;
        }
        if (node.kind == NodeKind::map) {
            const auto key = children[children.size() - 2];
            const std::size_t key_col = column_of(m_nodes[key].pos);
            // A complex key (`? ` + a collection) ends where its own last value ends.
            const std::size_t key_end =
                m_nodes[key].kind == NodeKind::scalar ? m_nodes[key].end : node_end(key, key_col, false);
            return std::max(key_end, node_end(children.back(), key_col, false));
        }
        const auto last = children.back();
        return std::max(node_end(last, column_of(node.pos), false), m_nodes[last].pos + 1);
    }

    // Line start after the line holding `end`, extended over following comment-only lines
    // deeper than `column`. Sets `needs_break` when the text ends without a line break.
    std::size_t insertion_after(std::size_t end, std::size_t column, bool& needs_break, std::string& eol) const {
        std::size_t at = next_line_start(m_text, end == 0 ? 0 : end - 1);
        while (at < m_text.size() && is_comment_line(m_text, at) && indent_of(m_text, at) > column) {
            at = next_line_start(m_text, at);
        }
        needs_break = at == m_text.size() && (at == 0 || m_text[at - 1] != '\n');
        eol = "\n";
        if (at >= 2 && m_text[at - 1] == '\n' && m_text[at - 2] == '\r') {
            eol = "\r\n";
        } else if (needs_break) {
            const auto nl = m_text.find('\n');
            if (nl != std::string_view::npos && nl > 0 && m_text[nl - 1] == '\r') {
                eol = "\r\n";
            }
        }
        return at;
    }

    std::size_t add_pod_spec(std::uint32_t id) {
        const Node& node = m_nodes[id];
        PodSpec spec;
        spec.object = m_object;
        spec.offset = node.pos;
        spec.flow = node.flow;
        if (node.flow) {
            spec.flow_close = node.end - 1; // the closing '}'
        } else if (!kids(node).empty()) {
            const auto first_key = kids(node)[0];
            spec.key_column = column_of(m_nodes[first_key].pos);
            const std::size_t end = node_end(id, spec.key_column, false);
            spec.insert_at = insertion_after(end, spec.key_column, spec.needs_leading_break, spec.eol);
        }
        const auto containers = find(id, "containers");
        if (containers != k_none && m_nodes[containers].kind == NodeKind::seq) {
            const Node& seq = m_nodes[containers];
            spec.containers_flow = seq.flow;
            if (!seq.flow) {
                std::size_t dash = seq.pos;
                while (dash < m_text.size() && m_text[dash] != '-') {
                    ++dash;
                }
                const std::size_t col = column_of(dash);
                spec.dash_offset = col > spec.key_column ? col - spec.key_column : 0;
            }
        }
        if (m_options.validation_facts) {
            const auto children = kids(node);
            for (std::size_t i = 0; i + 1 < children.size(); i += 2) {
                if (m_nodes[children[i]].kind == NodeKind::scalar) {
                    spec.keys.push_back({std::string(text_of(m_nodes[children[i]])), at(children[i])});
                }
            }
        }
        spec.non_root = non_root(find(id, "securityContext"));
        const auto sa = find(id, "serviceAccountName");
        spec.service_account = std::string(scalar_value(sa != k_none ? sa : find(id, "serviceAccount")));
        const auto secrets = find(id, "imagePullSecrets");
        if (secrets != k_none) {
            pull_secrets(spec, id, secrets);
        }
        m_out.pod_specs.push_back(std::move(spec));
        return m_out.pod_specs.size() - 1;
    }

    void pull_secrets(PodSpec& spec, std::uint32_t pod, std::uint32_t id) {
        const Node& node = m_nodes[id];
        const auto key = key_of(pod, "imagePullSecrets");
        spec.pull_secrets.present = true;
        spec.pull_secrets.offset = m_nodes[key].pos;
        if (node.kind != NodeKind::seq) {
            spec.pull_secrets.null_value = true; // null or not a list: leave it alone
            return;
        }
        for (const auto item : kids(node)) {
            const auto name = find(item, "name");
            if (name != k_none) {
                spec.pull_secrets.names.emplace_back(scalar_value(name));
                if (m_options.validation_facts) {
                    const auto entry = kids(m_nodes[item]);
                    spec.pull_secrets.refs.push_back(
                        {spec.pull_secrets.names.back(), entry.empty() ? at(item) : at(entry[0])});
                }
            }
        }
        spec.pull_secrets.flow = node.flow;
        spec.pull_secrets.empty = kids(node).empty();
        const std::size_t start = skip_node_properties(m_text, node.pos);
        if (node.flow) {
            spec.pull_secrets.insert = node.end - 1; // the closing ']'
            return;
        }
        spec.pull_secrets.dash_column = column_of(start);
        const std::size_t end = node_end(id, spec.pull_secrets.dash_column, false);
        bool needs_break = false;
        spec.pull_secrets.insert =
            insertion_after(end, spec.pull_secrets.dash_column + 1, needs_break, spec.pull_secrets.eol);
        spec.pull_secrets.needs_leading_break = needs_break;
    }

    [[nodiscard]] std::span<const std::uint32_t> kids(const Node& node) const { return m_tree.children(node); }

    [[nodiscard]] std::string_view text_of(const Node& node) const { return m_tree.value(node); }

    std::string_view m_text;
    const Tree& m_tree;
    const std::vector<Node>& m_nodes;
    const ScanOptions& m_options;
    std::size_t m_document;
    DocResult& m_out;
    std::size_t m_object = 0;
    std::vector<std::uint32_t> m_pod_spec_nodes;
};

// Turns every offset of one document's facts into line:column, in the worker that scanned it.
void locate_all(std::string_view text, DocumentRange range, DocResult& r) {
    const LineIndex lines(text.substr(range.begin, range.end - range.begin));
    auto fix = [&](Location& loc) {
        if (loc.offset < range.begin) {
            return; // never set (a key that is absent)
        }
        const LineCol lc = lines.at(loc.offset - range.begin);
        loc.line = range.first_line + lc.line - 1;
        // Columns count characters (Unicode code points), not bytes: a key after "é: " is
        // at column 4. Documents start at a line start (or right after a BOM).
        const std::string_view before = text.substr(loc.offset - (lc.column - 1), lc.column - 1);
        loc.column = 1 + static_cast<std::size_t>(std::count_if(before.begin(), before.end(), [](char c) {
                         return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
                     }));
    };
    auto fix_keys = [&](std::vector<KeyFact>& keys) {
        for (auto& k : keys) {
            fix(k.at);
        }
    };
    for (auto& o : r.objects) {
        fix(o.at);
    }
    for (auto& p : r.pod_specs) {
        Location spec_at{p.offset, 0, 0};
        fix(spec_at);
        p.line = spec_at.line;
        if (p.pull_secrets.present) {
            Location key_at{p.pull_secrets.offset, 0, 0};
            fix(key_at);
            p.pull_secrets.line = key_at.line;
            p.pull_secrets.column = key_at.column;
        }
        for (auto& ref : p.pull_secrets.refs) {
            fix(ref.at);
        }
        fix_keys(p.keys);
    }
    for (auto& s : r.images) {
        Location value_at{s.begin, 0, 0};
        fix(value_at);
        s.line = value_at.line;
        s.column = value_at.column;
        fix(s.key);
    }
    for (auto& c : r.containers) {
        fix(c.at);
        fix(c.image_key);
        fix(c.pull_policy_key);
        for (auto& e : c.env) {
            fix(e.value_key);
        }
        fix_keys(c.keys);
    }
    for (auto& sec : r.secrets) {
        fix_keys(sec.string_data_keys);
    }
    for (auto& m : r.mentions) {
        fix(m.at);
    }
    for (auto& e : r.errors) {
        fix(e.at);
    }
}

// YAML also breaks lines at a lone CR, NEL, U+2028 and U+2029; the byte-level helpers that
// place edits know only LF and CRLF. Such documents are refused rather than edited wrongly.
std::size_t unsupported_line_break(std::string_view slice) {
    for (std::size_t i = 0; i < slice.size(); ++i) {
        const char c = slice[i];
        if (c == '\r' && (i + 1 >= slice.size() || slice[i + 1] != '\n')) {
            return i;
        }
        if (c == '\xC2' && i + 1 < slice.size() && slice[i + 1] == '\x85') {
            return i;
        }
        if (c == '\xE2' && i + 2 < slice.size() && slice[i + 1] == '\x80'
            && (slice[i + 2] == '\xA8' || slice[i + 2] == '\xA9')) {
            return i;
        }
    }
    return k_npos;
}

Error yaml_error(std::string_view text, std::string_view source, std::size_t pos, const std::string& what) {
    const LineCol lc = LineIndex(text).at(std::min(pos, text.size()));
    return input_error("invalid YAML: " + what, format_location(source, lc.line, lc.column));
}

// True when a cheap byte test proves the document cannot hold an image.
bool provably_irrelevant(std::string_view doc) {
    if (doc.find("image") == std::string_view::npos && doc.find("ontainers") == std::string_view::npos) {
        return true;
    }
    // A top-level `kind: CustomResourceDefinition` line (column 0) in a block document.
    std::size_t pos = 0;
    while ((pos = doc.find("kind:", pos)) != std::string_view::npos) {
        if (pos == 0 || doc[pos - 1] == '\n') {
            std::size_t i = pos + 5;
            while (i < doc.size() && (doc[i] == ' ' || doc[i] == '\t')) {
                ++i;
            }
            const std::string_view crd = "CustomResourceDefinition";
            if (doc.substr(i, crd.size()) == crd) {
                const std::size_t after = i + crd.size();
                return after == doc.size() || doc[after] == '\n' || doc[after] == '\r' || doc[after] == ' '
                       || doc[after] == '\t';
            }
            return false;
        }
        pos += 5;
    }
    return false;
}

// `tree` is the calling worker's scratch space, reused for every document it scans.
void scan_range(std::string_view text,
                DocumentRange range,
                const ScanOptions& options,
                std::string_view source,
                Tree& tree,
                DocResult& out) {
    const std::string_view slice = text.substr(range.begin, range.end - range.begin);
    if (options.skip_irrelevant && provably_irrelevant(slice)) {
        // Still counts as a document; nothing in it matters to the job.
        out.documents = 1;
        return;
    }
    // A YAML error ends the scan (rewrite, images) or is recorded for its document (validate).
    auto fail = [&](std::size_t offset, const std::string& what) {
        if (options.collect_errors) {
            out.errors.push_back({what, Location{std::min(offset, text.size()), 0, 0}});
        } else {
            out.error = yaml_error(text, source, offset, what);
        }
    };
    if (const std::size_t bad = unsupported_line_break(slice); bad != k_npos) {
        fail(range.begin + bad, "line breaks must be LF or CRLF (found a lone CR, NEL or U+2028/U+2029)");
        out.documents = 1;
        return;
    }
    const OffsetMap offsets(slice, range.begin);
    Parser parser;
    yaml_parser_set_input_string(&parser.handle, reinterpret_cast<const unsigned char*>(slice.data()), slice.size());
    TreeBuilder builder(tree, offsets);
    std::size_t document = 0; // local to the range; the merge renumbers
    while (true) {
        Event event;
        if (yaml_parser_parse(&parser.handle, &event.handle) == 0) {
            // Like Go's yaml (kubectl): the context mark (the key being scanned) when there is one.
            // Except for a tab that breaks indentation: libyaml's context mark is then the end of
            // the line before, Go's is the tab itself (kubectl and PyYAML name the tab's line).
            const bool tab_indent =
                parser.handle.problem != nullptr
                && std::string_view(parser.handle.problem).find("tab character") != std::string_view::npos;
            const yaml_mark_t& mark = parser.handle.context != nullptr && !tab_indent ? parser.handle.context_mark
                                                                                      : parser.handle.problem_mark;
            ++document;
            // A reader error (invalid UTF-8, a NUL) has no mark: its byte offset is exact.
            const std::size_t at = parser.handle.error == YAML_READER_ERROR
                                       ? range.begin + std::min(parser.handle.problem_offset, slice.size())
                                       : offsets(mark.index);
            fail(at, parser.handle.problem != nullptr ? parser.handle.problem : "the YAML parser failed");
            break;
        }
        const yaml_event_type_t type = event.handle.type;
        if (type == YAML_STREAM_END_EVENT) {
            break;
        }
        if (type == YAML_DOCUMENT_START_EVENT) {
            builder.reset();
            continue;
        }
        if (type != YAML_DOCUMENT_END_EVENT) {
            builder.on_event(event.handle);
            if (builder.too_deep_at != k_npos) {
                ++document;
                fail(builder.too_deep_at, "nesting is too deep");
                break;
            }
            continue;
        }
        ++document;
        if (builder.duplicate_at != k_npos) {
            fail(builder.duplicate_at, "mapping key \"" + builder.duplicate_key + "\" already defined");
        } else {
            Extractor(text, tree, options, document - 1, out).run();
        }
        if (out.error) {
            return;
        }
    }
    out.documents = document;
}

} // namespace

std::string K8sObject::display() const {
    if (kind.empty()) {
        return {};
    }
    if (!name.empty()) {
        return kind + "/" + name;
    }
    return generate_name.empty() ? kind : kind + "/" + generate_name + "*";
}

std::vector<DocumentRange> split_documents(std::string_view text) {
    std::vector<DocumentRange> ranges;
    std::size_t begin = 0;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        begin = 3;
    }
    std::size_t first_line = 1;
    std::size_t line_number = 1;
    std::size_t line = begin;
    while (line < text.size()) {
        if (line != begin && is_marker_line(text, line, '-')) {
            ranges.push_back({begin, line, first_line});
            begin = line;
            first_line = line_number;
        }
        line = next_line_start(text, line);
        ++line_number;
    }
    ranges.push_back({begin, text.size(), first_line});
    return ranges;
}

std::string_view foreign_encoding(std::string_view text) {
    auto starts = [text](std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; };
    using namespace std::string_view_literals;
    if (starts("\x00\x00\xFE\xFF"sv) || (text.size() >= 4 && starts("\x00\x00\x00"sv))) {
        return "UTF-32BE";
    }
    if (starts("\xFF\xFE\x00\x00"sv)
        || (text.size() >= 4 && text[0] != '\0' && text.substr(1, 3) == "\x00\x00\x00"sv)) {
        return "UTF-32LE";
    }
    if (starts("\xFE\xFF"sv) || (text.size() >= 2 && text[0] == '\0' && text[1] != '\0')) {
        return "UTF-16BE";
    }
    if (starts("\xFF\xFE"sv) || (text.size() >= 2 && text[0] != '\0' && text[1] == '\0')) {
        return "UTF-16LE";
    }
    return {};
}

Result<Manifest> scan_manifest(std::string_view text, std::string_view source, const ScanOptions& options) {
    // UTF-16/32 (PowerShell's `>` writes UTF-16LE) is refused, not transcoded: the rewrite
    // must give back the same bytes, and in UTF-8 it could not.
    if (const auto encoding = foreign_encoding(text); !encoding.empty()) {
        const std::string what = "the file is " + std::string(encoding)
                                 + " text; manifests must be UTF-8 (convert it: iconv -f " + std::string(encoding)
                                 + " -t UTF-8, or PowerShell's Out-File -Encoding utf8)";
        if (options.collect_errors) {
            Manifest m;
            m.documents = 1;
            m.errors.push_back({what, Location{0, 1, 1}});
            return m;
        }
        return input_error(what, std::string(source) + ":1:1");
    }
    const auto ranges = split_documents(text);
    std::vector<DocResult> results(ranges.size());
    unsigned threads = options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, ranges.size()));
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        Tree tree;
        for (std::size_t i = next++; i < ranges.size(); i = next++) {
            scan_range(text, ranges[i], options, source, tree, results[i]);
            locate_all(text, ranges[i], results[i]);
        }
    };
    if (threads <= 1) {
        work();
    } else {
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t) {
            pool.emplace_back(work);
        }
        for (auto& t : pool) {
            t.join();
        }
    }
    Manifest manifest;
    for (const auto& r : results) {
        if (r.error) {
            return *r.error;
        }
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
        DocResult& r = results[i];
        const std::size_t object_base = manifest.objects.size();
        const std::size_t pod_base = manifest.pod_specs.size();
        const std::size_t image_base = manifest.images.size();
        for (auto& o : r.objects) {
            o.document += manifest.documents; // local to its range until now
            manifest.objects.push_back(std::move(o));
        }
        for (auto& p : r.pod_specs) {
            p.object += object_base;
            manifest.pod_specs.push_back(std::move(p));
        }
        for (auto& s : r.images) {
            s.object += object_base;
            if (s.pod_spec != k_npos) {
                s.pod_spec += pod_base;
            }
            manifest.images.push_back(std::move(s));
        }
        for (auto& c : r.containers) {
            c.object += object_base;
            if (c.pod_spec != k_npos) {
                c.pod_spec += pod_base;
            }
            if (c.image != k_npos) {
                c.image += image_base;
            }
            manifest.containers.push_back(std::move(c));
        }
        for (auto& sec : r.secrets) {
            sec.object += object_base;
            manifest.secrets.push_back(std::move(sec));
        }
        for (auto& sa : r.service_accounts) {
            sa.object += object_base;
            manifest.service_accounts.push_back(std::move(sa));
        }
        for (auto& e : r.errors) {
            manifest.errors.push_back(std::move(e));
        }
        for (auto& m : r.mentions) {
            m.object += object_base;
            manifest.mentions.push_back(std::move(m));
        }
        manifest.documents += r.documents;
        r = DocResult{}; // release as we go: memory stays bounded by the facts kept
    }
    return manifest;
}

} // namespace image_secure
