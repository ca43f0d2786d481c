#pragma once

// libcurl, loaded with dlopen on first use (private to src/http/). Its ~35 dependent
// libraries cost every command 7 ms and 4 MiB at startup; a binary that only needs it for
// registry commands runs everywhere else without it. The static release binary links libcurl
// in (IMAGE_SECURE_CURL_LINKED) and fills the same table at link time.

#define CURL_DISABLE_TYPECHECK 1 // the type-checking macros would call the linked symbols
#include <curl/curl.h>

namespace image_secure::http::detail {

// Every libcurl function the transport uses, looked up in libcurl.so.4 (one per line; the
// formatter is not stable on this macro).
// clang-format off
#define IMAGE_SECURE_CURL_FUNCTIONS(X) \
    X(curl_global_init) \
    X(curl_global_cleanup) \
    X(curl_easy_init) \
    X(curl_easy_cleanup) \
    X(curl_easy_setopt) \
    X(curl_easy_getinfo) \
    X(curl_easy_pause) \
    X(curl_easy_strerror) \
    X(curl_multi_init) \
    X(curl_multi_cleanup) \
    X(curl_multi_setopt) \
    X(curl_multi_add_handle) \
    X(curl_multi_remove_handle) \
    X(curl_multi_perform) \
    X(curl_multi_poll) \
    X(curl_multi_info_read) \
    X(curl_share_init) \
    X(curl_share_cleanup) \
    X(curl_share_setopt) \
    X(curl_slist_append) \
    X(curl_slist_free_all) \
    X(curl_url) \
    X(curl_url_cleanup) \
    X(curl_url_set) \
    X(curl_url_get) \
    X(curl_free) \
    X(curl_getdate)

// clang-format on

struct CurlApi {
#define IMAGE_SECURE_CURL_POINTER(name) decltype(&::name) name = nullptr;
    IMAGE_SECURE_CURL_FUNCTIONS(IMAGE_SECURE_CURL_POINTER)
#undef IMAGE_SECURE_CURL_POINTER
};

/// The loaded library, or nullptr when it could not be loaded (load_library() says why).
[[nodiscard]] const CurlApi* curl();

} // namespace image_secure::http::detail
