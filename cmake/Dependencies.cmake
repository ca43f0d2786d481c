# Every third-party library comes from a Debian -dev package (ci/install-deps.sh);
# nothing is downloaded at configure or build time. Each becomes a dep_* target.
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
if(IMAGE_SECURE_STATIC)
    # The release binary (krew/package.sh): one static-PIE executable that needs no shared
    # library and no glibc symbol version, so it runs on any Linux of its architecture. The
    # find modules below must pick static archives.
    set(OPENSSL_USE_STATIC_LIBS ON)
    set(ZLIB_USE_STATIC_LIBS ON)
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
        set(IMAGE_SECURE_ARCH arm64)
    else()
        set(IMAGE_SECURE_ARCH amd64)
    endif()
    # yaml-cpp's arm64 package cannot sit beside the amd64 one: krew/deps.sh unpacks it here.
    list(APPEND CMAKE_PREFIX_PATH ${PROJECT_SOURCE_DIR}/.deps/${IMAGE_SECURE_ARCH}/sysroot/usr)
endif()

macro(image_secure_require found pkg apt)
    if(NOT ${found})
        message(FATAL_ERROR "${pkg} not found: install the Debian package '${apt}' (ci/install-deps.sh)")
    endif()
endmacro()

find_package(CLI11 CONFIG QUIET)
image_secure_require(CLI11_FOUND CLI11 libcli11-dev)
if(IMAGE_SECURE_STATIC)
    # yaml-cpp's CMake package names the shared object: take the headers and the archive.
    find_path(YAML_CPP_INCLUDE_DIR yaml-cpp/yaml.h)
    set(yaml-cpp_FOUND ${YAML_CPP_INCLUDE_DIR})
else()
    find_package(yaml-cpp CONFIG QUIET)
endif()
image_secure_require(yaml-cpp_FOUND yaml-cpp libyaml-cpp-dev)
find_package(nlohmann_json CONFIG QUIET)
image_secure_require(nlohmann_json_FOUND nlohmann_json nlohmann-json3-dev)
find_package(OpenSSL QUIET)
image_secure_require(OPENSSL_FOUND OpenSSL libssl-dev)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
    pkg_check_modules(RE2 QUIET IMPORTED_TARGET re2)
endif()
image_secure_require(RE2_FOUND RE2 "libre2-dev and pkg-config")
pkg_check_modules(LIBYAML QUIET IMPORTED_TARGET yaml-0.1)
image_secure_require(LIBYAML_FOUND libyaml "libyaml-dev and pkg-config")
if(IMAGE_SECURE_STATIC)
    # Debian's libcurl.a needs Kerberos and p11-kit, which have no static archives: link the
    # minimal libcurl (HTTP/HTTPS, c-ares) that krew/deps.sh builds from Debian's source.
    find_package(CURL CONFIG QUIET PATHS ${PROJECT_SOURCE_DIR}/.deps/${IMAGE_SECURE_ARCH}/curl NO_DEFAULT_PATH)
    if(NOT CURL_FOUND)
        message(FATAL_ERROR "no static libcurl in .deps/${IMAGE_SECURE_ARCH}/curl: run krew/deps.sh ${IMAGE_SECURE_ARCH}")
    endif()
else()
    find_package(CURL QUIET)
    image_secure_require(CURL_FOUND libcurl libcurl4-openssl-dev)
endif()
# audit: layer decoders and the rpm database reader.
find_package(ZLIB QUIET)
image_secure_require(ZLIB_FOUND zlib zlib1g-dev)
pkg_check_modules(ZSTD QUIET IMPORTED_TARGET libzstd)
image_secure_require(ZSTD_FOUND libzstd "libzstd-dev and pkg-config")
find_package(SQLite3 QUIET)
image_secure_require(SQLite3_FOUND SQLite3 libsqlite3-dev)

add_library(dep_json INTERFACE)
target_link_libraries(dep_json INTERFACE nlohmann_json::nlohmann_json)
add_library(dep_cli11 INTERFACE)
target_link_libraries(dep_cli11 INTERFACE CLI11::CLI11)
add_library(dep_yaml_cpp INTERFACE)
add_library(dep_openssl INTERFACE)
add_library(dep_re2 INTERFACE)
add_library(dep_libyaml INTERFACE)
add_library(dep_zlib INTERFACE)
target_link_libraries(dep_zlib INTERFACE ZLIB::ZLIB)
add_library(dep_zstd INTERFACE)
add_library(dep_sqlite INTERFACE)
if(IMAGE_SECURE_STATIC)
    # Debian ships static archives of all of these; the CMake packages of yaml-cpp and SQLite
    # and re2's pkg-config point at the shared objects, so name the archives.
    foreach(lib yaml-cpp re2 yaml zstd sqlite3)
        string(MAKE_C_IDENTIFIER "${lib}" id)
        find_library(STATIC_${id} NAMES lib${lib}.a REQUIRED)
    endforeach()
    target_include_directories(dep_yaml_cpp INTERFACE ${YAML_CPP_INCLUDE_DIR})
    target_link_libraries(dep_yaml_cpp INTERFACE ${STATIC_yaml_cpp})
    target_include_directories(dep_re2 INTERFACE ${RE2_INCLUDE_DIRS})
    target_link_libraries(dep_re2 INTERFACE ${STATIC_re2} Threads::Threads)
    target_link_libraries(dep_libyaml INTERFACE ${STATIC_yaml})
    target_link_libraries(dep_zstd INTERFACE ${STATIC_zstd})
    target_include_directories(dep_sqlite INTERFACE ${SQLite3_INCLUDE_DIRS})
    target_link_libraries(dep_sqlite INTERFACE ${STATIC_sqlite3} ${CMAKE_DL_LIBS} m Threads::Threads)
    target_link_libraries(dep_openssl INTERFACE OpenSSL::Crypto)
    # libcurl linked in; curl_library.cpp takes its functions directly instead of dlopen.
    add_library(dep_curl INTERFACE)
    target_link_libraries(dep_curl INTERFACE CURL::libcurl)
    target_compile_definitions(dep_curl INTERFACE IMAGE_SECURE_CURL_LINKED)
    # No libstdc++/libgcc_s/glibc at run time, and ASLR (static-PIE). Dead sections go; the
    # checkout's path does not reach the binary (reproducible from any directory).
    target_compile_options(image_secure_options INTERFACE -ffunction-sections -fdata-sections
                                                          -ffile-prefix-map=${PROJECT_SOURCE_DIR}=.)
    target_link_options(image_secure_options INTERFACE -static-pie -Wl,--gc-sections -Wl,-z,relro,-z,now)
else()
    # libcurl: headers only. curl_library.cpp dlopens libcurl.so.4 when a registry command
    # first needs it: its ~35 dependent libraries would cost every other command 7 ms.
    add_library(dep_curl INTERFACE)
    target_include_directories(dep_curl INTERFACE ${CURL_INCLUDE_DIRS})
    target_link_libraries(dep_curl INTERFACE ${CMAKE_DL_LIBS})
    if(TARGET yaml-cpp::yaml-cpp)
        target_link_libraries(dep_yaml_cpp INTERFACE yaml-cpp::yaml-cpp)
    else()
        target_link_libraries(dep_yaml_cpp INTERFACE yaml-cpp)
    endif()
    target_link_libraries(dep_openssl INTERFACE OpenSSL::Crypto)
    target_link_libraries(dep_re2 INTERFACE PkgConfig::RE2)
    target_link_libraries(dep_libyaml INTERFACE PkgConfig::LIBYAML)
    target_link_libraries(dep_zstd INTERFACE PkgConfig::ZSTD)
    target_link_libraries(dep_sqlite INTERFACE SQLite::SQLite3)
endif()

message(STATUS "image-secure dependencies: CLI11 ${CLI11_VERSION}, yaml-cpp ${yaml-cpp_VERSION}, "
               "nlohmann_json ${nlohmann_json_VERSION}, OpenSSL ${OPENSSL_VERSION}, RE2 ${RE2_VERSION}, "
               "libyaml ${LIBYAML_VERSION}, zlib ${ZLIB_VERSION_STRING}, zstd ${ZSTD_VERSION}, "
               "SQLite ${SQLite3_VERSION}")
