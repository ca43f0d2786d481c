#include "cli/app.hpp"

#include <iostream>
#include <malloc.h>
#include <string>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
    // Two malloc arenas, one per scanner thread on these 2-core machines: more arenas keep
    // freed pages resident (peak RSS over the budget of 2x input + 32 MiB), one arena makes
    // the threads contend on libyaml's many small allocations (measured on 10,000 Deployments:
    // 1 arena 0.56 s, 2 arenas 0.45 s, 8 arenas 0.43 s but 63.4 MiB).
    mallopt(M_ARENA_MAX, 2);
    std::ios::sync_with_stdio(false);
    image_secure::cli::Io io{std::cin, std::cout, std::cerr};
    // One binary, two names: kubectl (>= 1.26) runs kubectl_complete-image_secure for
    // `kubectl image-secure <TAB>` (a symlink to this file).
    const std::string_view self = argc > 0 ? std::string_view(argv[0]) : std::string_view();
    const std::string_view base = self.substr(self.rfind('/') == std::string_view::npos ? 0 : self.rfind('/') + 1);
    if (base == "kubectl_complete-image_secure") {
        return image_secure::cli::complete(std::vector<std::string>(argv + 1, argv + argc), io);
    }
    // kustomize's exec functions take a path and no arguments: a link named image-secure-krm
    // runs the KRM function.
    if (base == "image-secure-krm") {
        const char* krm_argv[] = {argv[0], "krm"};
        return image_secure::cli::run(2, krm_argv, io);
    }
    return image_secure::cli::run(argc, argv, io);
}
