#pragma once

#include <image_secure/base/result.hpp>

namespace image_secure::cli {

/// The one place where error kinds become exit codes (CLI.md).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_findings = 1;
inline constexpr int k_exit_usage = 2;
inline constexpr int k_exit_network = 3;

inline int exit_code_for(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::usage:
    case ErrorKind::input:
        return k_exit_usage;
    case ErrorKind::network:
        return k_exit_network;
    case ErrorKind::not_found:
    case ErrorKind::denied:
        return k_exit_findings;
    }
    return k_exit_usage;
}

} // namespace image_secure::cli
