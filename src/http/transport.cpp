#include <image_secure/http/transport.hpp>

namespace image_secure::http {

const std::string* Response::header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
        if (name == lower_name) {
            return &value;
        }
    }
    return nullptr;
}

Response Transport::perform_one(Request request) {
    std::vector<Request> one;
    one.push_back(std::move(request));
    return std::move(perform(std::move(one)).front());
}

} // namespace image_secure::http
