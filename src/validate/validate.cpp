// The validate rules (spec/validate.md), over the scanner's facts of a whole bundle.
#include <image_secure/base/text.hpp>
#include <image_secure/findings/suppression.hpp>
#include <image_secure/reference/reference.hpp>
#include <image_secure/validate/validate.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <tuple>

namespace image_secure {

namespace {

constexpr std::array<std::string_view, 9> k_workload_kinds = {"Pod",
                                                              "Deployment",
                                                              "StatefulSet",
                                                              "DaemonSet",
                                                              "ReplicaSet",
                                                              "ReplicationController",
                                                              "Job",
                                                              "CronJob",
                                                              "PodTemplate"};

// Docker Hub namespaces of Docker Verified Publishers and Sponsored OSS projects (a selection
// of the well-known ones; extend with verifiedPublishers in a policy file).
constexpr std::array<std::string_view, 40> k_verified_publishers = {
    "bitnami",    "grafana",     "prom",    "hashicorp",  "elastic",      "datadog",
    "newrelic",   "circleci",    "cimg",    "amazon",     "amazonlinux",  "microsoft",
    "mcr",        "ibmcom",      "redhat",  "rancher",    "jetbrains",    "gitlab",
    "jenkins",    "sonarsource", "traefik", "envoyproxy", "istio",        "openpolicyagent",
    "calico",     "cilium",      "fluent",  "influxdb",   "confluentinc", "mongodb",
    "neo4j",      "couchbase",   "docker",  "localstack", "kong",         "nginxinc",
    "clickhouse", "minio",       "vault",   "curlimages"};

const std::vector<std::string> k_public_registries = {
    "docker.io", "gcr.io", "registry.k8s.io", "quay.io", "ghcr.io", "mcr.microsoft.com", "public.ecr.aws"};

const std::vector<std::string> k_heavy_images = {"ubuntu",
                                                 "debian",
                                                 "centos",
                                                 "fedora",
                                                 "node",
                                                 "python",
                                                 "golang",
                                                 "openjdk",
                                                 "ruby",
                                                 "php",
                                                 "perl",
                                                 "rust",
                                                 "gcc",
                                                 "buildpack-deps",
                                                 "rockylinux",
                                                 "almalinux",
                                                 "oraclelinux",
                                                 "amazonlinux"};

const std::map<std::string, std::vector<std::string>> k_stateful_images = {
    {"postgres", {"/var/lib/postgresql/data"}},
    {"mysql", {"/var/lib/mysql"}},
    {"mariadb", {"/var/lib/mysql"}},
    {"mongo", {"/data/db"}},
    {"redis", {"/data"}},
    {"elasticsearch", {"/usr/share/elasticsearch/data"}},
    {"rabbitmq", {"/var/lib/rabbitmq"}},
    {"cassandra", {"/var/lib/cassandra"}},
};

const std::vector<std::string_view> k_pod_spec_keys = {"activeDeadlineSeconds",
                                                       "affinity",
                                                       "automountServiceAccountToken",
                                                       "containers",
                                                       "dnsConfig",
                                                       "dnsPolicy",
                                                       "enableServiceLinks",
                                                       "ephemeralContainers",
                                                       "hostAliases",
                                                       "hostIPC",
                                                       "hostNetwork",
                                                       "hostPID",
                                                       "hostUsers",
                                                       "hostname",
                                                       "imagePullSecrets",
                                                       "initContainers",
                                                       "nodeName",
                                                       "nodeSelector",
                                                       "os",
                                                       "overhead",
                                                       "preemptionPolicy",
                                                       "priority",
                                                       "priorityClassName",
                                                       "readinessGates",
                                                       "resourceClaims",
                                                       "resources",
                                                       "restartPolicy",
                                                       "runtimeClassName",
                                                       "schedulerName",
                                                       "schedulingGates",
                                                       "securityContext",
                                                       "serviceAccount",
                                                       "serviceAccountName",
                                                       "setHostnameAsFQDN",
                                                       "shareProcessNamespace",
                                                       "subdomain",
                                                       "terminationGracePeriodSeconds",
                                                       "tolerations",
                                                       "topologySpreadConstraints",
                                                       "volumes"};

const std::vector<std::string_view> k_container_keys = {"args",
                                                        "command",
                                                        "env",
                                                        "envFrom",
                                                        "image",
                                                        "imagePullPolicy",
                                                        "lifecycle",
                                                        "livenessProbe",
                                                        "name",
                                                        "ports",
                                                        "readinessProbe",
                                                        "resizePolicy",
                                                        "resources",
                                                        "restartPolicy",
                                                        "securityContext",
                                                        "startupProbe",
                                                        "stdin",
                                                        "stdinOnce",
                                                        "targetContainerName",
                                                        "terminationMessagePath",
                                                        "terminationMessagePolicy",
                                                        "tty",
                                                        "volumeDevices",
                                                        "volumeMounts",
                                                        "workingDir"};

/// An env var whose name says secret and whose literal value could be one. Names that say
/// where a secret is (`…_SECRET_NAME`, `…_KEY_PATH`, `…_TOKEN_FILE`) and values that are paths,
/// booleans, numbers or references (`$(VAR)`) are not secrets.
bool holds_secret(std::string_view env_name, std::string_view value) {
    const std::string name = ascii_lower(env_name);
    static constexpr std::array<std::string_view, 7> k_markers = {
        "password", "passwd", "secret", "token", "api_key", "apikey", "private_key"};
    if (std::none_of(k_markers.begin(), k_markers.end(), [&](std::string_view marker) {
            return name.find(marker) != std::string::npos;
        })) {
        return false;
    }
    static constexpr std::array<std::string_view, 22> k_reference_words = {
        "name",  "names",    "path",    "file",   "dir",      "directory", "namespace", "ref",
        "mount", "location", "enabled", "enable", "disabled", "header",    "field",     "type",
        "mode",  "ttl",      "length",  "size",   "count",    "seconds"};
    const std::string_view last =
        std::string_view(name).substr(name.find_last_of("_.-") == std::string::npos ? 0 : name.find_last_of("_.-") + 1);
    if (std::find(k_reference_words.begin(), k_reference_words.end(), last) != k_reference_words.end()) {
        return false;
    }
    if (value.empty() || value.front() == '/' || value.rfind("./", 0) == 0 || value.rfind("$(", 0) == 0
        || value.rfind("${", 0) == 0) {
        return false;
    }
    const std::string lower = ascii_lower(value);
    if (lower == "true" || lower == "false" || lower == "yes" || lower == "no" || lower == "none") {
        return false;
    }
    return !std::all_of(value.begin(), value.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

std::size_t edit_distance(std::string_view a, std::string_view b);

/// "; nearest allowed entry: r.io/mirror (the image has r.io/mirro)" when an allowed entry is
/// a near miss (a typo in the host or path), else "".
std::string nearest_allowed(const Reference& ref, const std::vector<std::string>& allowed) {
    const std::string full = ref.domain + "/" + ref.path;
    std::string best;
    std::string best_seen;
    std::size_t best_distance = SIZE_MAX;
    for (const auto& entry : allowed) {
        // Compare the entry with as many leading components of the image as it has.
        const auto parts = static_cast<std::size_t>(std::count(entry.begin(), entry.end(), '/')) + 1;
        std::size_t cut = 0;
        for (std::size_t n = 0; n < parts && cut != std::string::npos; ++n) {
            cut = full.find('/', cut == 0 && n == 0 ? 0 : cut + 1);
        }
        const std::string seen = full.substr(0, cut);
        const std::size_t d = edit_distance(entry, seen);
        if (d < best_distance) {
            best_distance = d;
            best = entry;
            best_seen = seen;
        }
    }
    if (best_distance == 0 || best_distance > std::max<std::size_t>(2, best.size() / 5)) {
        return {};
    }
    return "; nearest allowed entry: " + best + " (the image has " + best_seen + ")";
}

bool is_workload(std::string_view kind) {
    return std::find(k_workload_kinds.begin(), k_workload_kinds.end(), kind) != k_workload_kinds.end();
}

std::vector<std::string> split_components(std::string_view s, std::string_view seps) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= s.size()) {
        const auto pos = s.find_first_of(seps, start);
        parts.emplace_back(s.substr(start, pos - start));
        if (pos == std::string_view::npos) {
            break;
        }
        start = pos + 1;
    }
    return parts;
}

} // namespace

// `/data` covers `/data/db`; `/data/configdb` does not. Trailing slashes are ignored.
bool path_covers(std::string_view mount, std::string_view data) {
    while (mount.size() > 1 && mount.back() == '/') {
        mount.remove_suffix(1);
    }
    while (data.size() > 1 && data.back() == '/') {
        data.remove_suffix(1);
    }
    if (mount == "/") {
        return true;
    }
    return data == mount
           || (data.size() > mount.size() && data.substr(0, mount.size()) == mount && data[mount.size()] == '/');
}

namespace {

// `HOST[:PORT]` matches the domain exactly; `HOST[:PORT]/PATH` also needs whole leading components.
bool registry_allowed(const Reference& ref, const std::vector<std::string>& allowed) {
    for (const auto& entry : allowed) {
        const auto slash = entry.find('/');
        const std::string host = entry.substr(0, slash);
        if (ref.domain != host) {
            continue;
        }
        if (slash == std::string::npos) {
            return true;
        }
        std::string prefix = entry.substr(slash + 1);
        while (!prefix.empty() && prefix.back() == '/') {
            prefix.pop_back();
        }
        if (prefix.empty() || ref.path == prefix || ref.path.rfind(prefix + "/", 0) == 0) {
            return true;
        }
    }
    return false;
}

std::string official_name(const Reference& ref) {
    // docker.io/library/NAME → NAME; anything else → ""
    constexpr std::string_view library = "library/";
    if (ref.domain != "docker.io" || ref.path.rfind(library, 0) != 0) {
        return {};
    }
    const std::string name = ref.path.substr(library.size());
    return name.find('/') == std::string::npos ? name : std::string{};
}

struct Context {
    const Policy& policy;
    std::vector<Finding>& out;
    std::vector<std::string> public_registries;
    std::vector<std::string> heavy_images;
    std::map<std::string, std::vector<std::string>> stateful_images;
    std::set<std::string> verified;
    // Bundle-wide facts: (namespace, name) → Secret / ServiceAccount.
    std::map<std::pair<std::string, std::string>, const SecretFact*> secrets;
    std::map<std::pair<std::string, std::string>, const ServiceAccountFact*> service_accounts;
};

class FileChecker {
  public:
    FileChecker(Context& ctx, const BundleFile& file) : m_ctx(ctx), m_file(file), m_m(*file.manifest) {}

    void run() {
        for (const auto& e : m_m.errors) {
            report("IS001", e.at, e.message, nullptr);
        }
        for (const auto& obj : m_m.objects) {
            object_fields(obj);
        }
        for (const auto& c : m_m.containers) {
            if (is_workload(m_m.objects[c.object].kind)) {
                container(c);
            }
        }
        // Image volumes: the kubelet pulls them like container images, with the pod's secrets.
        std::vector<std::vector<const ImageSite*>> volumes_by_pod(m_m.pod_specs.size());
        for (const auto& site : m_m.images) {
            if (site.field == "volumes" && site.pod_spec != k_npos && is_workload(m_m.objects[site.object].kind)) {
                if (!site.value.empty()) {
                    (void)reference_checks(site, m_m.objects[site.object]);
                }
                volumes_by_pod[site.pod_spec].push_back(&site);
            }
        }
        std::vector<std::vector<const ContainerFact*>> by_pod(m_m.pod_specs.size());
        for (const auto& c : m_m.containers) {
            if (c.pod_spec != k_npos) {
                by_pod[c.pod_spec].push_back(&c);
            }
        }
        for (std::size_t i = 0; i < m_m.pod_specs.size(); ++i) {
            if (is_workload(m_m.objects[m_m.pod_specs[i].object].kind)) {
                pod_spec(m_m.pod_specs[i], by_pod[i], volumes_by_pod[i]);
            }
        }
        for (const auto& m : m_m.mentions) {
            report("IS015",
                   m.at,
                   "image " + m.value + " is named in " + m.field + ", outside an image field: mirror it too, "
                       + "rewrite does not change it",
                   &m_m.objects[m.object]);
        }
        for (const auto& secret : m_m.secrets) {
            for (const auto& key : secret.string_data_keys) {
                if (key.name == ".dockerconfigjson" || key.name == ".dockercfg") {
                    report("IS012",
                           key.at,
                           "Secret has registry credentials in clear text (stringData key " + key.name + ")",
                           &m_m.objects[secret.object]);
                }
            }
        }
    }

  private:
    // `level`: the severity of this particular finding when the policy does not set one
    // (IS014 has two levels); by default the catalogue's.
    void report(std::string_view rule,
                const Location& at,
                std::string message,
                const K8sObject* obj,
                std::optional<Severity> level = std::nullopt) {
        if (!m_ctx.policy.is_enabled(rule)) {
            return;
        }
        Finding f;
        f.file = m_file.display;
        f.line = at.line == 0 ? 1 : at.line;
        f.column = at.column == 0 ? 1 : at.column;
        const bool overridden = m_ctx.policy.severity.count(std::string(rule)) != 0;
        f.severity = level && !overridden ? *level : m_ctx.policy.severity_of(rule);
        f.rule = std::string(rule);
        f.message = std::move(message);
        if (obj != nullptr) {
            f.object = obj->display();
            if (!obj->ignore_annotation.empty()) {
                const Suppression ignored = parse_suppression(obj->ignore_annotation);
                if (ignored.covers(rule)) {
                    f.suppressed = true;
                    f.justification = ignored.reason;
                }
            }
        }
        m_ctx.out.push_back(std::move(f));
    }

    void object_fields(const K8sObject& obj) {
        if (obj.api_version.empty()) {
            report("IS002", obj.at, "object has no apiVersion", &obj);
        }
        if (obj.kind.empty()) {
            report("IS002", obj.at, "object has no kind", &obj);
        }
        if (!obj.is_list && !obj.kind.empty() && obj.name.empty() && obj.generate_name.empty()) {
            report("IS002", obj.at, obj.kind + " has no metadata.name", &obj);
        }
    }

    void container(const ContainerFact& c) {
        const K8sObject& obj = m_m.objects[c.object];
        const std::string who = c.has_name ? "container \"" + c.name + "\"" : "a container in " + c.field;
        if (!c.has_name) {
            report("IS002", c.at, who + " has no name", &obj);
        }
        if (!c.has_image) {
            report("IS002", c.at, who + " has no image", &obj);
        } else if (c.image_empty) {
            report("IS002", c.image_key, who + " has an empty image", &obj);
        } else if (c.image != k_npos) {
            image_checks(c, m_m.images[c.image], obj);
        }
        for (const auto& env : c.env) {
            if (env.has_literal_value && holds_secret(env.name, env.value)) {
                report("IS012",
                       env.value_key,
                       "env " + env.name + " of " + who + " holds a literal value; use valueFrom with a Secret",
                       &obj);
            }
        }
        for (const auto& key : c.keys) {
            if (std::find(k_container_keys.begin(), k_container_keys.end(), key.name) == k_container_keys.end()) {
                unknown_key(key, "container", k_container_keys, obj);
            }
        }
    }

    void unknown_key(const KeyFact& key,
                     std::string_view where,
                     const std::vector<std::string_view>& known,
                     const K8sObject& obj) {
        const std::string hint = did_you_mean(key.name, known);
        report("IS013",
               key.at,
               "unknown " + std::string(where) + " field \"" + key.name + "\""
                   + (hint.empty() ? std::string(" (Kubernetes drops it)") : "; did you mean \"" + hint + "\"?"),
               &obj);
    }

    // IS003-IS007: what the reference alone decides, for container and volume images alike.
    // nullopt after IS003 (no other image rule looks at an invalid reference).
    std::optional<Reference> reference_checks(const ImageSite& site, const K8sObject& obj) {
        const Location& at = site.key;
        auto parsed = parse_reference(site.value);
        if (!parsed) {
            report("IS003", at, "image \"" + site.value + "\" is not a valid reference: " + parsed.error().what, &obj);
            return std::nullopt;
        }
        const Reference& ref = *parsed;
        const std::string& img = site.value;
        const bool mutable_tag = ref.digest.empty() && (ref.tag.empty() || ref.tag == "latest");
        if (mutable_tag) {
            report("IS004",
                   at,
                   ref.tag.empty() ? "image " + img + " has no tag and defaults to the mutable 'latest'"
                                   : "image " + img + " uses the mutable tag 'latest'",
                   &obj);
        }
        if (ref.digest.empty()) {
            report("IS005", at, "image " + img + " is not pinned by digest", &obj);
        }
        const auto& allowed = m_ctx.policy.allowed_registries;
        if (!allowed.empty() && !registry_allowed(ref, allowed)) {
            report("IS006",
                   at,
                   "image " + img + " comes from " + (ref.domain.empty() ? "an unknown host" : ref.domain)
                       + ", which is not an allowed registry" + nearest_allowed(ref, allowed),
                   &obj);
        }
        if (ref.domain == "docker.io") {
            const std::string ns = ref.path.substr(0, ref.path.find('/'));
            if (ns != "library" && m_ctx.verified.count(ns) == 0) {
                report("IS007",
                       at,
                       "image " + img + " is from the Docker Hub namespace \"" + ns
                           + "\", neither official nor a verified publisher",
                       &obj);
            }
        }
        return std::move(*parsed);
    }

    void image_checks(const ContainerFact& c, const ImageSite& site, const K8sObject& obj) {
        const auto parsed = reference_checks(site, obj);
        if (!parsed) {
            return;
        }
        const Reference& ref = *parsed;
        const Location& at = site.key;
        const std::string& img = site.value;
        const std::string official = official_name(ref);
        if (!official.empty()
            && std::find(m_ctx.heavy_images.begin(), m_ctx.heavy_images.end(), official) != m_ctx.heavy_images.end()) {
            const auto parts = split_components(ref.tag, "-");
            const bool small = std::any_of(parts.begin(), parts.end(), [](const std::string& p) {
                return p == "slim" || p.rfind("alpine", 0) == 0;
            });
            if (!small) {
                report("IS010",
                       at,
                       "image " + img + " is a full " + official + " image; use a slim or alpine variant",
                       &obj);
            }
        }
        if (!official.empty()) {
            if (const auto it = m_ctx.stateful_images.find(official); it != m_ctx.stateful_images.end()) {
                for (const auto& data : it->second) {
                    const bool mounted = std::any_of(c.mount_paths.begin(),
                                                     c.mount_paths.end(),
                                                     [&](const std::string& m) { return path_covers(m, data); });
                    if (!mounted) {
                        report("IS011",
                               at,
                               "image " + img + " keeps its data in " + data + " but no volume is mounted there",
                               &obj);
                    }
                }
            }
        }
        pull_policy(c, ref, obj);
    }

    // IS014 (decided): only a written imagePullPolicy is judged. IfNotPresent/Never with latest
    // or no tag is a warning; with a version tag but no digest, info (a moved tag is not pulled).
    void pull_policy(const ContainerFact& c, const Reference& ref, const K8sObject& obj) {
        if (c.pull_policy.empty() || c.pull_policy == "Always" || !ref.digest.empty()) {
            return;
        }
        const std::string& img = m_m.images[c.image].value;
        if (ref.tag.empty() || ref.tag == "latest") {
            report("IS014",
                   c.pull_policy_key,
                   "imagePullPolicy " + c.pull_policy + " with the mutable image " + img
                       + " keeps whatever a node has cached; use Always or pin a digest",
                   &obj);
            return;
        }
        report("IS014",
               c.pull_policy_key,
               "imagePullPolicy " + c.pull_policy + " with " + img
                   + ": if the tag is moved, nodes keep the old image; pin a digest",
               &obj,
               Severity::info);
    }

    bool is_public(const Reference& ref) const {
        return std::any_of(m_ctx.public_registries.begin(), m_ctx.public_registries.end(), [&](const std::string& r) {
            return r == ref.domain;
        });
    }

    void pod_spec(const PodSpec& spec,
                  const std::vector<const ContainerFact*>& containers,
                  const std::vector<const ImageSite*>& volumes) {
        const K8sObject& obj = m_m.objects[spec.object];
        for (const auto& key : spec.keys) {
            if (std::find(k_pod_spec_keys.begin(), k_pod_spec_keys.end(), key.name) == k_pod_spec_keys.end()) {
                unknown_key(key, "pod spec", k_pod_spec_keys, obj);
            }
        }
        const std::string ns = obj.namespace_name.empty() ? "default" : obj.namespace_name;
        // IS009 (a): referenced Secrets that exist but cannot be used.
        std::vector<std::string> auths;
        bool all_known = !spec.pull_secrets.refs.empty();
        bool all_usable = true;
        for (const auto& ref : spec.pull_secrets.refs) {
            const auto it = m_ctx.secrets.find({ns, ref.name});
            if (it == m_ctx.secrets.end()) {
                all_known = false;
                continue;
            }
            std::vector<std::string> keys;
            const std::string problem = pull_secret_problem(*it->second, keys);
            if (!problem.empty()) {
                all_usable = false;
                report("IS009", ref.at, "pull secret \"" + ref.name + "\" " + problem, &obj);
            }
            auths.insert(auths.end(), keys.begin(), keys.end());
        }
        // The ServiceAccount the pod runs as, when it is in the bundle.
        const std::string sa_name = spec.service_account.empty() ? "default" : spec.service_account;
        const auto sa = m_ctx.service_accounts.find({ns, sa_name});
        const bool sa_has_secrets = sa != m_ctx.service_accounts.end() && !sa->second->pull_secrets.empty();
        std::vector<const ImageSite*> sites;
        for (const ContainerFact* c : containers) {
            if (c->image != k_npos && !c->image_empty) {
                sites.push_back(&m_m.images[c->image]);
            }
        }
        sites.insert(sites.end(), volumes.begin(), volumes.end());
        for (const ImageSite* image : sites) {
            const ImageSite& site = *image;
            const auto parsed = parse_reference(site.value);
            if (!parsed || is_public(*parsed)) {
                continue;
            }
            if (spec.pull_secrets.refs.empty() && !sa_has_secrets) {
                // KEP-2535 (KubeletEnsureSecretPulledImages, beta and on by default since 1.35):
                // the kubelet re-checks credentials even for images the node already has.
                const int minor = m_ctx.policy.kubernetes_minor;
                const std::string why = minor >= 35 ? "; on Kubernetes 1." + std::to_string(minor)
                                                          + " the kubelet re-checks pull credentials even for images "
                                                            "the node already has, so the pod will not start"
                                        : minor == 0 ? "; from Kubernetes 1.35 on the kubelet re-checks pull "
                                                       "credentials even for cached images (pass "
                                                       "--kubernetes-version to be exact)"
                                                     : "";
                report("IS008",
                       site.key,
                       "image " + site.value + " is on the private registry "
                           + (parsed->domain.empty() ? std::string("(unknown host)") : parsed->domain)
                           + " but the pod has no imagePullSecrets and its ServiceAccount \"" + sa_name
                           + "\" has none in this bundle" + why,
                       &obj,
                       minor >= 35 ? std::optional<Severity>(Severity::error) : std::nullopt);
                continue;
            }
            // IS009 (b): every referenced Secret known and usable, yet none covers the registry.
            if (all_known && all_usable && !auths_cover(auths, parsed->name())) {
                report("IS009",
                       site.key,
                       "no pull secret of the pod has credentials for " + parsed->domain + " (image " + site.value
                           + ")",
                       &obj);
            }
        }
    }

    Context& m_ctx;
    const BundleFile& m_file;
    const Manifest& m_m;
};

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

} // namespace

std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& known) {
    std::string best;
    std::size_t best_distance = 3;
    for (const auto candidate : known) {
        if (ascii_lower(candidate) == ascii_lower(name)) {
            return std::string(candidate);
        }
        // imagePullSecret → imagePullSecrets, containres → containers
        const std::size_t d = edit_distance(name, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = std::string(candidate);
        }
    }
    return best;
}

std::vector<std::string> public_registries_of(const Policy& policy) {
    return policy.public_registries.value_or(k_public_registries);
}

std::vector<std::string> heavy_images_of(const Policy& policy) { return policy.heavy_images.value_or(k_heavy_images); }

std::map<std::string, std::vector<std::string>> stateful_images_of(const Policy& policy) {
    auto all = k_stateful_images;
    for (const auto& [image, paths] : policy.stateful_images) {
        all[image] = paths;
    }
    return all;
}

std::vector<std::string> verified_publishers_of(const Policy& policy) {
    std::set<std::string> all(k_verified_publishers.begin(), k_verified_publishers.end());
    all.insert(policy.verified_publishers.begin(), policy.verified_publishers.end());
    return {all.begin(), all.end()};
}

std::vector<Finding> validate_bundle(const std::vector<BundleFile>& files, const Policy& policy) {
    std::vector<Finding> findings;
    Context ctx{policy, findings, {}, {}, {}, {}, {}, {}};
    ctx.public_registries = public_registries_of(policy);
    ctx.heavy_images = heavy_images_of(policy);
    ctx.stateful_images = stateful_images_of(policy);
    const auto verified = verified_publishers_of(policy);
    ctx.verified.insert(verified.begin(), verified.end());
    for (const auto& file : files) {
        const Manifest& m = *file.manifest;
        for (const auto& secret : m.secrets) {
            const K8sObject& obj = m.objects[secret.object];
            ctx.secrets.emplace(std::make_pair(obj.namespace_name.empty() ? "default" : obj.namespace_name, obj.name),
                                &secret);
        }
        for (const auto& sa : m.service_accounts) {
            const K8sObject& obj = m.objects[sa.object];
            ctx.service_accounts.emplace(
                std::make_pair(obj.namespace_name.empty() ? "default" : obj.namespace_name, obj.name), &sa);
        }
    }
    for (const auto& file : files) {
        const std::size_t first = findings.size();
        FileChecker(ctx, file).run();
        std::stable_sort(findings.begin() + static_cast<std::ptrdiff_t>(first),
                         findings.end(),
                         [](const Finding& a, const Finding& b) {
                             return std::tie(a.line, a.column, a.rule) < std::tie(b.line, b.column, b.rule);
                         });
    }
    return findings;
}

} // namespace image_secure
