// A port of the parts of Go yaml.v2's emitter (emitterc.go, encode.go, resolve.go)
// that decide how a string scalar is written. Kept byte-compatible with kubectl -o yaml.
#include <image_secure/base/text.hpp>
#include <image_secure/secret/json_writer.hpp>
#include <image_secure/secret/yaml_emitter.hpp>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace image_secure {

namespace {

constexpr int k_best_width = 80;
constexpr int k_best_indent = 2;

std::size_t width(unsigned char b) {
    if ((b & 0x80U) == 0) {
        return 1;
    }
    if ((b & 0xE0U) == 0xC0U) {
        return 2;
    }
    if ((b & 0xF0U) == 0xE0U) {
        return 3;
    }
    if ((b & 0xF8U) == 0xF0U) {
        return 4;
    }
    return 0;
}

unsigned char at(std::string_view s, std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; }

bool is_space(std::string_view s, std::size_t i) { return at(s, i) == ' '; }

bool is_blank(std::string_view s, std::size_t i) { return at(s, i) == ' ' || at(s, i) == '\t'; }

bool is_break(std::string_view s, std::size_t i) {
    const unsigned char b = at(s, i);
    return b == '\r' || b == '\n' || (b == 0xC2 && at(s, i + 1) == 0x85)
           || (b == 0xE2 && at(s, i + 1) == 0x80 && (at(s, i + 2) == 0xA8 || at(s, i + 2) == 0xA9));
}

bool is_blankz(std::string_view s, std::size_t i) { return is_blank(s, i) || is_break(s, i) || i >= s.size(); }

bool is_printable(std::string_view s, std::size_t i) {
    const unsigned char b = at(s, i);
    const unsigned char b1 = at(s, i + 1);
    const unsigned char b2 = at(s, i + 2);
    return b == 0x0A || (b >= 0x20 && b <= 0x7E) || (b == 0xC2 && b1 >= 0xA0) || (b > 0xC2 && b < 0xED)
           || (b == 0xED && b1 < 0xA0) || b == 0xEE
           || (b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}

// yaml.v2's is_bom looks at the start of the value whatever the index (a quirk kept on purpose).
bool is_bom_quirk(std::string_view s) { return at(s, 0) == 0xEF && at(s, 1) == 0xBB && at(s, 2) == 0xBF; }

struct Analysis {
    bool multiline = false;
    bool block_plain_allowed = true;
    bool single_quoted_allowed = true;
    bool block_allowed = true;
};

Analysis analyze(std::string_view v) {
    Analysis a;
    if (v.empty()) {
        a.block_allowed = false;
        return a;
    }
    bool block_indicators = false;
    bool line_breaks = false;
    bool special = false;
    bool leading_space = false;
    bool leading_break = false;
    bool trailing_space = false;
    bool trailing_break = false;
    bool break_space = false;
    bool space_break = false;
    bool previous_space = false;
    bool previous_break = false;
    if (v.size() >= 3 && (v.substr(0, 3) == "---" || v.substr(0, 3) == "...")) {
        block_indicators = true;
    }
    bool preceded_by_whitespace = true;
    for (std::size_t i = 0; i < v.size();) {
        const std::size_t w = std::max<std::size_t>(1, width(at(v, i)));
        const bool followed_by_whitespace = i + w >= v.size() || is_blank(v, i + w);
        const char c = v[i];
        if (i == 0) {
            switch (c) {
            case '#':
            case ',':
            case '[':
            case ']':
            case '{':
            case '}':
            case '&':
            case '*':
            case '!':
            case '|':
            case '>':
            case '\'':
            case '"':
            case '%':
            case '@':
            case '`':
                block_indicators = true;
                break;
            case '?':
            case ':':
            case '-':
                if (followed_by_whitespace) {
                    block_indicators = true;
                }
                break;
            default:
                break;
            }
        } else {
            if (c == ':' && followed_by_whitespace) {
                block_indicators = true;
            }
            if (c == '#' && preceded_by_whitespace) {
                block_indicators = true;
            }
        }
        if (!is_printable(v, i)) {
            special = true;
        }
        if (is_space(v, i)) {
            leading_space = leading_space || i == 0;
            trailing_space = trailing_space || i + w == v.size();
            break_space = break_space || previous_break;
            previous_space = true;
            previous_break = false;
        } else if (is_break(v, i)) {
            line_breaks = true;
            leading_break = leading_break || i == 0;
            trailing_break = trailing_break || i + w == v.size();
            space_break = space_break || previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(v, i);
        i += w;
    }
    a.multiline = line_breaks;
    if (leading_space || leading_break || trailing_space || trailing_break) {
        a.block_plain_allowed = false;
    }
    if (trailing_space) {
        a.block_allowed = false;
    }
    if (break_space) {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if (space_break || special) {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if (line_breaks || block_indicators) {
        a.block_plain_allowed = false;
    }
    return a;
}

// Go strconv.ParseInt/ParseUint with base 0 (underscores already removed).
bool go_parses_as_int(std::string_view s) {
    bool negative = false;
    bool has_sign = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        negative = s[0] == '-';
        has_sign = true;
        s.remove_prefix(1);
    }
    unsigned base = 10;
    if (s.size() >= 2 && s[0] == '0') {
        const char p = s[1];
        if (p == 'x' || p == 'X') {
            base = 16;
            s.remove_prefix(2);
        } else if (p == 'o' || p == 'O') {
            base = 8;
            s.remove_prefix(2);
        } else if (p == 'b' || p == 'B') {
            base = 2;
            s.remove_prefix(2);
        } else {
            base = 8;
            s.remove_prefix(1);
        }
    }
    if (s.empty()) {
        return false;
    }
    std::uint64_t value = 0;
    for (const char c : s) {
        unsigned d = 0;
        if (c >= '0' && c <= '9') {
            d = static_cast<unsigned>(c - '0');
        } else if (c >= 'a' && c <= 'z') {
            d = static_cast<unsigned>(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'Z') {
            d = static_cast<unsigned>(c - 'A' + 10);
        } else {
            return false;
        }
        if (d >= base) {
            return false;
        }
        if (value > (UINT64_MAX - d) / base) {
            return false; // overflows uint64: neither ParseInt nor ParseUint accepts it
        }
        value = value * base + d;
    }
    // int64 range when signed; the uint64 range only without a sign (ParseUint takes none).
    if (negative) {
        return value <= (std::uint64_t{1} << 63U);
    }
    return !has_sign || value < (std::uint64_t{1} << 63U);
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool matches_yaml_float(std::string_view s) {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        ++i;
    }
    auto digits = [&]() {
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        return i - start;
    };
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (digits() == 0) {
            return false;
        }
    } else {
        if (digits() == 0) {
            return false;
        }
        if (i < s.size() && s[i] == '.') {
            ++i;
            digits();
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            ++i;
        }
        if (digits() == 0) {
            return false;
        }
    }
    return i == s.size();
}

bool float_in_range(std::string_view s) {
    const std::string copy(s);
    errno = 0;
    const double v = std::strtod(copy.c_str(), nullptr);
    return !(errno == ERANGE && std::isinf(v));
}

bool read_number(std::string_view s, std::size_t& i, std::size_t min_digits, std::size_t max_digits, int& value) {
    const std::size_t start = i;
    value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < max_digits) {
        value = value * 10 + (s[i] - '0');
        ++i;
    }
    return i - start >= min_digits;
}

// yaml.v2 parseTimestamp: "2006-1-2", "2006-1-2 15:4:5.9", "2006-1-2T15:4:5.9Z07:00".
bool is_yaml_timestamp(std::string_view s) {
    std::size_t i = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    if (!read_number(s, i, 4, 4, year) || i >= s.size() || s[i] != '-') {
        return false;
    }
    ++i;
    if (!read_number(s, i, 1, 2, month) || i >= s.size() || s[i] != '-') {
        return false;
    }
    ++i;
    if (!read_number(s, i, 1, 2, day)) {
        return false;
    }
    static constexpr std::array<int, 12> k_days = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > k_days[static_cast<std::size_t>(month - 1)]) {
        return false;
    }
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && day == 29 && !leap) {
        return false;
    }
    if (i == s.size()) {
        return true;
    }
    const char sep = s[i];
    if (sep != 'T' && sep != 't' && sep != ' ') {
        return false;
    }
    ++i;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!read_number(s, i, 1, 2, hour) || i >= s.size() || s[i] != ':') {
        return false;
    }
    ++i;
    if (!read_number(s, i, 1, 2, minute) || i >= s.size() || s[i] != ':') {
        return false;
    }
    ++i;
    if (!read_number(s, i, 1, 2, second) || hour > 23 || minute > 59 || second > 59) {
        return false;
    }
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        if (i == start) {
            return false;
        }
    }
    if (sep == ' ') {
        return i == s.size();
    }
    if (i < s.size() && s[i] == 'Z') {
        return i + 1 == s.size();
    }
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        ++i;
        int zh = 0;
        int zm = 0;
        if (!read_number(s, i, 2, 2, zh) || i >= s.size() || s[i] != ':') {
            return false;
        }
        ++i;
        return read_number(s, i, 2, 2, zm) && i == s.size() && zh <= 24 && zm <= 59;
    }
    return false;
}

// ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
bool is_base60_float(std::string_view s) {
    if (s.empty() || s.find(':') == std::string_view::npos) {
        return false;
    }
    std::size_t i = 0;
    if (s[i] == '+' || s[i] == '-') {
        ++i;
    }
    if (i >= s.size() || s[i] < '0' || s[i] > '9') {
        return false;
    }
    ++i;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_')) {
        ++i;
    }
    std::size_t groups = 0;
    while (i < s.size() && s[i] == ':') {
        ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 2) {
            ++i;
        }
        const std::size_t n = i - start;
        if (n == 0 || (n == 2 && s[start] > '5')) {
            return false;
        }
        ++groups;
    }
    if (groups == 0) {
        return false;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_')) {
            ++i;
        }
    }
    return i == s.size();
}

} // namespace

bool yaml_v2_resolves_to_non_string(std::string_view s) {
    if (is_base60_float(s)) {
        return true;
    }
    static constexpr std::array<std::string_view, 36> k_map = {
        "",     "~",   "null", "Null", "NULL", "y",    "Y",    "yes",  "Yes",  "YES",   "true",  "True",
        "TRUE", "on",  "On",   "ON",   "n",    "N",    "no",   "No",   "NO",   "false", "False", "FALSE",
        "off",  "Off", "OFF",  ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "-.inf", "+.Inf"};
    static constexpr std::array<std::string_view, 4> k_more = {"+.INF", "-.Inf", "-.INF", ""};
    if (s.empty()) {
        return true;
    }
    const char hint = s[0];
    const bool map_hint = hint == 'y' || hint == 'Y' || hint == 'n' || hint == 'N' || hint == 't' || hint == 'T'
                          || hint == 'f' || hint == 'F' || hint == 'o' || hint == 'O' || hint == '~';
    const bool digit_hint = (hint >= '0' && hint <= '9') || hint == '+' || hint == '-';
    if (!map_hint && !digit_hint && hint != '.') {
        return false;
    }
    for (const auto m : k_map) {
        if (s == m) {
            return true;
        }
    }
    for (const auto m : k_more) {
        if (!m.empty() && s == m) {
            return true;
        }
    }
    if (hint == '.') {
        return matches_yaml_float(s) && float_in_range(s);
    }
    if (!digit_hint) {
        return false;
    }
    if (is_yaml_timestamp(s)) {
        return true;
    }
    std::string plain;
    plain.reserve(s.size());
    for (const char c : s) {
        if (c != '_') {
            plain += c;
        }
    }
    if (go_parses_as_int(plain)) {
        return true;
    }
    return matches_yaml_float(plain) && float_in_range(plain);
}

Result<std::string> yaml_v2_roundtrip_string(std::string_view raw) {
    const std::string s = to_valid_utf8(raw); // Go's JSON encoder does this first
    // Characters Go's JSON encoder writes raw but libyaml's reader rejects.
    for (std::size_t i = 0; i < s.size();) {
        const Utf8Char ch = decode_utf8(s, i);
        const std::uint32_t c = ch.code;
        if (c == 0x7F || (c >= 0x80 && c <= 0x9F && c != 0x85) || c == 0xFFFE || c == 0xFFFF) {
            return input_error("yaml: control characters are not allowed");
        }
        i += ch.length;
    }
    if (s.find("\xC2\x85") == std::string::npos) {
        return s;
    }
    // A raw NEL is a line break inside the double-quoted JSON string: fold like libyaml.
    std::string out;
    std::size_t i = 0;
    auto is_nel = [&](std::size_t k) { return k + 1 < s.size() && s[k] == '\xC2' && s[k + 1] == '\x85'; };
    while (i < s.size()) {
        while (i < s.size() && s[i] != ' ' && !is_nel(i)) {
            out += s[i];
            ++i;
        }
        if (i >= s.size()) {
            break;
        }
        std::string whitespaces;
        std::string trailing_breaks;
        bool leading_blanks = false;
        while (i < s.size() && (s[i] == ' ' || is_nel(i))) {
            if (s[i] == ' ') {
                if (!leading_blanks) {
                    whitespaces += ' ';
                }
                ++i;
            } else {
                if (!leading_blanks) {
                    whitespaces.clear();
                    leading_blanks = true;
                } else {
                    trailing_breaks += '\n';
                }
                i += 2;
            }
        }
        if (leading_blanks) {
            out += trailing_breaks.empty() ? std::string(" ") : trailing_breaks;
        } else {
            out += whitespaces;
        }
    }
    return out;
}

void YamlV2Writer::put(char c) {
    m_out += c;
    ++m_column;
}

void YamlV2Writer::put_break() {
    m_out += '\n';
    m_column = 0;
}

void YamlV2Writer::write_char(std::string_view value, std::size_t& i) {
    const std::size_t w = std::max<std::size_t>(1, width(at(value, i)));
    m_out.append(value.substr(i, w));
    i += w;
    ++m_column;
}

void YamlV2Writer::write_break(std::string_view value, std::size_t& i) {
    if (value[i] == '\n') {
        put_break();
        ++i;
    } else {
        write_char(value, i);
        m_column = 0;
    }
}

void YamlV2Writer::write_indent() {
    const int indent = std::max(m_indent, 0);
    if (!m_indention || m_column > indent || (m_column == indent && !m_whitespace)) {
        put_break();
    }
    while (m_column < indent) {
        put(' ');
    }
    m_whitespace = true;
    m_indention = true;
}

void YamlV2Writer::write_indicator(std::string_view indicator,
                                   bool need_whitespace,
                                   bool is_whitespace,
                                   bool is_indention) {
    if (need_whitespace && !m_whitespace) {
        put(' ');
    }
    for (const char c : indicator) {
        put(c);
    }
    m_whitespace = is_whitespace;
    m_indention = m_indention && is_indention;
}

void YamlV2Writer::write_plain(std::string_view value, bool allow_breaks) {
    if (!m_whitespace) {
        put(' ');
    }
    bool spaces = false;
    bool breaks = false;
    for (std::size_t i = 0; i < value.size();) {
        if (is_space(value, i)) {
            if (allow_breaks && !spaces && m_column > k_best_width && !is_space(value, i + 1)) {
                write_indent();
                ++i;
            } else {
                write_char(value, i);
            }
            spaces = true;
        } else if (is_break(value, i)) {
            if (!breaks && value[i] == '\n') {
                put_break();
            }
            write_break(value, i);
            m_indention = true;
            breaks = true;
        } else {
            if (breaks) {
                write_indent();
            }
            write_char(value, i);
            m_indention = false;
            spaces = false;
            breaks = false;
        }
    }
    m_whitespace = false;
    m_indention = false;
}

void YamlV2Writer::write_single_quoted(std::string_view value, bool allow_breaks) {
    write_indicator("'", true, false, false);
    bool spaces = false;
    bool breaks = false;
    for (std::size_t i = 0; i < value.size();) {
        if (is_space(value, i)) {
            if (allow_breaks && !spaces && m_column > k_best_width && i > 0 && i < value.size() - 1
                && !is_space(value, i + 1)) {
                write_indent();
                ++i;
            } else {
                write_char(value, i);
            }
            spaces = true;
        } else if (is_break(value, i)) {
            if (!breaks && value[i] == '\n') {
                put_break();
            }
            write_break(value, i);
            m_indention = true;
            breaks = true;
        } else {
            if (breaks) {
                write_indent();
            }
            if (value[i] == '\'') {
                put('\'');
            }
            write_char(value, i);
            m_indention = false;
            spaces = false;
            breaks = false;
        }
    }
    write_indicator("'", false, false, false);
    m_whitespace = false;
    m_indention = false;
}

void YamlV2Writer::write_double_quoted(std::string_view value, bool allow_breaks) {
    write_indicator("\"", true, false, false);
    bool spaces = false;
    const bool bom = is_bom_quirk(value);
    for (std::size_t i = 0; i < value.size();) {
        if (!is_printable(value, i) || bom || is_break(value, i) || value[i] == '"' || value[i] == '\\') {
            const std::size_t w = std::max<std::size_t>(1, width(at(value, i)));
            std::uint32_t v = at(value, i);
            if (w == 2) {
                v &= 0x1FU;
            } else if (w == 3) {
                v &= 0x0FU;
            } else if (w == 4) {
                v &= 0x07U;
            }
            for (std::size_t k = 1; k < w; ++k) {
                v = (v << 6U) + (at(value, i + k) & 0x3FU);
            }
            i += w;
            put('\\');
            switch (v) {
            case 0x00:
                put('0');
                break;
            case 0x07:
                put('a');
                break;
            case 0x08:
                put('b');
                break;
            case 0x09:
                put('t');
                break;
            case 0x0A:
                put('n');
                break;
            case 0x0B:
                put('v');
                break;
            case 0x0C:
                put('f');
                break;
            case 0x0D:
                put('r');
                break;
            case 0x1B:
                put('e');
                break;
            case 0x22:
                put('"');
                break;
            case 0x5C:
                put('\\');
                break;
            case 0x85:
                put('N');
                break;
            case 0xA0:
                put('_');
                break;
            case 0x2028:
                put('L');
                break;
            case 0x2029:
                put('P');
                break;
            default: {
                int digits = 8;
                if (v <= 0xFF) {
                    put('x');
                    digits = 2;
                } else if (v <= 0xFFFF) {
                    put('u');
                    digits = 4;
                } else {
                    put('U');
                }
                for (int k = (digits - 1) * 4; k >= 0; k -= 4) {
                    const auto digit = static_cast<unsigned>((v >> static_cast<unsigned>(k)) & 0x0FU);
                    put(static_cast<char>(digit < 10 ? '0' + digit : 'A' + digit - 10));
                }
            }
            }
            spaces = false;
        } else if (is_space(value, i)) {
            if (allow_breaks && !spaces && m_column > k_best_width && i > 0 && i < value.size() - 1) {
                write_indent();
                if (is_space(value, i + 1)) {
                    put('\\');
                }
                ++i;
            } else {
                write_char(value, i);
            }
            spaces = true;
        } else {
            write_char(value, i);
            spaces = false;
        }
    }
    write_indicator("\"", false, false, false);
    m_whitespace = false;
    m_indention = false;
}

void YamlV2Writer::write_literal(std::string_view value) {
    write_indicator("|", true, false, false);
    if (is_space(value, 0) || is_break(value, 0)) {
        const std::array<char, 1> hint = {static_cast<char>('0' + k_best_indent)};
        write_indicator(std::string_view(hint.data(), 1), false, false, false);
    }
    char chomp = 0;
    if (value.empty()) {
        chomp = '-';
    } else {
        std::size_t i = value.size() - 1;
        while (i > 0 && (static_cast<unsigned char>(value[i]) & 0xC0U) == 0x80U) {
            --i;
        }
        if (!is_break(value, i)) {
            chomp = '-';
        } else if (i == 0) {
            chomp = '+';
        } else {
            --i;
            while (i > 0 && (static_cast<unsigned char>(value[i]) & 0xC0U) == 0x80U) {
                --i;
            }
            if (is_break(value, i)) {
                chomp = '+';
            }
        }
    }
    if (chomp != 0) {
        const std::array<char, 1> hint = {chomp};
        write_indicator(std::string_view(hint.data(), 1), false, false, false);
    }
    put_break();
    m_indention = true;
    m_whitespace = true;
    bool breaks = true;
    for (std::size_t i = 0; i < value.size();) {
        if (is_break(value, i)) {
            write_break(value, i);
            m_indention = true;
            breaks = true;
        } else {
            if (breaks) {
                write_indent();
            }
            write_char(value, i);
            m_indention = false;
            breaks = false;
        }
    }
}

void YamlV2Writer::write_scalar(std::string_view value, bool simple_key) {
    enum class Style { plain, single, dbl, literal };
    Style style = Style::plain;
    if (value.find('\n') != std::string_view::npos) {
        style = Style::literal;
    } else if (yaml_v2_resolves_to_non_string(value)) {
        style = Style::dbl;
    }
    const Analysis a = analyze(value);
    if (simple_key && a.multiline) {
        style = Style::dbl;
    }
    if (style == Style::plain) {
        if (!a.block_plain_allowed || (value.empty() && simple_key)) {
            style = Style::single;
        }
    }
    if (style == Style::single && !a.single_quoted_allowed) {
        style = Style::dbl;
    }
    if (style == Style::literal && (!a.block_allowed || simple_key)) {
        style = Style::dbl;
    }
    const bool allow_breaks = !simple_key;
    switch (style) {
    case Style::plain:
        write_plain(value, allow_breaks);
        break;
    case Style::single:
        write_single_quoted(value, allow_breaks);
        break;
    case Style::dbl:
        write_double_quoted(value, allow_breaks);
        break;
    case Style::literal:
        write_literal(value);
        break;
    }
}

void YamlV2Writer::key(std::string_view key, int indent) {
    m_indent = indent;
    write_indent();
    const bool simple = key.size() <= 128 && key.find('\n') == std::string_view::npos && !analyze(key).multiline;
    if (simple) {
        write_scalar(key, true);
        write_indicator(":", false, false, false);
    } else {
        write_indicator("?", true, false, true);
        m_indent = indent + k_best_indent;
        write_scalar(key, false);
        m_indent = indent;
        write_indent();
        write_indicator(":", true, false, true);
    }
    m_indent = indent + k_best_indent;
}

void YamlV2Writer::string_value(std::string_view value) { write_scalar(value, false); }

void YamlV2Writer::null_value() { write_plain("null", true); }

} // namespace image_secure
