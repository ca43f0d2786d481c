// The findings model works for any catalogue: SARIF lists a rule it was not given instead of
// failing, JUnit names the suite after the catalogue's command (SARIF 2.1.0 §3.49, §3.27.6).
#include <image_secure/base/json_records.hpp>
#include <image_secure/findings/finding.hpp>
#include <image_secure/findings/report.hpp>
#include <image_secure/findings/suppression.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace image_secure;

TEST_SUITE("findings") {
    TEST_CASE("a catalogue of another command renders in SARIF and JUnit; unknown rules are listed by id") {
        const Catalogue audit{"audit",
                              {{"IS101", "shell-present", Severity::warning, true, "A shell is in the image", "help"}}};
        Finding known{
            "deploy.yaml", 7, 16, Severity::warning, "IS101", "/bin/sh is in the image", "Deployment/web", false, ""};
        Finding other{"deploy.yaml", 9, 3, Severity::error, "IS999", "a rule from elsewhere", "", false, ""};
        const auto sarif = nlohmann::json::parse(render_sarif({known, other}, audit, "1.0"));
        const auto& run = sarif["runs"][0];
        REQUIRE(run["tool"]["driver"]["rules"].size() == 2);
        CHECK(run["tool"]["driver"]["rules"][0]["id"] == "IS101");
        CHECK(run["tool"]["driver"]["rules"][1]["id"] == "IS999");
        CHECK(run["results"][0]["ruleIndex"] == 0);
        CHECK(run["results"][1]["ruleIndex"] == 1);
        CHECK(run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 7);

        const std::string xml = render_junit({known}, audit, {{"deploy.yaml", "Deployment/web"}});
        CHECK(xml.find("<testsuites name=\"kubectl image-secure audit\"") != std::string::npos);
        CHECK(xml.find("deploy.yaml:7:16: ") != std::string::npos);
        CHECK(audit.find("IS101") != nullptr);
        CHECK(audit.find("IS001") == nullptr);
    }

    TEST_CASE("the ignore annotation: rule ids, then a reason (spec/validate.md, suppression)") {
        const auto s = parse_suppression("IS004,IS007: base image pinned by the vendor");
        CHECK(s.rules == std::vector<std::string>{"IS004", "IS007"});
        CHECK(s.reason == "base image pinned by the vendor");
        CHECK(s.covers("IS007"));
        CHECK_FALSE(s.covers("IS005"));
        const auto audit = parse_suppression("IS101 IS111 - the debug image");
        CHECK(audit.rules == std::vector<std::string>{"IS101", "IS111"});
        CHECK(audit.reason == "the debug image");
        CHECK(parse_suppression("no rules here").rules.empty());
        CHECK(parse_suppression("").reason.empty());
    }
}

TEST_SUITE("json records") {
    TEST_CASE("one record per line, members in order, escaped by nlohmann; expanded arrays one object per line") {
        using nlohmann::ordered_json;
        CHECK(render_json_records(ordered_json::array()) == "[]\n");
        ordered_json records = ordered_json::array();
        records.push_back({{"image", "a\"b"}, {"valid", true}, {"n", 3}, {"tags", {"x", "y"}}});
        records.push_back(
            {{"image", "c"}, {"locations", {{{"line", 1}}, {{"line", 2}}}}, {"empty", ordered_json::array()}});
        CHECK(render_json_records(records, {"locations", "empty"})
              == "[\n"
                 "  {\"image\": \"a\\\"b\", \"valid\": true, \"n\": 3, \"tags\": [\"x\", \"y\"]},\n"
                 "  {\"image\": \"c\", \"locations\": [\n"
                 "    {\"line\": 1},\n"
                 "    {\"line\": 2}\n"
                 "  ], \"empty\": []}\n"
                 "]\n");
        // Invalid UTF-8 does not throw: it is replaced.
        ordered_json bad = ordered_json::array({{{"v", std::string("\xff")}}});
        CHECK(render_json_records(bad) == "[\n  {\"v\": \"\xef\xbf\xbd\"}\n]\n");
    }
}
