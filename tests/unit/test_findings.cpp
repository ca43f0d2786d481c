// The findings model works for any catalogue: SARIF lists a rule it was not given instead of
// failing, JUnit names the suite after the catalogue's command (SARIF 2.1.0 §3.49, §3.27.6).
#include <image_secure/findings/finding.hpp>
#include <image_secure/findings/report.hpp>

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
}
