// Hardening pieces, written from the issue and pflag's documented behaviour: what we print
// of untrusted text, which encodings are refused, and how command lines are read.
#include "cli/app.hpp"
#include "cli/pflag.hpp"
#include "cli/progress_line.hpp"

#include <image_secure/base/text.hpp>
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/registry/credentials.hpp>

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

using namespace image_secure;

TEST_SUITE("hardening") {
    TEST_CASE("a credential helper that exits without reading its input is an error, not SIGPIPE") {
        // 256 KiB cannot fit a pipe buffer: the write blocks until `true` exits, then fails
        // with EPIPE every time (without the fix, SIGPIPE ends the test binary).
        const auto got = run_credential_helper("true", std::string(256U << 10U, 'x'));
        CHECK_FALSE(got.has_value());
    }

    TEST_CASE("printable: escapes control characters, invalid UTF-8 and bidi overrides") {
        CHECK(printable("\x1b[31mred") == "\\e[31mred");
        CHECK(printable(std::string("a\0b", 3)) == "a\\x00b");
        CHECK(printable("line\nnext\r\t") == "line\\nnext\\r\\t");
        CHECK(printable("\x7f") == "\\x7f");
        CHECK(printable("\xff\xfe") == "\\xff\\xfe");
        CHECK(printable("\xc2\x9b") == "\\x9b"); // C1 CSI
        CHECK(printable("a\xe2\x80\xae"
                        "b")
              == "a\\u202eb");                                                      // right-to-left override
        CHECK(printable("caf\xc3\xa9 \xe2\x9c\x93") == "caf\xc3\xa9 \xe2\x9c\x93"); // text stays text
    }

    TEST_CASE("printable: caps long values and says how long they were") {
        const std::string big(300, 'a');
        CHECK(printable(big, 10) == std::string(10, 'a') + "\xe2\x80\xa6(300 bytes)");
        CHECK(printable(big, 300) == big);
    }

    TEST_CASE("printable_lines: each line escaped and capped, breaks kept") {
        CHECK(printable_lines("one\x1b\ntwo\n") == "one\\e\ntwo\n");
        CHECK(printable_lines(std::string(10, 'x') + "\n", 4) == "xxxx\xe2\x80\xa6(10 bytes)\n");
    }

    TEST_CASE("foreign_encoding: byte-order marks and YAML's NUL patterns") {
        CHECK(foreign_encoding("\xff\xfe"
                               "a\0")
              == "UTF-16LE");
        CHECK(foreign_encoding(std::string("a\0b\0", 4)) == "UTF-16LE");
        CHECK(foreign_encoding("\xfe\xff") == "UTF-16BE");
        CHECK(foreign_encoding(std::string("\0a\0b", 4)) == "UTF-16BE");
        CHECK(foreign_encoding(std::string("\xff\xfe\0\0", 4)) == "UTF-32LE");
        CHECK(foreign_encoding(std::string("a\0\0\0", 4)) == "UTF-32LE");
        CHECK(foreign_encoding(std::string("\0\0\xfe\xff", 4)) == "UTF-32BE");
        CHECK(foreign_encoding("\xef\xbb\xbf"
                               "a: b")
              == ""); // a UTF-8 BOM is fine
        CHECK(foreign_encoding("a: b") == "");
        CHECK(foreign_encoding("") == "");
    }

    TEST_CASE("parse_go_bool: strconv.ParseBool's words only") {
        for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"}) {
            CHECK(*cli::parse_go_bool(yes));
        }
        for (const char* no : {"0", "f", "F", "FALSE", "false", "False"}) {
            CHECK_FALSE(*cli::parse_go_bool(no));
        }
        for (const char* bad : {"yes", "no", "", "on", "tRUE", "2"}) {
            CHECK_FALSE(cli::parse_go_bool(bad).has_value());
        }
    }

    TEST_CASE("normalize_argv: pflag's shapes become unambiguous CLI11 argv") {
        CLI::App app;
        cli::Action action;
        cli::build_app(app, action);
        cli::literal_values(app);
        auto norm = [&app](std::vector<std::string> args) { return cli::normalize_argv(app, args); };
        using V = std::vector<std::string>;

        // --flag= is an empty value; the next argument stays a flag.
        auto a = norm({"secret", "create", "s", "--docker-email=", "--docker-server=r.io"});
        REQUIRE(a);
        CHECK(*a == V{"secret", "create", "s", "--docker-email", "", "--docker-server", "r.io"});
        // -n=ns, -nns and -n ns are one thing; -ojson too.
        CHECK(*norm({"secret", "create", "s", "-n=ns"}) == V{"secret", "create", "s", "--namespace", "ns"});
        CHECK(*norm({"secret", "create", "s", "-nns"}) == V{"secret", "create", "s", "--namespace", "ns"});
        CHECK(*norm({"secret", "create", "s", "-ojson"}) == V{"secret", "create", "s", "--output", "json"});
        // A value option takes the next argument whatever it looks like.
        CHECK(*norm({"secret", "create", "s", "--docker-password", "-x"})
              == V{"secret", "create", "s", "--docker-password", "-x"});
        // Bool flags: Go's words, canonical form.
        CHECK(*norm({"secret", "create", "s", "--append-hash"}) == V{"secret", "create", "s", "--append-hash=true"});
        CHECK(*norm({"secret", "create", "s", "--append-hash=F"}) == V{"secret", "create", "s", "--append-hash=false"});
        CHECK_FALSE(norm({"secret", "create", "s", "--append-hash=yes"}).has_value());
        // Optional values: bare means the default, a value needs '='.
        CHECK(*norm({"secret", "create", "s", "--dry-run"}) == V{"secret", "create", "s", "--dry-run", "client"});
        CHECK(*norm({"secret", "create", "s", "--dry-run", "x"})
              == V{"secret", "create", "s", "--dry-run", "client", "x"});
        // kubectl's NAME comes from before "--" only.
        CHECK(*norm({"secret", "create", "--", "s"}) == V{"secret", "create"});
        // Other commands keep what follows "--".
        CHECK(*norm({"ref", "--", "-x"}) == V{"ref", "--", "-x"});
        // Errors pflag would give.
        const auto unknown = norm({"ref", "--bogus"});
        REQUIRE_FALSE(unknown.has_value());
        CHECK(unknown.error().what == "unknown flag: --bogus");
        CHECK(unknown.error().where == "see 'kubectl image-secure ref --help'");
        CHECK(norm({"ref", "---x"}).error().what == "bad flag syntax: ---x");
        CHECK(norm({"ref", "-o"}).error().what == "flag needs an argument: -o");
        CHECK(norm({"ref", "-Z"}).error().what == "unknown shorthand flag: 'Z' in -Z");
    }

    TEST_CASE("progress line: rewritten in place, blanked before other output, silent when disabled") {
        std::ostringstream err;
        cli::ProgressLine line(err, true);
        line.show("1/3 images  2.0 kB read", 0);
        CHECK(err.str() == "\r1/3 images  2.0 kB read  0.0 MB/s");
        err.str("");
        line.clear();
        CHECK(err.str() == "\r" + std::string(34, ' ') + "\r");
        std::ostringstream quiet;
        cli::ProgressLine off(quiet, false);
        off.show("1/3 images", 5);
        off.clear();
        CHECK(quiet.str().empty());
    }
}
