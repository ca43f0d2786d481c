#include <image_secure/base/text.hpp>
#include <image_secure/http/redirect.hpp>
#include <image_secure/http/url.hpp>

namespace image_secure::http {

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

RedirectStep apply_redirect(Request& request,
                            const Response& response,
                            const std::function<bool(const std::string& url)>& plain_allowed,
                            std::string& error) {
    if (!is_redirect(response.status)) {
        return RedirectStep::none;
    }
    const std::string* location = response.header("location");
    if (location == nullptr || location->empty()) {
        return RedirectStep::none;
    }
    const std::string next = resolve_url(request.url, *location);
    if (ascii_lower(request.url.substr(0, 8)) == "https://" && ascii_lower(next.substr(0, 7)) == "http://"
        && !(plain_allowed && plain_allowed(next))) {
        error = "refusing to follow a redirect from HTTPS to plain HTTP (" + printable(redact_url(next), 200) + ")";
        return RedirectStep::refused;
    }
    if (url_origin(next) != url_origin(request.url)) {
        request.authorization.clear(); // never forward credentials to another origin
    }
    if (response.status == 303) {
        request.method = "GET";
        request.body.clear();
    }
    request.url = next;
    return RedirectStep::follow;
}

} // namespace image_secure::http
