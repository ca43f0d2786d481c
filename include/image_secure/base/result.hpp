#pragma once

#include <string>
#include <utility>
#include <variant>

namespace image_secure {

/// What kind of failure: the CLI maps usage and input to exit 2, network (and any other
/// registry failure) to exit 3, not_found (a registry has no such image) and denied (the
/// registry refused the credentials or the access) to exit 1.
enum class ErrorKind { usage, input, network, not_found, denied };

/// One error: `what` is a lower-case phrase, `where` names the file:line:col, flag or URL.
struct Error {
    ErrorKind kind = ErrorKind::input;
    std::string what;
    std::string where;

    /// `what (where)`, or just `what` when there is no location.
    [[nodiscard]] std::string message() const { return where.empty() ? what : what + " (" + where + ")"; }
};

/// A value or an Error; the core never throws across its public API.
template <class T> class [[nodiscard]] Result {
  public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {} // NOLINT(google-explicit-constructor)

    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const { return m_data.index() == 0; }

    explicit operator bool() const { return has_value(); }

    T& value() & { return std::get<0>(m_data); }

    const T& value() const& { return std::get<0>(m_data); }

    T&& value() && { return std::get<0>(std::move(m_data)); }

    T& operator*() & { return value(); }

    const T& operator*() const& { return value(); }

    T* operator->() { return &value(); }

    const T* operator->() const { return &value(); }

    [[nodiscard]] const Error& error() const { return std::get<1>(m_data); }

  private:
    std::variant<T, Error> m_data;
};

/// Result of an operation that returns nothing on success.
struct Ok {};

inline Error usage_error(std::string what, std::string where = {}) {
    return Error{ErrorKind::usage, std::move(what), std::move(where)};
}

inline Error network_error(std::string what, std::string where = {}) {
    return Error{ErrorKind::network, std::move(what), std::move(where)};
}

inline Error input_error(std::string what, std::string where = {}) {
    return Error{ErrorKind::input, std::move(what), std::move(where)};
}

} // namespace image_secure
