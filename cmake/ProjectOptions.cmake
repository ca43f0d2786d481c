# Compiler flags for our own targets only (third-party code is never built here).
add_library(image_secure_options INTERFACE)
target_compile_options(image_secure_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
    -Wimplicit-fallthrough -Wsign-conversion -Wswitch-enum)
if(IMAGE_SECURE_WERROR)
    target_compile_options(image_secure_options INTERFACE -Werror)
endif()
if(IMAGE_SECURE_FUZZ)
    # Coverage for libFuzzer in every library, not only in the targets' own files.
    target_compile_options(image_secure_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
    target_link_options(image_secure_options INTERFACE -fsanitize=address,undefined)
endif()
if(IMAGE_SECURE_SANITIZE)
    target_compile_options(image_secure_options INTERFACE
        -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_compile_definitions(image_secure_options INTERFACE _GLIBCXX_ASSERTIONS)
    target_link_options(image_secure_options INTERFACE -fsanitize=address,undefined)
endif()
