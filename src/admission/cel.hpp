#pragma once

// CEL text for the admission policies: literals, the image-reference parser, validate's
// image rules and rewrite's mapping, written with the standard CEL library plus the
// Kubernetes string extension (indexOf, lastIndexOf, substring, lowerAscii, replace, split,
// join) only: no optional types, no two-variable comprehensions, no cel.bind.

#include <image_secure/rewrite/mapping.hpp>
#include <image_secure/validate/validate.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace image_secure::admission {

/// A CEL string literal ('...', with \\, \' and control characters escaped).
[[nodiscard]] std::string cel_string(std::string_view text);

/// A CEL list of string literals.
[[nodiscard]] std::string cel_strings(const std::vector<std::string>& items);

/// The pod spec of `object` for every kind the policies match.
[[nodiscard]] std::string pod_spec_expression();

/// The containers of `list` that have an image, as maps of strings (Kubernetes' CEL keeps
/// aggregate literals homogeneous): 'n' name, 's' image, 'p' imagePullPolicy, 'x' the data
/// directories of IS011 its volumeMounts cover (",0,3,": indexes into
/// stateful_directories(policy)) and 'w' = `which` (the list it came from). Without a policy
/// 'p' and 'x' are "".
[[nodiscard]] std::string container_images(const std::string& list, const Policy* policy, std::string_view which);

/// The image volumes of `list` (a pod spec's volumes), as container_images lists containers:
/// 'n' the volume's name, 's' its image.reference, 'w' "v" (containers have "c").
[[nodiscard]] std::string volume_images(const std::string& list);

/// Every data directory of IS011's stateful images, each once, in a fixed order.
[[nodiscard]] std::vector<std::string> stateful_directories(const Policy& policy);

/// `source` is a CEL list of maps {'n', 's', 'p', 'x', 'w'} (all strings; see
/// container_images and volume_images).
/// The result is the same list with each image parsed like reference::parse_reference:
/// 'v' ('y' when valid), 'd' (domain, may be ""), 'pa' (path), 'tg' (tag), 'dg' (digest) and
/// 'nm' (domain/path), every value a string.
[[nodiscard]] std::string parsed_images(const std::string& source);

/// Appends 'k' (the number of the rules-file rule that matched, "" when none, "-" for an image
/// that stays where it is) and 't' (the image as rewrite maps it, or 's') to a parsed list. Fails for a mapping that
/// CEL cannot express (regex capture groups in a replace).
[[nodiscard]] Result<std::string> mapped_images(const std::string& parsed, const MappingConfig& mapping);

/// One validation: rule `id` is violated when an item of `list` (bound to `var`) satisfies
/// `violated`; `describe` names such an item in the message.
struct CelRule {
    std::string id;
    std::string list;     ///< "variables.images" (parsed) or "variables.containers" (raw)
    std::string var;      ///< "r" or "c"
    std::string violated; ///< a CEL predicate over `var` and `variables`
    std::string describe; ///< a CEL string expression over `var`
    std::string advice;   ///< the end of the message
};

/// validate's rules that the object alone decides, at or above `fail_on` and enabled by the
/// policy, in catalogue order; IS014's two levels (mutable tag: the rule's severity, version
/// tag: info) and IS008's (an error from Kubernetes 1.35) as validate grades them.
[[nodiscard]] std::vector<CelRule> object_rules(const Policy& policy, Severity fail_on);

/// Is the annotation image-secure.dev/ignore (in `variables.ignore`) naming rule `id`, as
/// findings/suppression.cpp reads it?
[[nodiscard]] std::string ignored(std::string_view id);

} // namespace image_secure::admission
