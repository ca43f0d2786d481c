// Expected findings here are written by hand from spec/validate.md and spec/secret.md §9.
#include <image_secure/config/policy_file.hpp>
#include <image_secure/findings/report.hpp>
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/validate/validate.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace image_secure;

namespace {

ScanOptions validate_scan() {
    ScanOptions scan;
    scan.threads = 1;
    scan.skip_irrelevant = false;
    scan.collect_errors = true;
    scan.validation_facts = true;
    return scan;
}

std::vector<Finding> check(const std::string& text, const Policy& policy = Policy{}) {
    auto manifest = scan_manifest(text, "m.yaml", validate_scan());
    REQUIRE(manifest.has_value());
    return validate_bundle({{"m.yaml", &*manifest}}, policy);
}

// "RULE line:column" of every finding joined by "|", suppressed ones marked with a trailing "s".
std::string brief(const std::vector<Finding>& findings) {
    std::string out;
    for (const auto& f : findings) {
        out += (out.empty() ? "" : "|") + f.rule + " " + std::to_string(f.line) + ":" + std::to_string(f.column)
               + (f.suppressed ? "s" : "");
    }
    return out;
}

std::string pod(const std::string& containers, const std::string& extra = "") {
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + extra + "  containers:\n" + containers;
}

} // namespace

TEST_SUITE("validate") {
    TEST_CASE("kubelet auths matching: the table of spec/secret.md §9") {
        struct Row {
            std::vector<std::string> keys;
            std::string repo;
            bool covered;
        };

        const Row rows[] = {
            {{"https://index.docker.io/v1/"}, "docker.io/library/nginx", true},
            {{"index.docker.io/v1"}, "docker.io/library/nginx", false},
            {{"docker.io"}, "docker.io/library/nginx", true},
            {{"https://index.docker.io/v1/", "*.io"}, "docker.io/library/nginx", true},
            {{"registry.example.com"}, "registry.example.com:5000/team/app", false},
            {{"registry.example.com:5000"}, "registry.example.com/team/app", false},
            {{"*.example.com"}, "a.b.example.com/app", false},
            {{"registry.example.com/team"}, "registry.example.com/teamster/app", true},
            {{"https://registry.example.com/v2/team"}, "registry.example.com/team/app", true},
            {{"registry.example.com", "registry.example.com/team", "*.example.com"},
             "registry.example.com/team/app",
             true},
            {{"Registry.Example.com"}, "registry.example.com/app", false},
            {{"gcr.io"}, "us.gcr.io/proj/app", false},
            {{"registry.example.com:abc"}, "registry.example.com/app", false},
            {{"registry-1.docker.io"}, "docker.io/library/nginx", false},
            {{"index.docker.io"}, "docker.io/x/y", true},
            {{"*.example.com"}, "registry.example.com/app", true},
            {{"registry.example.com/team/"}, "registry.example.com/teamster/app", false},
            {{"[fd00::1]:5000"}, "[fd00::1]:5000/app", true},
        };
        for (const auto& row : rows) {
            CAPTURE(row.repo);
            CAPTURE(row.keys.front());
            CHECK(auths_cover(row.keys, row.repo) == row.covered);
        }
    }

    TEST_CASE("IS001: one finding per broken document, others still checked; duplicate keys at the second") {
        const std::string text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n"
                                 "  - {name: a, image: nginx}\n---\na: [b\n---\nx: 1\ny: 2\nx: 3\n---\n"
                                 + pod("  - name: b\n    image: busybox\n");
        CHECK(brief(check(text)) == "IS004 6:15|IS001 8:4|IS001 12:1|IS004 21:5");
    }

    TEST_CASE("IS002: object fields, container name and image, empty image on the image key") {
        const auto f = check("kind: Service\nmetadata: {}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n"
                             "  generateName: p-\nspec:\n  containers:\n  - image: nginx:1\n  - name: b\n"
                             "  - name: c\n    image: \"\"\n---\napiVersion: v1\nkind: List\nitems: []\n");
        CHECK(brief(f) == "IS002 1:1|IS002 1:1|IS002 10:5|IS002 11:5|IS002 13:5");
        CHECK(f[0].message == "object has no apiVersion");
        CHECK(f[1].message == "Service has no metadata.name");
        CHECK(f[2].object == "Pod/p-*");
    }

    TEST_CASE("IS003 only, for an invalid reference; IS004 on latest and untagged, not on digests or ports") {
        const std::string d = "@sha256:" + std::string(64, 'a');
        const auto f = check(pod("  - {name: a, image: \"${IMAGE}\"}\n  - {name: b, image: nginx:latest}\n"
                                 "  - {name: c, image: \"nginx:latest"
                                     + d
                                     + "\"}\n"
                                       "  - {name: d, image: \"registry.example.com:5000/app"
                                     + d + "\"}\n",
                                 "  imagePullSecrets: [{name: s}]\n"));
        CHECK(brief(f) == "IS003 8:15|IS004 9:15");
    }

    TEST_CASE("IS005 off by default, on by policy; IS006 allowed registries by whole host and path components") {
        Policy policy;
        policy.enabled["IS005"] = true;
        CHECK(brief(check(pod("  - {name: a, image: nginx:1}\n"), policy)) == "IS005 7:15");
        Policy allow;
        allow.allowed_registries = {"docker.io", "registry.example.com/team"};
        const auto f = check(pod("  - {name: a, image: busybox:1}\n"
                                 "  - {name: b, image: registry.example.com/team/app:1}\n"
                                 "  - {name: c, image: registry.example.com/teamster/app:1}\n"
                                 "  - {name: d, image: registry.example.com.evil.io/team/app:1}\n"
                                 "  - {name: e, image: \"registry.example.com:5000/team/app:1\"}\n",
                                 "  imagePullSecrets: [{name: s}]\n"),
                             allow);
        CHECK(brief(f) == "IS006 10:15|IS006 11:15|IS006 12:15");
    }

    TEST_CASE("IS007: Docker Hub namespaces other than library and verified publishers") {
        Policy policy;
        policy.verified_publishers = {"acme"};
        const auto f = check(pod("  - {name: a, image: bitnami/redis:7}\n  - {name: b, image: acme/tool:1}\n"
                                 "  - {name: c, image: index.docker.io/someone/tool:1}\n"
                                 "  - {name: d, image: docker.io/library/nginx:1}\n"),
                             policy);
        CHECK(brief(f) == "IS007 9:15");
    }

    TEST_CASE("IS008: private images need pull secrets on the pod or its ServiceAccount in the bundle") {
        const std::string priv = "  - {name: a, image: registry.example.com/app:1}\n";
        CHECK(brief(check(pod(priv))) == "IS008 7:15");
        CHECK(brief(check(pod("  - {name: a, image: localhost:5000/app:1}\n"))) == "IS008 7:15");
        CHECK(brief(check(pod("  - {name: a, image: quay.io/app/x:1}\n"))).empty());
        const std::string sa = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}\n"
                               "imagePullSecrets: [{name: s}]\n";
        CHECK(brief(check(pod(priv) + sa)).empty());
        const std::string other_ns =
            "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: x}\n"
            "imagePullSecrets: [{name: s}]\n";
        CHECK(brief(check(pod(priv) + other_ns)) == "IS008 7:15");
    }

    TEST_CASE("image volumes: IS003-IS008 at their reference key, as the kubelet pulls them; never IS010/IS011") {
        // The pod: line 6 `containers:`, 7 the container; `volumes:` at 8.
        const std::string volumes = "  volumes:\n"
                                    "  - name: a\n"
                                    "    image: {reference: someuser/models}\n" // 10: IS004, IS007
                                    "  - name: b\n"
                                    "    image: {reference: 'Models:v1'}\n" // 12: IS003
                                    "  - name: c\n"
                                    "    image:\n"
                                    "      reference: registry.example.com/d:1\n" // 15: IS008
                                    "  - name: d\n"
                                    "    image: {reference: postgres:16}\n"; // 17: nothing
        const std::string text = pod("  - {name: x, image: quay.io/a/b:1}\n") + volumes;
        CHECK(brief(check(text)) == "IS004 10:13|IS007 10:13|IS003 12:13|IS008 15:7");
        CHECK(brief(check(pod("  - {name: x, image: quay.io/a/b:1}\n", "  imagePullSecrets: [{name: s}]\n") + volumes))
              == "IS004 11:13|IS007 11:13|IS003 13:13");
    }

    TEST_CASE("IS009: unusable secrets on their reference line; uncovered registries on the image line") {
        const std::string opaque = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: o}\ntype: Opaque\n";
        // {"auths":{"other.io":{"auth":"dTpw"}}} and {"auths":{"registry.example.com":{"auth":"dTpw"}}}
        const std::string other = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: other}\n"
                                  "type: kubernetes.io/dockerconfigjson\n"
                                  "data: {.dockerconfigjson: eyJhdXRocyI6eyJvdGhlci5pbyI6eyJhdXRoIjoiZFRwdyJ9fX0=}\n";
        const std::string good = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: good}\n"
                                 "type: kubernetes.io/dockerconfigjson\n"
                                 "data: {.dockerconfigjson: "
                                 "eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6eyJhdXRoIjoiZFRwdyJ9fX0=}\n";
        const std::string notjson = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: nj}\n"
                                    "type: kubernetes.io/dockerconfigjson\ndata: {.dockerconfigjson: bm90IGpzb24=}\n";
        const std::string image = "  - {name: a, image: registry.example.com/app:1}\n";
        auto secrets = [](const std::string& names) { return "  imagePullSecrets: [" + names + "]\n"; };
        const auto a = check(pod(image, secrets("{name: o}")) + opaque);
        CHECK(brief(a) == "IS009 6:23");
        CHECK(a[0].message == "pull secret \"o\" has type Opaque, not kubernetes.io/dockerconfigjson");
        CHECK(brief(check(pod(image, secrets("{name: nj}")) + notjson)) == "IS009 6:23");
        CHECK(brief(check(pod(image, secrets("{name: other}")) + other)) == "IS009 8:15");
        CHECK(brief(check(pod(image, secrets("{name: other}, {name: good}")) + other + good)).empty());
        // A referenced Secret missing from the bundle: coverage unknown, nothing reported.
        CHECK(brief(check(pod(image, secrets("{name: other}, {name: elsewhere}")) + other)).empty());
    }

    TEST_CASE("IS010 heavy official images unless slim/alpine; IS011 data directories need a mount") {
        const auto heavy =
            check(pod("  - {name: a, image: python:3.12}\n  - {name: b, image: python:3.12-slim-bookworm}\n"
                      "  - {name: c, image: node:20-alpine3.20}\n  - {name: d, image: ubuntu}\n"
                      "  - {name: e, image: gcr.io/distroless/python3}\n"));
        CHECK(brief(heavy) == "IS010 7:15|IS004 10:15|IS010 10:15|IS004 11:15");
        const std::string db = "  - name: db\n    image: mongo:7\n    volumeMounts:\n";
        CHECK(brief(check(pod(db + "    - {name: d, mountPath: /data/configdb}\n"))) == "IS011 8:5");
        CHECK(brief(check(pod(db + "    - {name: d, mountPath: /data/}\n"))).empty());
        CHECK(brief(check(pod(db + "    - {name: d, mountPath: /data/db}\n"))).empty());
    }

    TEST_CASE("IS012: stringData credentials and literal secret-looking env values") {
        const auto f = check(pod("  - name: a\n    image: nginx:1\n    env:\n    - {name: API_TOKEN, value: abc}\n"
                                 "    - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: s, key: k}}}\n"
                                 "    - {name: LOG_LEVEL, value: debug}\n    - {name: my_secret, value: \"\"}\n")
                             + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n"
                               "  .dockerconfigjson: '{}'\n");
        CHECK(brief(f) == "IS012 10:25|IS012 19:3");
    }

    TEST_CASE("IS013: unknown pod spec and container keys with a suggestion") {
        const auto f = check(pod("  - {name: a, image: nginx:1, imagepullpolicy: Always, containres: 1}\n",
                                 "  imagePullSecret: [{name: s}]\n  frobnicate: 1\n"));
        REQUIRE(brief(f) == "IS013 6:3|IS013 7:3|IS013 9:31|IS013 9:56");
        CHECK(f[0].message == "unknown pod spec field \"imagePullSecret\"; did you mean \"imagePullSecrets\"?");
        CHECK(f[1].message == "unknown pod spec field \"frobnicate\" (Kubernetes drops it)");
        CHECK(f[2].message == "unknown container field \"imagepullpolicy\"; did you mean \"imagePullPolicy\"?");
        CHECK(f[3].message == "unknown container field \"containres\" (Kubernetes drops it)");
    }

    TEST_CASE("IS014: only a written policy; warning on mutable tags, info on version tags, none with digests") {
        const std::string d = "@sha256:" + std::string(64, 'a');
        const auto f = check(pod("  - {name: a, image: nginx:latest, imagePullPolicy: IfNotPresent}\n"
                                 "  - {name: b, image: nginx:1.27, imagePullPolicy: Never}\n"
                                 "  - {name: c, image: \"nginx"
                                 + d
                                 + "\", imagePullPolicy: Never}\n"
                                   "  - {name: d, image: nginx:1.27, imagePullPolicy: Always}\n"
                                   "  - {name: e, image: nginx}\n"));
        CHECK(brief(f) == "IS004 7:15|IS014 7:36|IS014 8:34|IS004 11:15");
        CHECK(f[1].severity == Severity::warning);
        CHECK(f[2].severity == Severity::info);
    }

    TEST_CASE("suppression by annotation keeps the finding, marked, with the reason") {
        const auto f = check("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
                             "    image-secure.dev/ignore: \"IS004, IS010: base image chosen by the vendor\"\n"
                             "spec:\n  containers:\n  - {name: a, image: python}\n");
        CHECK(brief(f) == "IS004 9:15s|IS010 9:15s");
        CHECK(f[0].justification == "base image chosen by the vendor");
        CHECK(render_text(f, false).empty());
        const auto json = nlohmann::json::parse(render_json(f));
        CHECK(json[0]["suppressed"] == true);
    }

    TEST_CASE("locations: CRLF, anchors and aliases, folded scalars, JSON input") {
        CHECK(brief(check("apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: p}\r\nspec:\r\n  containers:\r\n"
                          "  - name: a\r\n    image: nginx\r\n"))
              == "IS004 7:5");
        CHECK(brief(check("apiVersion: v1\nkind: Pod\nmetadata: {name: &n nginx}\nspec:\n  containers:\n"
                          "  - name: a\n    image: *n\n  - name: b\n    image: >-\n      busybox\n"))
              == "IS004 7:5|IS004 9:5");
        CHECK(brief(check("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"},\n"
                          " \"spec\": {\"containers\": [\n   {\"name\": \"a\", \"image\": \"nginx\"}]}}\n"))
              == "IS004 3:18");
    }

    TEST_CASE("columns count characters, not bytes") {
        CHECK(brief(check("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                          "  - {name: \"é€\", image: nginx}\n"))
              == "IS004 6:18"); // 21 in bytes
    }

    TEST_CASE("findings are identical whatever the thread count") {
        std::string text;
        for (int i = 0; i < 50; ++i) {
            text += pod("  - {name: a, image: nginx}\n  - {name: b, image: registry.example.com/x:" + std::to_string(i)
                        + "}\n")
                    + "---\nbad: [\n---\n";
        }
        auto scan = validate_scan();
        auto one = scan_manifest(text, "m.yaml", scan);
        scan.threads = 2;
        auto two = scan_manifest(text, "m.yaml", scan);
        REQUIRE(one.has_value());
        REQUIRE(two.has_value());
        const auto a = validate_bundle({{"m.yaml", &*one}}, Policy{});
        const auto b = validate_bundle({{"m.yaml", &*two}}, Policy{});
        CHECK(a.size() == 150);
        CHECK(render_json(a) == render_json(b));
    }

    TEST_CASE("custom resources only get IS002; CRDs and ConfigMaps are never image-checked") {
        CHECK(brief(check("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  template:\n"
                          "    spec:\n      containers: [{image: nginx}]\n---\napiVersion: v1\nkind: ConfigMap\n"
                          "metadata: {name: c}\ndata: {image: nginx}\n"))
                  .empty());
    }

    TEST_CASE("policy files: keys, rule ids and severities are checked") {
        auto p = parse_policy("enable: [IS005]\ndisable: [IS007]\nseverity: {IS004: error}\n"
                              "allowedRegistries: [r.io]\nverifiedPublishers: [acme]\npublicRegistries: [r.io]\n"
                              "heavyImages: [python]\nstatefulImages: {etcd: [/var/lib/etcd]}\n",
                              "policy.yaml");
        REQUIRE(p.has_value());
        CHECK(p->is_enabled("IS005"));
        CHECK_FALSE(p->is_enabled("IS007"));
        CHECK(p->severity_of("IS004") == Severity::error);
        CHECK(parse_policy("allowedRegistry: [r.io]\n", "policy.yaml").error().message()
              == "unknown key \"allowedRegistry\" in the policy file (policy.yaml:1:1)");
        CHECK(parse_policy("enable: [IS099]\n", "policy.yaml").error().what == "unknown rule \"IS099\" in enable");
        CHECK(parse_policy("severity: {IS004: fatal}\n", "policy.yaml").error().what
              == "severity must be error, warning or info, not \"fatal\"");
    }

    TEST_CASE("SARIF has what GitHub code scanning requires") {
        const auto findings = check(pod("  - {name: a, image: nginx}\n"));
        const auto sarif = nlohmann::json::parse(render_sarif(findings, validate_catalogue(), "0.1.0"));
        CHECK(sarif["version"] == "2.1.0");
        CHECK(sarif["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json");
        const auto& run = sarif["runs"][0];
        CHECK(run["tool"]["driver"]["name"] == "kubectl-image-secure");
        CHECK(run["tool"]["driver"]["rules"].size() == 15);
        const auto& rule = run["tool"]["driver"]["rules"][3];
        CHECK(rule["id"] == "IS004");
        CHECK(rule["help"]["text"].is_string());
        CHECK(rule["shortDescription"]["text"].is_string());
        const auto& result = run["results"][0];
        CHECK(result["ruleId"] == "IS004");
        CHECK(result["ruleIndex"] == 3);
        CHECK(result["level"] == "warning");
        CHECK(result["message"]["text"].is_string());
        const auto& loc = result["locations"][0]["physicalLocation"];
        CHECK(loc["artifactLocation"]["uri"] == "m.yaml");
        CHECK(loc["region"]["startLine"] == 7);
        CHECK(loc["region"]["startColumn"] == 15);
    }

    TEST_CASE("JUnit: one testcase per object, a failure per finding, escaped") {
        std::vector<Finding> f(1);
        f[0].file = "a.yaml";
        f[0].line = 3;
        f[0].column = 5;
        f[0].rule = "IS003";
        f[0].message = "image \"<x>\" is invalid & bad";
        f[0].object = "Pod/p";
        const std::string xml = render_junit(f, validate_catalogue(), {{"a.yaml", "Pod/p"}, {"a.yaml", "Pod/q"}});
        CHECK(xml.find("tests=\"2\" failures=\"1\"") != std::string::npos);
        CHECK(xml.find("<testcase classname=\"a.yaml\" name=\"Pod/q\"/>") != std::string::npos);
        CHECK(xml.find("message=\"image &quot;&lt;x&gt;&quot; is invalid &amp; bad\"") != std::string::npos);
    }

    TEST_CASE("did_you_mean") {
        const std::vector<std::string_view> known = {"imagePullSecrets", "containers", "volumes"};
        CHECK(did_you_mean("imagepullsecrets", known) == "imagePullSecrets");
        CHECK(did_you_mean("containres", known) == "containers");
        CHECK(did_you_mean("zzz", known).empty());
    }
}
