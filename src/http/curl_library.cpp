// The only files that include libcurl are in src/http/.
#include "curl_library.hpp"

#include <image_secure/http/curl_transport.hpp>

#include <cstdlib>
#include <string>
#ifndef IMAGE_SECURE_CURL_LINKED
#include <dlfcn.h>
#endif

namespace image_secure::http {

namespace {

struct Loaded {
    detail::CurlApi api;
    bool ok = false;
    std::string error;
};

const Loaded& loaded() {
    static const Loaded* const once = [] {
        static Loaded l;
#ifdef IMAGE_SECURE_CURL_LINKED
        // The release binary links libcurl statically: the same table, filled at link time.
#define IMAGE_SECURE_CURL_TAKE(name) l.api.name = &::name;
        IMAGE_SECURE_CURL_FUNCTIONS(IMAGE_SECURE_CURL_TAKE)
#undef IMAGE_SECURE_CURL_TAKE
#else
        // IMAGE_SECURE_LIBCURL names another libcurl (a private build; tests use a missing one).
        const char* path = std::getenv("IMAGE_SECURE_LIBCURL");
        void* handle = dlopen(path != nullptr && *path != '\0' ? path : "libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            const char* why = dlerror();
            l.error = std::string("registry commands need libcurl (libcurl.so.4, Debian/Ubuntu package libcurl4): ")
                      + (why != nullptr ? why : "not found");
            return &l;
        }
#define IMAGE_SECURE_CURL_LOOKUP(name)                                                                                 \
    l.api.name = reinterpret_cast<decltype(&::name)>(dlsym(handle, #name));                                            \
    if (l.api.name == nullptr) {                                                                                       \
        l.error = "libcurl.so.4 has no " #name " (libcurl 7.77 or newer is needed)";                                   \
        return &l;                                                                                                     \
    }
        IMAGE_SECURE_CURL_FUNCTIONS(IMAGE_SECURE_CURL_LOOKUP)
#undef IMAGE_SECURE_CURL_LOOKUP
#endif
        l.ok = l.api.curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; // once per process; stays loaded
        if (!l.ok) {
            l.error = "libcurl initialisation failed";
        }
        return &l;
    }();
    return *once;
}

} // namespace

const detail::CurlApi* detail::curl() {
    const Loaded& l = loaded();
    return l.ok ? &l.api : nullptr;
}

Result<Ok> load_library() {
    const Loaded& l = loaded();
    if (!l.ok) {
        return network_error(l.error);
    }
    return Ok{};
}

} // namespace image_secure::http
