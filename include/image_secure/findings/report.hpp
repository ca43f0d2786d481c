#pragma once

#include <image_secure/findings/finding.hpp>

#include <string>
#include <vector>

namespace image_secure {

/// `FILE:LINE:COL: SEVERITY RULE-ID message`, one line per unsuppressed finding; with
/// `color`, the severity word is coloured (callers pass true only for a TTY without NO_COLOR).
[[nodiscard]] std::string render_text(const std::vector<Finding>& findings, bool color);

/// One JSON array of {file, line, column, severity, rule, message, object}; suppressed
/// findings are included with "suppressed": true and their justification.
[[nodiscard]] std::string render_json(const std::vector<Finding>& findings);

/// SARIF 2.1.0 for GitHub code scanning: driver.rules with help text, results with relative
/// artifact URIs and regions, suppressed findings carry an inSource suppression.
/// `source_root` is the absolute directory relative paths start from (the working directory),
/// given as %SRCROOT% (SARIF §3.14.14); absolute paths become absolute file URIs.
/// Every rule of `catalogue` is listed; a finding whose rule it does not know gets an entry of
/// its own (id only), never an error.
[[nodiscard]] std::string render_sarif(const std::vector<Finding>& findings,
                                       const Catalogue& catalogue,
                                       const std::string& version,
                                       const std::string& source_root = "/");

/// `path` as a file URI (`file:///a%20b/c`), percent-encoded.
[[nodiscard]] std::string file_uri(const std::string& absolute_path);

/// JUnit XML: one testcase per object (per file for findings without an object); a failing
/// case has one failure element listing all its findings; `failures` counts failing cases.
/// The suite is named after `catalogue.command`.
[[nodiscard]] std::string render_junit(const std::vector<Finding>& findings,
                                       const Catalogue& catalogue,
                                       const std::vector<std::pair<std::string, std::string>>& objects);

} // namespace image_secure
