#pragma once

// Kubernetes object names as the API server validates them (apimachinery validation.go).

#include <string_view>

namespace image_secure {

/// RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 bytes (namespaces).
[[nodiscard]] bool is_dns_label(std::string_view s);

/// RFC 1123 subdomain: labels as above joined by '.', at most 253 bytes in all (Secrets,
/// ServiceAccounts). Like Kubernetes, a label of a subdomain has no length limit of its own.
[[nodiscard]] bool is_dns_subdomain(std::string_view s);

} // namespace image_secure
