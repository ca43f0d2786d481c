// Package names from rpm's SQLite database (rpm >= 4.16): the captured bytes are opened in
// memory (sqlite3_deserialize, read-only) and each Packages.blob is an RPM header:
// be32 index count, be32 data size, {be32 tag, type, offset, count} entries, then the data.
// SQLite lives here and nowhere else.

#include <image_secure/audit/facts.hpp>

#include <cstring>
#include <set>
#include <sqlite3.h>

namespace image_secure::audit {

namespace {

constexpr std::uint32_t k_tag_name = 1000;
constexpr std::uint32_t k_type_string = 6;

std::uint32_t be32(const unsigned char* p) {
    return (static_cast<std::uint32_t>(p[0]) << 24U) | (static_cast<std::uint32_t>(p[1]) << 16U)
           | (static_cast<std::uint32_t>(p[2]) << 8U) | p[3];
}

/// The NAME of one header blob ("" when it has none or the blob is malformed).
std::string header_name(const unsigned char* blob, std::size_t size) {
    if (size < 8) {
        return {};
    }
    const std::uint64_t count = be32(blob);
    const std::uint64_t data_size = be32(blob + 4);
    const std::uint64_t data_start = 8 + count * 16;
    if (count > 100000 || data_start + data_size > size) {
        return {};
    }
    for (std::uint64_t i = 0; i < count; ++i) {
        const unsigned char* e = blob + 8 + i * 16;
        if (be32(e) != k_tag_name || be32(e + 4) != k_type_string) {
            continue;
        }
        const std::uint64_t offset = be32(e + 8);
        if (offset >= data_size) {
            return {};
        }
        const auto* s = reinterpret_cast<const char*>(blob + data_start + offset);
        const std::size_t max = data_size - offset;
        const std::size_t len = strnlen(s, max);
        return len == max ? std::string() : std::string(s, len);
    }
    return {};
}

} // namespace

std::optional<std::vector<std::string>> rpm_sqlite_names(std::string_view bytes) {
    if (bytes.size() < 100 || bytes.substr(0, 16) != std::string_view("SQLite format 3\0", 16)) {
        return std::nullopt;
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return std::nullopt;
    }
    auto* copy = static_cast<unsigned char*>(sqlite3_malloc64(bytes.size()));
    if (copy == nullptr) {
        sqlite3_close(db);
        return std::nullopt;
    }
    std::memcpy(copy, bytes.data(), bytes.size());
    // A database in WAL mode (bytes 18/19 = 2) opens in memory only as a rollback-journal one;
    // the captured file holds what was checkpointed.
    if (copy[18] == 2 || copy[19] == 2) {
        copy[18] = 1;
        copy[19] = 1;
    }
    if (sqlite3_deserialize(db,
                            "main",
                            copy,
                            static_cast<sqlite3_int64>(bytes.size()),
                            static_cast<sqlite3_int64>(bytes.size()),
                            SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY)
        != SQLITE_OK) {
        sqlite3_close(db);
        return std::nullopt;
    }
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_stmt* stmt = nullptr;
    std::optional<std::vector<std::string>> out;
    if (sqlite3_prepare_v2(db, "SELECT blob FROM Packages", -1, &stmt, nullptr) == SQLITE_OK) {
        std::set<std::string> names;
        int rc = 0;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            const auto* blob = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, 0));
            const int size = sqlite3_column_bytes(stmt, 0);
            if (blob != nullptr && size > 0) {
                auto name = header_name(blob, static_cast<std::size_t>(size));
                if (!name.empty()) {
                    names.insert(std::move(name));
                }
            }
        }
        if (rc == SQLITE_DONE) {
            out = std::vector<std::string>(names.begin(), names.end());
        }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
}

} // namespace image_secure::audit
