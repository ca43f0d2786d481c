#include <image_secure/base/digest.hpp>
#include <image_secure/base/encoding.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/secret/json_writer.hpp>
#include <image_secure/secret/secret.hpp>
#include <image_secure/secret/yaml_emitter.hpp>

#include <algorithm>

namespace image_secure {

namespace {

void append_auth_entry(std::string& out, const DockerCredentials& creds) {
    append_json_string(out, creds.server);
    out += ":{";
    bool first = true;
    auto field = [&](std::string_view key, std::string_view value) {
        if (value.empty()) {
            return; // every field is omitempty
        }
        if (!first) {
            out += ',';
        }
        first = false;
        append_json_string(out, key);
        out += ':';
        append_json_string(out, value);
    };
    field("username", creds.username);
    field("password", creds.password);
    field("email", creds.email);
    field("auth", base64_encode(creds.username + ":" + creds.password));
    out += '}';
}

} // namespace

std::string docker_config_json(const DockerCredentials& creds) {
    return docker_config_json(std::vector<DockerCredentials>{creds});
}

std::string docker_config_json(std::vector<DockerCredentials> entries) {
    std::stable_sort(entries.begin(), entries.end(), [](const DockerCredentials& a, const DockerCredentials& b) {
        return a.server < b.server;
    });
    std::string out = "{\"auths\":{";
    bool first = true;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i + 1 < entries.size() && entries[i + 1].server == entries[i].server) {
            continue; // a map holds one entry per key: the last one given wins
        }
        out += first ? "" : ",";
        first = false;
        append_auth_entry(out, entries[i]);
    }
    out += "}}";
    return out;
}

std::string secret_hash(const SecretSpec& spec) {
    // json.Marshal(map{"data","kind","name","type"}): Go sorts map keys (std::map does too).
    std::string encoded = "{\"data\":{";
    bool first = true;
    for (const auto& [key, bytes] : spec.data) {
        if (!first) {
            encoded += ',';
        }
        first = false;
        append_json_string(encoded, key);
        encoded += ':';
        append_json_string(encoded, base64_encode(bytes));
    }
    encoded += "},\"kind\":\"Secret\",\"name\":";
    append_json_string(encoded, spec.name);
    encoded += ",\"type\":";
    append_json_string(encoded, spec.type);
    encoded += '}';
    std::string hex = sha256_hex(encoded).substr(0, 10);
    for (char& c : hex) {
        switch (c) {
        case '0':
            c = 'g';
            break;
        case '1':
            c = 'h';
            break;
        case '3':
            c = 'k';
            break;
        case 'a':
            c = 'm';
            break;
        case 'e':
            c = 't';
            break;
        default:
            break;
        }
    }
    return hex;
}

namespace {

bool is_letter(std::uint32_t c) {
    // yaml.v2's sorter uses unicode.IsLetter; data keys are ASCII, names never get sorted.
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

bool is_digit_rune(std::uint32_t c) { return c >= '0' && c <= '9'; }

std::vector<std::uint32_t> runes(std::string_view s) {
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < s.size();) {
        const Utf8Char ch = decode_utf8(s, i);
        out.push_back(ch.valid ? ch.code : 0xFFFD);
        i += ch.length;
    }
    return out;
}

// goyaml.v2 sorter.go keyList.Less for two strings ("natural" order).
bool yaml_v2_key_less(std::string_view a_text, std::string_view b_text) {
    const auto a = runes(a_text);
    const auto b = runes(b_text);
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        if (a[i] == b[i]) {
            continue;
        }
        const bool al = is_letter(a[i]);
        const bool bl = is_letter(b[i]);
        if (al && bl) {
            return a[i] < b[i];
        }
        if (al || bl) {
            return bl;
        }
        std::size_t ai = i;
        std::size_t bi = i;
        std::uint64_t an = 0;
        std::uint64_t bn = 0;
        if (a[i] == '0' || b[i] == '0') {
            for (std::size_t j = i; j > 0 && is_digit_rune(a[j - 1]); --j) {
                if (a[j - 1] != '0') {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        for (; ai < a.size() && is_digit_rune(a[ai]); ++ai) {
            an = an * 10 + (a[ai] - '0');
        }
        for (; bi < b.size() && is_digit_rune(b[bi]); ++bi) {
            bn = bn * 10 + (b[bi] - '0');
        }
        if (an != bn) {
            return an < bn;
        }
        if (ai != bi) {
            return ai < bi;
        }
        return a[i] < b[i];
    }
    return a.size() < b.size();
}

std::string render_json(const SecretSpec& spec, std::string_view name) {
    std::string out = "{\n    \"kind\": \"Secret\",\n    \"apiVersion\": \"v1\",\n    \"metadata\": {\n";
    out += "        \"name\": ";
    append_json_string(out, name);
    if (spec.namespace_name) {
        out += ",\n        \"namespace\": ";
        append_json_string(out, *spec.namespace_name);
    }
    if (spec.creation_timestamp_null) {
        out += ",\n        \"creationTimestamp\": null";
    }
    if (!spec.labels.empty()) {
        out += ",\n        \"labels\": {\n";
        bool first_label = true;
        for (const auto& [key, value] : spec.labels) {
            out += first_label ? "" : ",\n";
            first_label = false;
            out += "            ";
            append_json_string(out, key);
            out += ": ";
            append_json_string(out, value);
        }
        out += "\n        }";
    }
    out += "\n    },\n";
    if (!spec.data.empty()) {
        out += "    \"data\": {\n";
        bool first = true;
        for (const auto& [key, bytes] : spec.data) {
            if (!first) {
                out += ",\n";
            }
            first = false;
            out += "        ";
            append_json_string(out, key);
            out += ": ";
            append_json_string(out, base64_encode(bytes));
        }
        out += "\n    },\n";
    }
    out += "    \"type\": ";
    append_json_string(out, spec.type);
    out += "\n}\n";
    return out;
}

Result<std::string> render_yaml(const SecretSpec& spec, std::string_view raw_name) {
    auto name = yaml_v2_roundtrip_string(raw_name);
    if (!name) {
        return name.error();
    }
    std::optional<std::string> ns;
    if (spec.namespace_name) {
        auto value = yaml_v2_roundtrip_string(*spec.namespace_name);
        if (!value) {
            return value.error();
        }
        ns = *value;
    }
    YamlV2Writer w;
    w.key("apiVersion", 0);
    w.string_value("v1");
    if (!spec.data.empty()) {
        w.key("data", 0);
        std::vector<std::string> keys;
        for (const auto& entry : spec.data) {
            keys.push_back(entry.first);
        }
        std::sort(keys.begin(), keys.end(), yaml_v2_key_less);
        for (const auto& key : keys) {
            w.key(key, 2);
            w.string_value(base64_encode(spec.data.at(key)));
        }
    }
    w.key("kind", 0);
    w.string_value("Secret");
    w.key("metadata", 0);
    if (spec.creation_timestamp_null) {
        w.key("creationTimestamp", 2);
        w.null_value();
    }
    if (!spec.labels.empty()) {
        w.key("labels", 2);
        std::vector<std::string> keys;
        for (const auto& entry : spec.labels) {
            keys.push_back(entry.first);
        }
        std::sort(keys.begin(), keys.end(), yaml_v2_key_less);
        for (const auto& key : keys) {
            w.key(key, 4);
            w.string_value(spec.labels.at(key));
        }
    }
    w.key("name", 2);
    w.string_value(*name);
    if (ns) {
        w.key("namespace", 2);
        w.string_value(*ns);
    }
    w.key("type", 0);
    w.string_value(spec.type);
    std::string out = w.text();
    if (out.empty() || out.back() != '\n') {
        out += '\n';
    }
    return out;
}

} // namespace

Result<std::string> render_secret(const SecretSpec& spec, SecretFormat format) {
    switch (format) {
    case SecretFormat::json:
        return render_json(spec, spec.name);
    case SecretFormat::yaml:
        return render_yaml(spec, spec.name);
    case SecretFormat::name:
        return "secret/" + spec.name + "\n";
    }
    return usage_error("unknown output format");
}

Result<std::vector<std::string>> split_csv_flag(std::string_view value) {
    std::vector<std::string> fields;
    if (value.empty()) {
        return fields;
    }
    std::size_t i = 0;
    const auto column = [&](std::size_t pos) { return std::to_string(pos + 1); };
    while (true) {
        std::string field;
        if (i < value.size() && value[i] == '"') {
            ++i;
            while (true) {
                if (i >= value.size()) {
                    return usage_error("parse error on line 1, column " + column(i)
                                       + ": extraneous or missing \" in quoted-field");
                }
                if (value[i] == '"') {
                    if (i + 1 < value.size() && value[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += value[i++];
            }
            if (i < value.size() && value[i] != ',') {
                return usage_error("parse error on line 1, column " + column(i)
                                   + ": extraneous or missing \" in quoted-field");
            }
        } else {
            while (i < value.size() && value[i] != ',') {
                if (value[i] == '"') {
                    return usage_error("parse error on line 1, column " + column(i) + ": bare \" in non-quoted-field");
                }
                field += value[i++];
            }
        }
        fields.push_back(std::move(field));
        if (i >= value.size()) {
            break;
        }
        ++i; // the comma
    }
    return fields;
}

Result<FileSource> parse_file_source(std::string_view source, bool bare_key_is_basename) {
    const auto separators = std::count(source.begin(), source.end(), '=');
    if (separators == 0) {
        if (bare_key_is_basename) {
            const auto slash = source.find_last_of('/');
            return FileSource{std::string(source.substr(slash == std::string_view::npos ? 0 : slash + 1)),
                              std::string(source)};
        }
        return FileSource{".dockerconfigjson", std::string(source)};
    }
    if (separators > 1) {
        return usage_error("key names or file paths cannot contain '='");
    }
    const auto eq = source.find('=');
    if (eq == 0) {
        return usage_error("key name for file path " + std::string(source.substr(1)) + " missing");
    }
    if (eq + 1 == source.size()) {
        return usage_error("file path for key name " + std::string(source.substr(0, eq)) + " missing");
    }
    return FileSource{std::string(source.substr(0, eq)), std::string(source.substr(eq + 1))};
}

Result<Ok> validate_secret_key(std::string_view key) {
    const bool chars_ok = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
               || c == '_';
    });
    std::string why;
    if (key.size() > 253) {
        why = "must be no more than 253 characters";
    } else if (!chars_ok) {
        why = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
    } else if (key == "." || key == "..") {
        why = "must not be '.' or '..'";
    } else if (key.substr(0, 2) == "..") {
        why = "must not start with '..'";
    }
    if (!why.empty()) {
        return usage_error(json_string(key) + " is not valid key name for a Secret " + why);
    }
    return Ok{};
}

Result<Ok> add_secret_file(SecretSpec& spec, const SecretFile& file) {
    if (auto valid = validate_secret_key(file.key); !valid) {
        return valid.error();
    }
    if (spec.data.count(file.key) != 0) {
        return usage_error("cannot add key " + file.key + ", another key by that name already exists");
    }
    spec.data.emplace(file.key, file.bytes);
    return Ok{};
}

std::string strip_password_newline(std::string password) {
    if (!password.empty() && password.back() == '\n') {
        password.pop_back();
    }
    if (!password.empty() && password.back() == '\r') {
        password.pop_back();
    }
    return password;
}

} // namespace image_secure
