// The tar walker. Header layout (offsets in the 512-byte block): name 0/100, mode 100/8,
// size 124/12, chksum 148/8, typeflag 156, linkname 157/100, magic 257/6, version 263/2,
// prefix 345/155 (POSIX ustar only), GNU sparse: isextended 482, realsize 483/12.

#include <image_secure/base/text.hpp>
#include <image_secure/layer/tar.hpp>

#include <algorithm>
#include <cstring>

namespace image_secure::layer {

namespace {

constexpr std::size_t k_block = 512;

std::string_view field(const std::string& block, std::size_t offset, std::size_t length) {
    std::string_view f(block.data() + offset, length);
    const auto nul = f.find('\0');
    return nul == std::string_view::npos ? f : f.substr(0, nul);
}

/// Octal text, or base-256 when the first byte has bit 0x80; nullopt when malformed.
std::optional<std::int64_t> number(const std::string& block, std::size_t offset, std::size_t length) {
    const auto* p = reinterpret_cast<const unsigned char*>(block.data() + offset);
    if ((p[0] & 0x80U) != 0) {
        if (p[0] == 0xff) {
            return std::nullopt; // negative
        }
        std::uint64_t v = p[0] & 0x7fU;
        for (std::size_t i = 1; i < length; ++i) {
            if (v > (UINT64_MAX >> 9U)) {
                return std::nullopt;
            }
            v = (v << 8U) | p[i];
        }
        if (v > static_cast<std::uint64_t>(INT64_MAX)) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(v);
    }
    std::size_t i = 0;
    while (i < length && (p[i] == ' ' || p[i] == '\0')) {
        ++i;
    }
    std::int64_t v = 0;
    bool any = false;
    for (; i < length && p[i] >= '0' && p[i] <= '7'; ++i) {
        if (v > (INT64_MAX >> 3)) {
            return std::nullopt;
        }
        v = v * 8 + (p[i] - '0');
        any = true;
    }
    for (; i < length; ++i) {
        if (p[i] != ' ' && p[i] != '\0') {
            return std::nullopt;
        }
    }
    return any ? v : 0;
}

bool checksum_ok(const std::string& block) {
    const auto want = number(block, 148, 8);
    if (!want) {
        return false;
    }
    std::int64_t unsigned_sum = 0;
    std::int64_t signed_sum = 0;
    for (std::size_t i = 0; i < k_block; ++i) {
        const bool in_field = i >= 148 && i < 156;
        const auto u = in_field ? static_cast<unsigned char>(' ') : static_cast<unsigned char>(block[i]);
        const auto s = in_field ? static_cast<signed char>(' ') : static_cast<signed char>(block[i]);
        unsigned_sum += u;
        signed_sum += s;
    }
    return *want == unsigned_sum || *want == signed_sum;
}

/// Bytes of padding after a payload of `size` bytes.
std::int64_t padding(std::int64_t size) {
    constexpr auto block = static_cast<std::int64_t>(k_block);
    return (block - (size % block)) % block;
}

bool all_zero(const std::string& block) {
    return std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; });
}

/// PAX records: "LEN key=value\n"...; nullopt when malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> pax_records(std::string_view data) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!data.empty()) {
        const auto space = data.find(' ');
        if (space == std::string_view::npos || space == 0 || space > 20) {
            return std::nullopt;
        }
        std::size_t len = 0;
        for (const char c : data.substr(0, space)) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            len = len * 10 + static_cast<std::size_t>(c - '0');
        }
        if (len <= space + 1 || len > data.size() || data[len - 1] != '\n') {
            return std::nullopt;
        }
        const std::string_view rec = data.substr(space + 1, len - space - 2);
        const auto eq = rec.find('=');
        if (eq == std::string_view::npos) {
            return std::nullopt;
        }
        out.emplace_back(std::string(rec.substr(0, eq)), std::string(rec.substr(eq + 1)));
        data.remove_prefix(len);
    }
    return out;
}

std::optional<std::int64_t> decimal(std::string_view s) {
    if (s.empty() || s.size() > 18) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
    }
    return v;
}

} // namespace

std::optional<std::string> normalize_tar_path(std::string_view name) {
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i <= name.size()) {
        const auto slash = name.find('/', i);
        const std::string_view part =
            name.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
        if (part == "..") {
            if (parts.empty()) {
                return std::nullopt;
            }
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        if (slash == std::string_view::npos) {
            break;
        }
        i = slash + 1;
    }
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) {
            out += '/';
        }
        out += p;
    }
    return out;
}

TarWalker::TarWalker(EntryFn on_entry, CaptureFn capture, TarLimits limits)
    : m_on_entry(std::move(on_entry)), m_capture(std::move(capture)), m_limits(limits) {
    m_block.reserve(k_block);
}

std::string TarWalker::consume(std::string_view bytes) {
    while (!bytes.empty()) {
        switch (m_state) {
        case State::trailer:
            // After the end-of-archive blocks: read on (the digests cover every byte).
            m_offset += static_cast<std::int64_t>(bytes.size());
            return {};
        case State::header:
        case State::sparse_extension: {
            const std::size_t take = std::min(k_block - m_block.size(), bytes.size());
            m_block.append(bytes.substr(0, take));
            bytes.remove_prefix(take);
            m_offset += static_cast<std::int64_t>(take);
            if (m_block.size() < k_block) {
                return {};
            }
            if (m_state == State::sparse_extension) {
                if (m_block[504] == '\0') {
                    m_state = m_data_left + m_pad_left > 0 ? State::payload : State::header;
                    if (m_state == State::header) {
                        emit_pending();
                    }
                }
                m_block.clear();
                continue;
            }
            auto e = header();
            m_block.clear();
            if (!e.empty()) {
                return e;
            }
            continue;
        }
        case State::payload:
        case State::record: {
            if (m_data_left > 0) {
                const auto take = static_cast<std::size_t>(
                    std::min<std::int64_t>(m_data_left, static_cast<std::int64_t>(bytes.size())));
                if (m_state == State::record) {
                    m_record.append(bytes.substr(0, take));
                } else if (m_capturing) {
                    m_pending->content->append(bytes.substr(0, take));
                }
                m_data_left -= static_cast<std::int64_t>(take);
                m_offset += static_cast<std::int64_t>(take);
                bytes.remove_prefix(take);
                continue;
            }
            if (m_pad_left > 0) {
                const auto take = static_cast<std::size_t>(
                    std::min<std::int64_t>(m_pad_left, static_cast<std::int64_t>(bytes.size())));
                m_pad_left -= static_cast<std::int64_t>(take);
                m_offset += static_cast<std::int64_t>(take);
                bytes.remove_prefix(take);
            }
            if (m_pad_left == 0) {
                if (m_state == State::record) {
                    if (auto e = record_done(); !e.empty()) {
                        return e;
                    }
                } else {
                    emit_pending();
                }
                m_state = State::header;
            }
            continue;
        }
        }
    }
    // A member whose payload and padding are empty ends with its header.
    if (m_state == State::payload && m_data_left == 0 && m_pad_left == 0) {
        emit_pending();
        m_state = State::header;
    }
    return {};
}

std::string TarWalker::header() {
    const std::int64_t at = m_offset - static_cast<std::int64_t>(k_block);
    if (all_zero(m_block)) {
        if (++m_zero_blocks == 2) {
            m_state = State::trailer;
        }
        return {};
    }
    if (m_zero_blocks == 1) {
        m_zero_blocks = 0; // one zero block inside an archive: tolerated (GNU tar does)
    }
    if (!checksum_ok(m_block)) {
        return "invalid tar header at byte " + std::to_string(at) + " (checksum mismatch)";
    }
    const char type = m_block[156];
    const auto size = number(m_block, 124, 12);
    if (!size) {
        return "invalid tar header at byte " + std::to_string(at) + " (size field)";
    }
    std::int64_t data = *size;
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
        if (data > static_cast<std::int64_t>(m_limits.max_record)) {
            return "a tar " + std::string(type == 'x' || type == 'g' ? "PAX" : "GNU long-name") + " record of "
                   + std::to_string(data) + " bytes at byte " + std::to_string(at) + " (limit "
                   + std::to_string(m_limits.max_record) + ")";
        }
        m_record_type = type;
        m_record.clear();
        m_data_left = data;
        m_pad_left = padding(data);
        m_state = State::record;
        if (data == 0) {
            return record_done();
        }
        return {};
    }
    if (++m_members > m_limits.max_entries) {
        return "more than " + std::to_string(m_limits.max_entries) + " tar members in one layer (a tar bomb?)";
    }
    std::string name;
    if (m_next_path) {
        name = std::move(*m_next_path);
    } else {
        const std::string_view magic(m_block.data() + 257, 6);
        name = std::string(field(m_block, 0, 100));
        if (magic == std::string_view("ustar\0", 6)) {
            const auto prefix = field(m_block, 345, 155);
            if (!prefix.empty()) {
                name = std::string(prefix) + "/" + name;
            }
        }
    }
    std::string link = m_next_link ? std::move(*m_next_link) : std::string(field(m_block, 157, 100));
    if (m_next_size) {
        data = *m_next_size;
    }
    const std::optional<std::int64_t> real_size = m_real_size;
    m_next_path.reset();
    m_next_link.reset();
    m_next_size.reset();
    m_real_size.reset();
    if (name.size() > m_limits.max_path || link.size() > m_limits.max_path) {
        return "a tar member name longer than " + std::to_string(m_limits.max_path) + " bytes at byte "
               + std::to_string(at);
    }
    const auto mode = number(m_block, 100, 8).value_or(0);
    TarEntry entry;
    entry.mode = static_cast<std::uint32_t>(mode & 07777);
    entry.offset = m_offset;
    entry.sparse = type == 'S' || real_size.has_value();
    bool gnu_sparse_extended = false;
    switch (type) {
    case '1':
        entry.type = EntryType::hardlink;
        break;
    case '2':
        entry.type = EntryType::symlink;
        break;
    case '3':
    case '4':
        entry.type = EntryType::device;
        break;
    case '5':
        entry.type = EntryType::directory;
        break;
    case '6':
        entry.type = EntryType::fifo;
        break;
    case 'S':
        entry.type = EntryType::file;
        entry.size = number(m_block, 483, 12).value_or(data);
        gnu_sparse_extended = m_block[482] != '\0';
        break;
    case '0':
    case '\0':
    case '7':
        entry.type = EntryType::file;
        entry.size = real_size.value_or(data);
        break;
    default:
        entry.type = EntryType::fifo; // unknown types: skipped below
        break;
    }
    const bool known = type == '0' || type == '\0' || type == '7' || type == 'S' || (type >= '1' && type <= '6');
    m_data_left = data;
    m_pad_left = padding(data);
    m_state = gnu_sparse_extended ? State::sparse_extension : State::payload;
    m_capturing = false;
    auto normalized = normalize_tar_path(name);
    if (!normalized) {
        if (m_suspicious.size() < 100) {
            m_suspicious.push_back(printable(name, 200));
        }
    } else if (known && !normalized->empty()) {
        entry.path = std::move(*normalized);
        if (entry.type == EntryType::hardlink) {
            auto target = normalize_tar_path(link);
            if (!target || target->empty()) {
                if (m_suspicious.size() < 100) {
                    m_suspicious.push_back(printable(name + " -> " + link, 200));
                }
                return {};
            }
            entry.link = std::move(*target);
        } else if (entry.type == EntryType::symlink) {
            entry.link = std::move(link);
        }
        if (entry.type == EntryType::file && m_capture && entry.size <= m_limits.max_capture && type != 'S'
            && m_capture(entry.path)) {
            entry.content.emplace();
            entry.content->reserve(static_cast<std::size_t>(std::min<std::int64_t>(data, 1 << 20)));
            m_capturing = true;
        }
        m_pending = std::move(entry);
    }
    if (m_state == State::payload && data == 0) {
        emit_pending();
        m_state = State::header;
    }
    return {};
}

std::string TarWalker::record_done() {
    m_state = State::header;
    if (m_record_type == 'L' || m_record_type == 'K') {
        const auto nul = m_record.find('\0');
        std::string value = m_record.substr(0, nul);
        (m_record_type == 'L' ? m_next_path : m_next_link) = std::move(value);
        return {};
    }
    auto records = pax_records(m_record);
    if (!records) {
        return "a malformed PAX record before byte " + std::to_string(m_offset);
    }
    if (m_record_type == 'g') {
        return {}; // global defaults: nothing the facts read (uid/gid) — skipped
    }
    for (auto& [key, value] : *records) {
        if (key == "path") {
            m_next_path = std::move(value);
        } else if (key == "linkpath") {
            m_next_link = std::move(value);
        } else if (key == "size") {
            const auto v = decimal(value);
            if (!v) {
                return "a PAX size that is not a number before byte " + std::to_string(m_offset);
            }
            m_next_size = *v;
        } else if (key == "GNU.sparse.realsize" || key == "GNU.sparse.size") {
            if (const auto v = decimal(value)) {
                m_real_size = *v;
            }
        }
    }
    return {};
}

void TarWalker::emit_pending() {
    if (m_pending) {
        TarEntry e = std::move(*m_pending);
        m_pending.reset();
        m_capturing = false;
        m_on_entry(std::move(e));
    }
}

std::string TarWalker::finish() const {
    if (m_state == State::header && m_block.empty()) {
        return {};
    }
    if (m_state == State::trailer) {
        return {};
    }
    if (m_state == State::payload && m_data_left == 0 && m_pad_left == 0) {
        return {};
    }
    return "the tar stream is truncated (it ends inside a member, at byte " + std::to_string(m_offset) + ")";
}

} // namespace image_secure::layer
