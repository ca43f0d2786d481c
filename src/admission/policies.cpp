// The YAML stream of `admission`: the policies, their bindings and a header that says what
// is enforced and what stays in CI.
#include "cel.hpp"

#include <image_secure/admission/admission.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/version.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace image_secure {

namespace {

using admission::cel_string;

// A YAML double-quoted scalar: a JSON string is one (nlohmann escapes quotes, backslashes and
// control characters; invalid UTF-8 becomes U+FFFD).
std::string yaml_quoted(std::string_view text) {
    return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// `key: |-` at `indent` and the text below it, two columns right of the key (of the key after
// "- " for a list item). CEL never ends a line in a space.
std::string block(int indent, std::string_view key, std::string_view text) {
    const std::string pad(static_cast<std::size_t>(indent), ' ');
    const std::string body(static_cast<std::size_t>(indent) + (key.rfind("- ", 0) == 0 ? 4 : 2), ' ');
    std::string out = pad + std::string(key) + ": |-\n";
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find('\n', start), text.size());
        out += body + std::string(text.substr(start, end - start)) + "\n";
        start = end + 1;
    }
    return out;
}

// Every kind with a pod spec that rewrite and validate know.
std::string resource_rules() {
    return "  matchConstraints:\n"
           "    resourceRules:\n"
           "    - apiGroups: [\"\"]\n"
           "      apiVersions: [\"v1\"]\n"
           "      operations: [\"CREATE\", \"UPDATE\"]\n"
           "      resources: [\"pods\", \"pods/ephemeralcontainers\", \"podtemplates\", \"replicationcontrollers\"]\n"
           "    - apiGroups: [\"apps\"]\n"
           "      apiVersions: [\"v1\"]\n"
           "      operations: [\"CREATE\", \"UPDATE\"]\n"
           "      resources: [\"deployments\", \"statefulsets\", \"daemonsets\", \"replicasets\"]\n"
           "    - apiGroups: [\"batch\"]\n"
           "      apiVersions: [\"v1\"]\n"
           "      operations: [\"CREATE\", \"UPDATE\"]\n"
           "      resources: [\"jobs\", \"cronjobs\"]\n";
}

std::string metadata(const std::string& name) {
    return "metadata:\n  name: " + yaml_quoted(name)
           + "\n  labels:\n    app.kubernetes.io/managed-by: kubectl-image-secure\n";
}

std::string namespace_selector(const AdmissionOptions& o) {
    if (o.namespace_labels.empty() && o.exclude_namespaces.empty()) {
        return {};
    }
    std::string out = "  matchResources:\n    namespaceSelector:\n";
    if (!o.namespace_labels.empty()) {
        out += "      matchLabels:\n";
        for (const auto& [key, value] : o.namespace_labels) {
            out += "        " + yaml_quoted(key) + ": " + yaml_quoted(value) + "\n";
        }
    }
    if (!o.exclude_namespaces.empty()) {
        out += "      matchExpressions:\n      - key: kubernetes.io/metadata.name\n        operator: NotIn\n"
               "        values: [";
        for (std::size_t i = 0; i < o.exclude_namespaces.size(); ++i) {
            out += (i == 0 ? "" : ", ") + yaml_quoted(o.exclude_namespaces[i]);
        }
        out += "]\n";
    }
    return out;
}

std::string variable(std::string_view name, const std::string& expression) {
    return "  - name: " + std::string(name) + "\n" + block(4, "expression", expression);
}

constexpr std::string_view k_ignore_variable =
    "has(object.metadata.annotations) && 'image-secure.dev/ignore' in object.metadata.annotations\n"
    "? object.metadata.annotations['image-secure.dev/ignore'] : ''";

std::string list_of(std::string_view field) {
    const std::string f(field);
    return "(has(variables.podSpec." + f + ") ? variables.podSpec." + f + " : [])";
}

std::string validating_policy(const AdmissionOptions& o, std::vector<std::string>& enforced) {
    const auto rules = admission::object_rules(o.policy, o.fail_on);
    std::string out = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
                      + metadata(o.name) + "spec:\n  failurePolicy: Fail\n" + resource_rules() + "  variables:\n";
    out += variable("podSpec", admission::pod_spec_expression());
    out += variable("ignore", std::string(k_ignore_variable));
    out += variable("containers",
                    list_of("initContainers") + " + " + list_of("containers") + " + " + list_of("ephemeralContainers"));
    out += variable("images",
                    admission::parsed_images("(" + admission::container_images("variables.containers", &o.policy, "c")
                                             + "\n+ " + admission::volume_images(list_of("volumes")) + ")"));
    out += "  validations:\n";
    for (const auto& rule : rules) {
        enforced.push_back(rule.id);
        const RuleInfo* info = find_rule(rule.id);
        const std::string title = rule.id + " " + std::string(info != nullptr ? info->name : "");
        const std::string in = "(" + rule.var + ", " + rule.violated + ")";
        out += block(2, "- expression", admission::ignored(rule.id) + "\n|| !" + rule.list + ".exists" + in);
        out += block(4,
                     "messageExpression",
                     cel_string(title + ": ") + " + " + rule.list + ".filter" + in + "\n.map(" + rule.var + ", "
                         + rule.describe + ").join(', ') + " + cel_string(" " + rule.advice));
        out += "    message: " + yaml_quoted(title + ": " + rule.advice) + "\n";
        out += "    reason: Invalid\n";
    }
    if (rules.empty()) {
        out += "  - expression: \"true\"\n    message: \"no rule at or above --fail-on is enabled\"\n";
    }
    return out;
}

std::string validating_binding(const AdmissionOptions& o) {
    std::string out = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n"
                      + metadata(o.name) + "spec:\n  policyName: " + yaml_quoted(o.name) + "\n  validationActions: [";
    for (std::size_t i = 0; i < o.actions.size(); ++i) {
        out += (i == 0 ? "" : ", ") + o.actions[i];
    }
    return out + "]\n" + namespace_selector(o);
}

// The apply configuration for one pod-spec location: `type` is its Object type path. Each
// list gets the items of variables.images that came from it ('w') and change.
std::string pod_fields(const std::string& type) {
    std::string out;
    for (const std::string field : {"initContainers", "containers", "ephemeralContainers"}) {
        out += field + ": variables.images.filter(m, m.w == " + cel_string(field) + " && m.t != m.s).map(m, " + type
               + "." + field + "{name: m.n, image: m.t}),\n";
    }
    return out + "volumes: variables.images.filter(m, m.w == 'v' && m.t != m.s).map(m, " + type
           + ".volumes{name: m.n, image: " + type + ".volumes.image{reference: m.t}}),\n"
           + "imagePullSecrets: (variables.ex + variables.add).map(x, " + type + ".imagePullSecrets{name: x})";
}

// Object{a: Object.a{b: Object.a.b{...}}} down `path`, with the pod fields at the bottom.
std::string apply_configuration(const std::vector<std::string>& path) {
    std::vector<std::string> types = {"Object"};
    for (const auto& part : path) {
        types.push_back(types.back() + "." + part);
    }
    std::string out = types.back() + "{\n" + pod_fields(types.back()) + "}";
    for (std::size_t i = path.size(); i-- > 0;) {
        out = types[i] + "{" + path[i] + ": " + out + "}";
    }
    return out;
}

// The names to add to imagePullSecrets, in rewrite's order: the flags' (every pod spec), then
// each rule's when one of the pod's images matched it, first occurrence only, none present.
std::string added_secrets(const MappingConfig& mapping) {
    struct Entry {
        std::string name;
        std::string condition; ///< "" for always
    };

    std::vector<Entry> entries;
    for (const auto& name : mapping.pull_secrets) {
        entries.push_back({name, ""});
    }
    if (mapping.rules != nullptr) {
        for (const auto& rule : mapping.rules->rules) {
            for (const auto& name : rule.pull_secrets) {
                entries.push_back({name, cel_string(std::to_string(rule.number)) + " in variables.matched"});
            }
        }
    }
    std::string out;
    for (std::size_t j = 0; j < entries.size(); ++j) {
        std::string earlier;
        bool shadowed = false;
        for (std::size_t i = 0; i < j; ++i) {
            if (entries[i].name != entries[j].name) {
                continue;
            }
            if (entries[i].condition.empty()) {
                shadowed = true;
            }
            earlier += (earlier.empty() ? "" : " || ") + entries[i].condition;
        }
        if (shadowed) {
            continue;
        }
        std::string condition = "!(" + cel_string(entries[j].name) + " in variables.ex)";
        if (!entries[j].condition.empty()) {
            condition += " && " + entries[j].condition;
        }
        if (!earlier.empty()) {
            condition += " && !(" + earlier + ")";
        }
        out += (out.empty() ? "" : "\n+ ") + ("(" + condition + " ? [" + cel_string(entries[j].name) + "] : [])");
    }
    return out.empty() ? "[]" : out;
}

Result<std::string> mutating_policy(const AdmissionOptions& o) {
    const std::string version = o.kubernetes_minor >= k_map_v1_minor ? "v1" : "v1beta1";
    const std::string name = o.name + "-rewrite";
    std::string out = "apiVersion: admissionregistration.k8s.io/" + version + "\nkind: MutatingAdmissionPolicy\n"
                      + metadata(name) + "spec:\n  failurePolicy: Fail\n  reinvocationPolicy: IfNeeded\n"
                      + resource_rules() + "  variables:\n";
    out += variable("podSpec", admission::pod_spec_expression());
    std::string sources;
    for (const std::string field : {"initContainers", "containers", "ephemeralContainers"}) {
        sources += admission::container_images(list_of(field), nullptr, field) + "\n+ ";
    }
    auto mapped = admission::mapped_images(
        admission::parsed_images("(" + sources + admission::volume_images(list_of("volumes")) + ")"), *o.mapping);
    if (!mapped) {
        return mapped.error();
    }
    out += variable("images", *mapped);
    out += variable("matched", "variables.images.map(m, m.k)");
    out += variable("ex",
                    "has(variables.podSpec.imagePullSecrets)\n"
                    "? variables.podSpec.imagePullSecrets.map(x, has(x.name) ? x.name : '') : []");
    out += variable("add", added_secrets(*o.mapping));
    const std::string expression = "object.kind == 'Pod' ? " + apply_configuration({"spec"})
                                   + "\n: object.kind == 'CronJob' ? "
                                   + apply_configuration({"spec", "jobTemplate", "spec", "template", "spec"})
                                   + "\n: object.kind == 'PodTemplate' ? " + apply_configuration({"template", "spec"})
                                   + "\n: " + apply_configuration({"spec", "template", "spec"});
    out += "  mutations:\n  - patchType: ApplyConfiguration\n    applyConfiguration:\n";
    out += block(6, "expression", expression);
    out += "---\napiVersion: admissionregistration.k8s.io/" + version + "\nkind: MutatingAdmissionPolicyBinding\n"
           + metadata(name) + "spec:\n  policyName: " + yaml_quoted(name) + "\n" + namespace_selector(o);
    return out;
}

std::string header(const AdmissionOptions& o, const std::vector<std::string>& enforced) {
    std::string out = "# Generated by kubectl image-secure " + std::string(k_version) + " admission"
                      + (o.source.empty() ? std::string() : " from " + printable(o.source)) + " for Kubernetes 1."
                      + std::to_string(o.kubernetes_minor) + ".\n# Apply with: kubectl apply -f -\n";
    std::string list;
    for (const auto& id : enforced) {
        list += " " + id;
    }
    out += "# Enforced at --fail-on " + std::string(severity_name(o.fail_on)) + ":"
           + (list.empty() ? std::string(" none") : list) + "\n";
    out +=
        "# Exempt an object with the annotation image-secure.dev/ignore: \"IS004: reason\" (for a workload, also on\n"
        "# its pod template: the Pods a controller creates carry only the template's annotations).\n";
    out += "# CI only (kubectl image-secure validate):\n";
    for (const auto& rule : ci_only_rules()) {
        out += "#   " + rule.id + ": " + rule.reason + "\n";
    }
    if (std::find(enforced.begin(), enforced.end(), "IS008") != enforced.end()) {
        out += "# IS008 reads the pod's own imagePullSecrets. For Pods the API server has merged the ServiceAccount's\n"
               "# by then; a workload that relies on its ServiceAccount's secrets needs the annotation.\n";
    }
    return out;
}

} // namespace

std::vector<CiOnlyRule> ci_only_rules() {
    return {
        {"IS001", "YAML syntax: the API server parses the request itself"},
        {"IS002", "required fields: the API server's own validation rejects the object"},
        {"IS009", "pull-secret-mismatch needs the Secret objects the pod names"},
        {"IS012", "(the part on Secret objects with stringData credentials; the env part is enforced)"},
        {"IS013", "unknown fields: the API server drops or rejects them (field validation)"},
        {"IS015", "images named outside image fields: advice for mirroring, not admission"},
        {"IS101-IS114", "audit rules read the image from the registry"},
    };
}

Result<std::string> generate_admission(const AdmissionOptions& o) {
    if (o.kubernetes_minor < k_vap_min_minor) {
        return usage_error("ValidatingAdmissionPolicy v1 needs Kubernetes 1." + std::to_string(k_vap_min_minor)
                               + " or later, not 1." + std::to_string(o.kubernetes_minor),
                           "--kubernetes-version");
    }
    if (o.mutate && o.kubernetes_minor < k_map_min_minor) {
        return usage_error("--mutate needs MutatingAdmissionPolicy, beta from Kubernetes 1."
                               + std::to_string(k_map_min_minor) + " (v1 from 1." + std::to_string(k_map_v1_minor)
                               + "); this cluster is 1." + std::to_string(o.kubernetes_minor),
                           "--mutate");
    }
    if (o.mutate && o.mapping == nullptr) {
        return usage_error("--mutate needs --registry or --rules", "--mutate");
    }
    std::vector<std::string> enforced;
    const std::string validating = validating_policy(o, enforced);
    std::string out = header(o, enforced) + "---\n" + validating + "---\n" + validating_binding(o);
    if (o.mutate) {
        auto mutating = mutating_policy(o);
        if (!mutating) {
            return mutating.error();
        }
        out += "---\n" + *mutating;
    }
    return out;
}

} // namespace image_secure
