// Expected values here are written by hand from the issue (API versions, refusals) and the
// Kubernetes API reference; the policies' semantics are proven by tests/admission (an
// independent CEL evaluator against validate and rewrite).
#include <image_secure/admission/admission.hpp>
#include <image_secure/config/policy_file.hpp>
#include <image_secure/config/rules_file.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace image_secure;

namespace {

std::string line_with(const std::string& text, const std::string& start) {
    const auto at = text.find("\n" + start);
    REQUIRE(at != std::string::npos);
    return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

} // namespace

TEST_SUITE("admission") {
    TEST_CASE("API versions follow the cluster: VAP v1 from 1.30, MAP v1beta1 on 1.34-1.35, v1 from 1.36") {
        MappingConfig mapping;
        mapping.registry = parse_registry_target("r.example.com/mirror").value();
        AdmissionOptions o;
        o.mutate = true;
        o.mapping = &mapping;
        for (const auto& [minor, version] : {std::pair{34, "v1beta1"}, {35, "v1beta1"}, {36, "v1"}, {37, "v1"}}) {
            o.kubernetes_minor = minor;
            const auto out = generate_admission(o);
            REQUIRE(out.has_value());
            CHECK(out->find("apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n")
                  != std::string::npos);
            CHECK(out->find("apiVersion: admissionregistration.k8s.io/" + std::string(version)
                            + "\nkind: MutatingAdmissionPolicy\n")
                  != std::string::npos);
        }
        o.kubernetes_minor = 33;
        CHECK(generate_admission(o).error().what.find("--mutate needs MutatingAdmissionPolicy") == 0);
        o.mutate = false;
        CHECK(generate_admission(o).has_value());
        o.kubernetes_minor = 29;
        CHECK(generate_admission(o).error().what.find("ValidatingAdmissionPolicy v1 needs Kubernetes 1.30") == 0);
    }

    TEST_CASE("the header says what is enforced: --fail-on, the policy, IS008's level by version") {
        AdmissionOptions o;
        CHECK(line_with(*generate_admission(o), "# Enforced")
              == "# Enforced at --fail-on warning: IS003 IS004 IS007 IS008 IS010 IS011 IS012 IS014");
        o.fail_on = Severity::error;
        CHECK(line_with(*generate_admission(o), "# Enforced") == "# Enforced at --fail-on error: IS003 IS012");
        o.kubernetes_minor = 35; // the kubelet re-checks credentials: IS008 is an error
        o.policy.kubernetes_minor = 35;
        CHECK(line_with(*generate_admission(o), "# Enforced") == "# Enforced at --fail-on error: IS003 IS008 IS012");
        auto policy = parse_policy("enable: [IS005]\ndisable: [IS003]\nallowedRegistries: [r.io]\n", "p.yaml");
        REQUIRE(policy.has_value());
        o.policy = *policy;
        o.fail_on = Severity::info;
        CHECK(line_with(*generate_admission(o), "# Enforced")
              == "# Enforced at --fail-on info: IS004 IS005 IS006 IS007 IS008 IS010 IS011 IS012 IS014");
        o.fail_on = Severity::error;
        o.policy = Policy{};
        o.policy.severity["IS003"] = Severity::info;
        CHECK(line_with(*generate_admission(o), "# Enforced") == "# Enforced at --fail-on error: IS012");
    }

    TEST_CASE("bindings: actions, label selectors and excluded namespaces; no rule left is still a policy") {
        AdmissionOptions o;
        o.actions = {"Warn", "Audit"};
        o.namespace_labels = {{"team", "a"}};
        o.exclude_namespaces = {"kube-system", "tools"};
        o.fail_on = Severity::error;
        o.policy.enabled["IS003"] = false;
        o.policy.enabled["IS012"] = false;
        const std::string out = *generate_admission(o);
        CHECK(out.find("  validationActions: [Warn, Audit]\n  matchResources:\n    namespaceSelector:\n"
                       "      matchLabels:\n        \"team\": \"a\"\n      matchExpressions:\n"
                       "      - key: kubernetes.io/metadata.name\n        operator: NotIn\n"
                       "        values: [\"kube-system\", \"tools\"]\n")
              != std::string::npos);
        CHECK(out.find("  - expression: \"true\"\n") != std::string::npos);
    }

    TEST_CASE("regex captures: $1 after a literal prefix is a substring; other groups are refused") {
        const auto generate = [](const std::string& rule) {
            auto rules = parse_rules("rules:\n  - " + rule + "\n", "r.yaml");
            REQUIRE(rules.has_value());
            MappingConfig mapping;
            mapping.rules = &*rules;
            AdmissionOptions o;
            o.mutate = true;
            o.mapping = &mapping;
            return generate_admission(o);
        };
        // "a.io/" is five characters: $1 is the name from the sixth on.
        const auto prefix = generate("{match: {regex: '^a\\.io/(.+)$'}, replace: 'b.io/$1'}");
        REQUIRE(prefix.has_value());
        CHECK(prefix->find("'b.io/' + r.nm.substring(5)") != std::string::npos);
        const auto groups = generate("{match: {regex: '([a-z]+)\\.io/(.+)'}, replace: 'b.io/$2'}");
        REQUIRE_FALSE(groups.has_value());
        CHECK(groups.error().what.find("rule 1 replaces with the capture group $2") == 0);
        CHECK(groups.error().kind == ErrorKind::usage);
        const auto alternation = generate("{match: {regex: '(a|b)\\.io/(.+)'}, replace: 'c.io/$1'}");
        REQUIRE_FALSE(alternation.has_value());
    }

    TEST_CASE("values from the policy file are CEL string literals, whatever they hold") {
        auto policy = parse_policy("verifiedPublishers: [\"it's\", \"back\\\\slash\", \"new\\nline\"]\n", "p.yaml");
        REQUIRE(policy.has_value());
        AdmissionOptions o;
        o.policy = *policy;
        const std::string out = *generate_admission(o);
        CHECK(out.find(R"('it\'s')") != std::string::npos);
        CHECK(out.find(R"('back\\slash')") != std::string::npos);
        CHECK(out.find(R"('new\x0aline')") != std::string::npos);
    }
}
