#pragma once

// audit's outputs: the JSON contract (spec/audit.md §8), the text blocks, SARIF (one result
// per finding and manifest location, through findings/report.hpp).

#include <image_secure/audit/audit.hpp>
#include <image_secure/findings/finding.hpp>

#include <string>
#include <vector>

namespace image_secure::audit {

[[nodiscard]] std::string render_audit_json(const std::vector<AuditedImage>& images);
[[nodiscard]] std::string render_audit_text(const std::vector<AuditedImage>& images, bool color);

/// The findings as the shared model has them: one per manifest location, or one at the image
/// reference (file = the reference) when there is none.
[[nodiscard]] std::vector<Finding> as_findings(const std::vector<AuditedImage>& images);

/// validate --online: where the image gave evidence, the name-based guess gives way to it.
/// IS010 (heavy base) goes where the layers were read, IS011 (state in container) where the
/// config was; a validate finding and an image use match by file and line.
void replace_name_based(std::vector<Finding>& findings, const std::vector<AuditedImage>& images);

} // namespace image_secure::audit
