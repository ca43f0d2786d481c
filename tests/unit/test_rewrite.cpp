// Expected outputs here are written by hand from spec/rewrite.md, not produced by the code.
#include <image_secure/config/rules_file.hpp>
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/rewrite/mapping.hpp>
#include <image_secure/rewrite/rewrite.hpp>

#include <doctest/doctest.h>

using namespace image_secure;

namespace {

std::string rewrite(std::string_view text,
                    const std::string& registry,
                    std::vector<std::string> secrets,
                    PathMode mode = PathMode::keep,
                    const RuleSet* rules = nullptr) {
    ScanOptions scan;
    scan.threads = 1;
    auto manifest = scan_manifest(text, "t.yaml", scan);
    REQUIRE_MESSAGE(manifest.has_value(), (manifest ? "" : manifest.error().message()));
    MappingConfig config;
    if (!registry.empty()) {
        config.registry = parse_registry_target(registry).value();
    }
    config.path_mode = mode;
    config.pull_secrets = std::move(secrets);
    config.rules = rules;
    RewriteState state;
    auto plan = plan_rewrite(text, "t.yaml", *manifest, config, state);
    REQUIRE_MESSAGE(plan.has_value(), (plan ? "" : plan.error().message()));
    const std::string out = apply_edits(text, plan->edits);
    // Idempotence: a second pass changes nothing.
    auto again = scan_manifest(out, "t.yaml", scan);
    REQUIRE(again.has_value());
    RewriteState state2;
    auto plan2 = plan_rewrite(out, "t.yaml", *again, config, state2);
    REQUIRE(plan2.has_value());
    CHECK(plan2->edits.empty());
    return out;
}

std::string map_one(const std::string& image, PathMode mode) {
    MappingConfig config;
    config.registry = parse_registry_target("private-registry.io/apps").value();
    config.path_mode = mode;
    auto mapped = map_image(image, config);
    REQUIRE(mapped.has_value());
    return mapped->outcome == MappedImage::Outcome::rewritten ? mapped->target : "unchanged";
}

} // namespace

TEST_SUITE("rewrite") {
    TEST_CASE("map_image: the mapping table of spec/rewrite.md") {
        const std::string d = "sha256:" + std::string(64, 'a');

        struct Row {
            std::string in, keep, flatten, host;
        };

        const std::string R = "private-registry.io/apps";
        const Row rows[] = {
            {"nginx", R + "/library/nginx", R + "/nginx", R + "/docker.io/library/nginx"},
            {"nginx:1.25", R + "/library/nginx:1.25", R + "/nginx:1.25", R + "/docker.io/library/nginx:1.25"},
            {"docker.io/nginx:1.25", R + "/library/nginx:1.25", R + "/nginx:1.25", R + "/docker.io/library/nginx:1.25"},
            {"index.docker.io/library/nginx:1.25",
             R + "/library/nginx:1.25",
             R + "/nginx:1.25",
             R + "/docker.io/library/nginx:1.25"},
            {"bitnami/redis:7.2", R + "/bitnami/redis:7.2", R + "/redis:7.2", R + "/docker.io/bitnami/redis:7.2"},
            {"quay.io/prometheus/node-exporter:v1.8.2",
             R + "/prometheus/node-exporter:v1.8.2",
             R + "/node-exporter:v1.8.2",
             R + "/quay.io/prometheus/node-exporter:v1.8.2"},
            {"registry.k8s.io/pause:3.10", R + "/pause:3.10", R + "/pause:3.10", R + "/registry.k8s.io/pause:3.10"},
            {"gcr.io/distroless/static@" + d,
             R + "/distroless/static@" + d,
             R + "/static@" + d,
             R + "/gcr.io/distroless/static@" + d},
            {"registry.k8s.io/ingress-nginx/controller:v1.11.2@" + d,
             R + "/ingress-nginx/controller:v1.11.2@" + d,
             R + "/controller:v1.11.2@" + d,
             R + "/registry.k8s.io/ingress-nginx/controller:v1.11.2@" + d},
            {"registry.example.com:5000/team/app:2.1",
             R + "/team/app:2.1",
             R + "/app:2.1",
             R + "/registry.example.com_5000/team/app:2.1"},
            {"localhost:5000/dev/api", R + "/dev/api", R + "/api", R + "/localhost_5000/dev/api"},
            {"private-registry.io/anything:1", "unchanged", "unchanged", "unchanged"},
            {"private-registry.io.example.net/apps/tool:1.0",
             R + "/apps/tool:1.0",
             R + "/tool:1.0",
             R + "/private-registry.io.example.net/apps/tool:1.0"},
            {"${APP_IMAGE}", "unchanged", "unchanged", "unchanged"},
            {"", "unchanged", "unchanged", "unchanged"},
        };
        for (const auto& row : rows) {
            CAPTURE(row.in);
            CHECK(map_one(row.in, PathMode::keep) == row.keep);
            CHECK(map_one(row.in, PathMode::flatten) == row.flatten);
            CHECK(map_one(row.in, PathMode::host) == row.host);
        }
    }

    TEST_CASE("block pod spec: values change in place, key appended with the containers' dash offset") {
        const std::string in = "# top\n"
                               "apiVersion: apps/v1\n"
                               "kind: Deployment\n"
                               "metadata:\n"
                               "  name: web # c\n"
                               "spec:\n"
                               "  template:\n"
                               "    spec:\n"
                               "      containers:\n"
                               "        - name: a\n"
                               "          image: \"nginx:1.25\"   # keep me\n"
                               "        - name: b\n"
                               "          image: &x 'quay.io/a/b'\n"
                               "          env:\n"
                               "            - name: IMAGE\n"
                               "              value: nginx\n"
                               "          # deeper comment\n"
                               "      # pod-spec-level comment\n"
                               "  strategy: {}\n";
        const std::string want = "# top\n"
                                 "apiVersion: apps/v1\n"
                                 "kind: Deployment\n"
                                 "metadata:\n"
                                 "  name: web # c\n"
                                 "spec:\n"
                                 "  template:\n"
                                 "    spec:\n"
                                 "      containers:\n"
                                 "        - name: a\n"
                                 "          image: \"r.io/m/library/nginx:1.25\"   # keep me\n"
                                 "        - name: b\n"
                                 "          image: &x 'r.io/m/a/b'\n"
                                 "          env:\n"
                                 "            - name: IMAGE\n"
                                 "              value: nginx\n"
                                 "          # deeper comment\n"
                                 "      imagePullSecrets:\n"
                                 "        - name: s1\n"
                                 "        - name: s2\n"
                                 "      # pod-spec-level comment\n"
                                 "  strategy: {}\n";
        CHECK(rewrite(in, "r.io/m", {"s1", "s2"}) == want);
    }

    TEST_CASE("indentless containers, CRLF line breaks and no final newline") {
        const std::string in =
            "kind: Pod\r\napiVersion: v1\r\nspec:\r\n  containers:\r\n  - name: a\r\n    image: redis";
        const std::string want = "kind: Pod\r\napiVersion: v1\r\nspec:\r\n  containers:\r\n  - name: a\r\n"
                                 "    image: r.io/library/redis\r\n  imagePullSecrets:\r\n  - name: s\r\n";
        CHECK(rewrite(in, "r.io", {"s"}) == want);
    }

    TEST_CASE("a byte order mark is kept and does not shift columns") {
        const std::string in = "\xEF\xBB\xBF"
                               "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx\n";
        CHECK(rewrite(in, "r.io", {})
              == "\xEF\xBB\xBF"
                 "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n"
                 "  - image: r.io/library/nginx\n");
        auto m = scan_manifest(in, "bom.yaml", ScanOptions{});
        REQUIRE(m.has_value());
        REQUIRE(m->images.size() == 1);
        CHECK(m->images[0].line == 5);
        CHECK(m->images[0].column == 12);
        CHECK(m->objects[0].at.line == 1);
        CHECK(m->objects[0].at.column == 1);
    }

    TEST_CASE("flow containers give a one-line key; a flow pod spec gets the key before its brace") {
        CHECK(rewrite("apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a, image: redis}]\n", "r.io", {"a", "b"})
              == "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a, image: r.io/library/redis}]\n"
                 "  imagePullSecrets: [{name: a}, {name: b}]\n");
        CHECK(rewrite("apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: redis}]}\n", "r.io", {"s"})
              == "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: r.io/library/redis}], "
                 "imagePullSecrets: [{name: s}]}\n");
    }

    TEST_CASE("existing imagePullSecrets: appended in style, never duplicated or reordered") {
        CHECK(rewrite("apiVersion: v1\nkind: Pod\nspec:\n  imagePullSecrets:\n    - name: b\n  containers:\n"
                      "    - image: r.io/x\n",
                      "r.io",
                      {"a", "b"})
              == "apiVersion: v1\nkind: Pod\nspec:\n  imagePullSecrets:\n    - name: b\n    - name: a\n  containers:\n"
                 "    - image: r.io/x\n");
        CHECK(rewrite("apiVersion: v1\nkind: Pod\nspec:\n  imagePullSecrets: []\n  containers:\n    - image: r.io/x\n",
                      "r.io",
                      {"a"})
              == "apiVersion: v1\nkind: Pod\nspec:\n  imagePullSecrets: [{name: a}]\n  containers:\n    - image: "
                 "r.io/x\n");
        CHECK(rewrite("apiVersion: v1\nkind: Pod\nspec:\n  imagePullSecrets: [{name: b}]\n  containers:\n"
                      "    - image: r.io/x\n",
                      "r.io",
                      {"a"})
              == "apiVersion: v1\nkind: Pod\nspec:\n  imagePullSecrets: [{name: b}, {name: a}]\n  containers:\n"
                 "    - image: r.io/x\n");
    }

    TEST_CASE("CronJob, List items and CRs with pod templates; never CRDs, ConfigMaps or aliases") {
        const std::string in =
            "apiVersion: v1\nkind: List\nitems:\n"
            "- apiVersion: batch/v1\n  kind: CronJob\n  metadata: {name: c}\n  spec:\n"
            "    jobTemplate:\n      spec:\n        template:\n          spec:\n"
            "            containers:\n            - name: c\n              image: busybox\n"
            "---\n"
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec:\n  template:\n    spec:\n"
            "      containers:\n      - image: ghcr.io/o/app:1\n"
            "---\n"
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n"
            "  template:\n    spec:\n      containers:\n      - image: nginx\n"
            "---\n"
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  image: nginx\n"
            "---\n"
            "apiVersion: v1\nkind: Pod\nmetadata: {name: &a redis}\nspec:\n  containers:\n  - image: *a\n";
        const std::string want =
            "apiVersion: v1\nkind: List\nitems:\n"
            "- apiVersion: batch/v1\n  kind: CronJob\n  metadata: {name: c}\n  spec:\n"
            "    jobTemplate:\n      spec:\n        template:\n          spec:\n"
            "            containers:\n            - name: c\n              image: r.io/library/busybox\n"
            "---\n"
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec:\n  template:\n    spec:\n"
            "      containers:\n      - image: r.io/o/app:1\n"
            "---\n"
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n"
            "  template:\n    spec:\n      containers:\n      - image: nginx\n"
            "---\n"
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  image: nginx\n"
            "---\n"
            "apiVersion: v1\nkind: Pod\nmetadata: {name: &a redis}\nspec:\n  containers:\n  - image: *a\n";
        // Aliases are never expanded or rewritten (formatting rule 1).
        CHECK(rewrite(in, "r.io", {}) == want);
    }

    TEST_CASE("a pod spec nested in another: the inner one's key goes first at a shared end") {
        const std::string in = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: r.io/a\n"
                               "  template:\n    spec:\n      containers: [{image: r.io/b}]\n";
        const std::string want = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: r.io/a\n"
                                 "  template:\n    spec:\n      containers: [{image: r.io/b}]\n"
                                 "      imagePullSecrets: [{name: s}]\n"
                                 "  imagePullSecrets:\n  - name: s\n";
        CHECK(rewrite(in, "r.io", {"s"}) == want);
    }

    TEST_CASE("a complex key's nested lines belong to the pod spec") {
        const std::string in = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: r.io/a\n"
                               "  x:\n    ? k:\n        j: 1\n";
        CHECK(rewrite(in, "r.io", {"s"}) == in + "  imagePullSecrets:\n  - name: s\n");
    }

    TEST_CASE("JSON manifests get JSON insertions") {
        const std::string in = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"containers\": "
                               "[{\"name\": \"a\", \"image\": \"redis\"}]}}\n";
        const std::string want = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"containers\": "
                                 "[{\"name\": \"a\", \"image\": \"r.io/library/redis\"}], "
                                 "\"imagePullSecrets\": [{\"name\": \"s\"}]}}\n";
        CHECK(rewrite(in, "r.io", {"s"}) == want);
    }

    TEST_CASE("rules: order, newTag drops the digest, regex replace, skip, invalid output names the rule") {
        const std::string text = "apiVersion: image-secure.dev/v1alpha1\nkind: RewriteRules\n"
                                 "defaults: {registry: private.io/apps}\n"
                                 "rules:\n"
                                 "  - match: {name: docker.io/library/nginx}\n"
                                 "    newName: private.io/base/nginx\n"
                                 "    newTag: 1.27-hardened\n"
                                 "  - match: {regex: '^registry\\.k8s\\.io/(.+)$'}\n"
                                 "    replace: 'private.io/k8s/$1'\n"
                                 "  - match: {registry: localhost:5000}\n"
                                 "    action: skip\n"
                                 "  - match: {registry: quay.io}\n"
                                 "    newName: 'Bad/Name'\n";
        auto rules = parse_rules(text, "rules.yaml");
        REQUIRE(rules.has_value());
        MappingConfig config;
        config.registry = rules->registry;
        config.rules = &*rules;
        const std::string d = "@sha256:" + std::string(64, 'a');
        CHECK(map_image("nginx:1.25" + d, config)->target == "private.io/base/nginx:1.27-hardened");
        CHECK(map_image("registry.k8s.io/pause:3.10", config)->target == "private.io/k8s/pause:3.10");
        CHECK(map_image("localhost:5000/x", config)->outcome == MappedImage::Outcome::skipped);
        CHECK(map_image("redis", config)->target == "private.io/apps/library/redis");
        const auto bad = map_image("quay.io/a/b:1", config);
        REQUIRE_FALSE(bad.has_value());
        CHECK(bad.error().what.find("rule 4 produced invalid reference \"Bad/Name:1\"") == 0);
        CHECK(parse_rules("rules: [{match: {registry: a.io}, bogus: 1}]", "r.yaml").error().what
              == "unknown key \"bogus\" in rule 1");
    }

    TEST_CASE("rules' pull secrets go in rule order, whatever order the images are written in") {
        // spec/rewrite.md: "pullSecrets per rule are added (in rule order, after
        // defaults.pullSecrets)"; the admission oracle found them in image order.
        auto rules = parse_rules("defaults: {registry: p.io, pullSecrets: [base]}\n"
                                 "rules:\n"
                                 "  - {match: {registry: docker.io}, pullSecrets: [hub, shared]}\n"
                                 "  - {match: {registry: quay.io}, pullSecrets: [shared, quay]}\n",
                                 "rules.yaml");
        REQUIRE(rules.has_value());
        const std::string pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
                                "  - name: a\n    image: quay.io/a/b:1\n  - name: b\n    image: nginx:1\n";
        CHECK(rewrite(pod, "p.io", {"base"}, PathMode::keep, &*rules)
              == "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
                 "  - name: a\n    image: p.io/a/b:1\n  - name: b\n    image: p.io/library/nginx:1\n"
                 "  imagePullSecrets:\n  - name: base\n  - name: hub\n  - name: shared\n  - name: quay\n");
    }

    TEST_CASE("scan errors name file, line and column") {
        auto m = scan_manifest("a: b\n---\nimage: x\nc: d: e\n", "bad.yaml", ScanOptions{});
        REQUIRE_FALSE(m.has_value());
        CHECK(m.error().where == "bad.yaml:4:5");
    }

    TEST_CASE("a block-mapping line without ':' is an error, as in libyaml; `? key` is not") {
        auto m = scan_manifest("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx\n    name:x\n",
                               "lenient.yaml",
                               ScanOptions{});
        REQUIRE_FALSE(m.has_value());
        CHECK(m.error().message() == "invalid YAML: could not find expected ':' (lenient.yaml:6:5)");
        auto same_column =
            scan_manifest("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  -# deeper\n", "c.yaml", ScanOptions{});
        REQUIRE_FALSE(same_column.has_value());
        CHECK(same_column.error().message() == "invalid YAML: could not find expected ':' (c.yaml:5:3)");
        CHECK(scan_manifest("image: x\nk:\n- indentless\nm:\n  deeper\n", "s.yaml", ScanOptions{}).has_value());
        CHECK(scan_manifest("image: x\n? explicit\n", "q.yaml", ScanOptions{}).has_value());
        auto open_quote = scan_manifest("image: x\na: 'y\n  z\n---\nb: 'c'\n", "o.yaml", ScanOptions{});
        REQUIRE_FALSE(open_quote.has_value());
        CHECK(open_quote.error().message() == "invalid YAML: found unexpected end of stream (o.yaml:2:4)");
        CHECK(scan_manifest("image: x\nempty:\nalso: ~\n", "n.yaml", ScanOptions{}).has_value());
    }

    TEST_CASE("deep, huge and alias-heavy documents: an error or a pass-through, never a crash") {
        const std::string deep = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx\n  x: "
                                 + std::string(5000, '[') + std::string(5000, ']') + "\n";
        auto m = scan_manifest(deep, "deep.yaml", ScanOptions{});
        REQUIRE_FALSE(m.has_value());
        CHECK(m.error().what == "invalid YAML: nesting is too deep");
        const std::string huge = "apiVersion: v1\nkind: Pod\nmetadata: {annotations: {a: " + std::string(1 << 20, 'x')
                                 + "}}\nspec:\n  containers:\n  - image: nginx\n";
        const std::string huge_want =
            "apiVersion: v1\nkind: Pod\nmetadata: {annotations: {a: " + std::string(1 << 20, 'x')
            + "}}\nspec:\n  containers:\n  - image: r.io/library/nginx\n"
              "  imagePullSecrets:\n  - name: s\n";
        CHECK(rewrite(huge, "r.io", {"s"}) == huge_want);
        std::string aliases = "apiVersion: v1\nkind: Pod\nmetadata: {name: &a nginx}\nx: &l [*a, *a]\n";
        for (int i = 0; i < 200; ++i) {
            aliases += "y" + std::to_string(i) + ": [*l, *l, *l, *l]\n";
        }
        aliases += "spec:\n  containers:\n  - image: *a\n";
        CHECK(rewrite(aliases, "r.io", {}) == aliases);
    }

    TEST_CASE("line breaks other than LF and CRLF are refused with their position") {
        for (const char* brk : {"\r", "\xC2\x85", "\xE2\x80\xA8"}) {
            const std::string text =
                std::string("apiVersion: v1\nkind: Pod\nspec:\n  containers:") + brk + "  - image: nginx\n";
            auto m = scan_manifest(text, "cr.yaml", ScanOptions{});
            REQUIRE_FALSE(m.has_value());
            CHECK(m.error().message()
                  == "invalid YAML: line breaks must be LF or CRLF (found a lone CR, NEL or U+2028/U+2029) "
                     "(cr.yaml:4:14)");
        }
    }

    TEST_CASE("unified_diff: hunks from the edits") {
        const std::string text = "a\nb\nc\n";
        const std::vector<Edit> edits = {{2, 1, "B"}, {6, 0, "d\n"}};
        CHECK(unified_diff("f", text, edits) == "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n");
    }
}
