#include <image_secure/base/encoding.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/secret/json_writer.hpp>
#include <image_secure/secret/secret.hpp>
#include <image_secure/secret/yaml_emitter.hpp>

#include <doctest/doctest.h>

using namespace image_secure;

TEST_SUITE("secret") {
    TEST_CASE("docker_config_json: field order, omitempty email, base64 auth (spec/secret.md §4)") {
        DockerCredentials c;
        c.username = "u";
        c.password = "p";
        CHECK(docker_config_json(c)
              == R"({"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p","auth":"dTpw"}}})");
        c.email = "e@x";
        c.server = "r:5000";
        CHECK(docker_config_json(c)
              == R"({"auths":{"r:5000":{"username":"u","password":"p","email":"e@x","auth":"dTpw"}}})");
    }

    TEST_CASE("secret_hash: matches what kubectl v1.32 printed for --append-hash") {
        SecretSpec spec;
        spec.name = "regcred";
        DockerCredentials c;
        c.username = "u";
        c.password = "p";
        spec.data[".dockerconfigjson"] = docker_config_json(c);
        // kubectl v1.32 printed regcred-c8bk97m7m4 for these flags (tests/e2e/cases/secret/append-hash).
        CHECK(secret_hash(spec) == "c8bk97m7m4");
        spec.namespace_name = "other"; // the namespace is not hashed
        CHECK(secret_hash(spec) == "c8bk97m7m4");
    }

    TEST_CASE("json_string: Go's HTML-safe escaping") {
        CHECK(json_string("<>&") == R"("\u003c\u003e\u0026")");
        CHECK(json_string("\b\f\n\r\t\x01") == R"("\b\f\n\r\t\u0001")");
        CHECK(json_string("\xe2\x80\xa8\xe2\x80\xa9") == R"("\u2028\u2029")");
        CHECK(json_string("a\xffz") == R"("a\ufffdz")");
        CHECK(json_string("\x7f\xc3\xa9") == "\"\x7f\xc3\xa9\"");
    }

    TEST_CASE("yaml_v2_resolves_to_non_string: the quoting triggers of spec/secret.md §7.2") {
        for (const char* s : {"",
                              "~",
                              "null",
                              "yes",
                              "No",
                              "on",
                              "OFF",
                              "y",
                              "123",
                              "-1",
                              "0x1F",
                              "017",
                              "0b101",
                              "1_000",
                              "1e3",
                              "08",
                              ".5",
                              ".inf",
                              "-.Inf",
                              "2024-01-01",
                              "2024-1-1 10:00:00",
                              "2024-01-01T10:00:00Z",
                              "1:20",
                              "+12"}) {
            CAPTURE(s);
            CHECK(yaml_v2_resolves_to_non_string(s));
        }
        for (const char* s : {"regcred", "1e400", "2024-02-30", "a1", "0x", "yess", ".x", "--1", "1.2.3", "<<"}) {
            CAPTURE(s);
            CHECK_FALSE(yaml_v2_resolves_to_non_string(s));
        }
    }

    TEST_CASE("YamlV2Writer: styles and folding") {
        auto one = [](std::string_view value) {
            YamlV2Writer w;
            w.key("name", 2);
            w.string_value(value);
            return w.text();
        };
        CHECK(one("plain") == "  name: plain");
        CHECK(one("#x") == "  name: '#x'");
        CHECK(one("it's: x") == "  name: 'it''s: x'");
        CHECK(one("123") == "  name: \"123\"");
        CHECK(one("a\nb") == "  name: |-\n    a\n    b");
        CHECK(one("key-\xf0\x9f\x94\x90") == "  name: \"key-\\U0001F510\"");
    }

    TEST_CASE("split_csv_flag and parse_file_source follow pflag and kubectl") {
        CHECK(split_csv_flag("a,b").value() == std::vector<std::string>{"a", "b"});
        CHECK(split_csv_flag("\"x,y\"").value() == std::vector<std::string>{"x,y"});
        CHECK(split_csv_flag("").value().empty());
        CHECK_FALSE(split_csv_flag("a\"b").has_value());
        CHECK(parse_file_source("p.json").value().key == ".dockerconfigjson");
        CHECK(parse_file_source("k=p").value().key == "k");
        CHECK(parse_file_source("=p").error().what == "key name for file path p missing");
        CHECK(parse_file_source("k=").error().what == "file path for key name k missing");
        CHECK(parse_file_source("a=b=c").error().what == "key names or file paths cannot contain '='");
        CHECK_FALSE(validate_secret_key("..x").has_value());
        CHECK_FALSE(validate_secret_key("bad key").has_value());
        CHECK(validate_secret_key(".dockercfg").has_value());
    }

    TEST_CASE("strip_password_newline: docker login --password-stdin rule") {
        CHECK(strip_password_newline("pw\n") == "pw");
        CHECK(strip_password_newline("pw\r\n") == "pw");
        CHECK(strip_password_newline("pw\r") == "pw");
        CHECK(strip_password_newline("pw\n\n") == "pw\n");
        CHECK(strip_password_newline("a\nb") == "a\nb");
    }

    TEST_CASE("base64 round trip") {
        std::string out;
        for (const char* s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
            REQUIRE(base64_decode(base64_encode(s), out));
            CHECK(out == s);
        }
        CHECK(base64_encode("u:p") == "dTpw");
        CHECK_FALSE(base64_decode("!!!!", out));
    }
}
