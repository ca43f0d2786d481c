#include <image_secure/base/json_records.hpp>

#include <algorithm>

namespace image_secure {

namespace {

using ordered_json = nlohmann::ordered_json;

std::string scalar(const ordered_json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write(std::string& out,
           const ordered_json& value,
           std::size_t indent,
           std::initializer_list<std::string_view> expanded) {
    if (value.is_object()) {
        out += '{';
        bool first = true;
        for (auto it = value.begin(); it != value.end(); ++it) {
            out += first ? "" : ", ";
            first = false;
            out += scalar(ordered_json(it.key()));
            out += ": ";
            const bool one_per_line =
                it->is_array() && std::find(expanded.begin(), expanded.end(), it.key()) != expanded.end();
            if (one_per_line && !it->empty()) {
                out += '[';
                for (std::size_t i = 0; i < it->size(); ++i) {
                    out += i == 0 ? "\n" : ",\n";
                    out.append(indent + 2, ' ');
                    write(out, (*it)[i], indent + 2, expanded);
                }
                out += '\n';
                out.append(indent, ' ');
                out += ']';
            } else {
                write(out, *it, indent, expanded);
            }
        }
        out += '}';
    } else if (value.is_array()) {
        out += '[';
        for (std::size_t i = 0; i < value.size(); ++i) {
            out += i == 0 ? "" : ", ";
            write(out, value[i], indent, expanded);
        }
        out += ']';
    } else {
        out += scalar(value);
    }
}

} // namespace

std::string render_json_records(const ordered_json& records, std::initializer_list<std::string_view> expanded) {
    if (records.empty()) {
        return "[]\n";
    }
    std::string out = "[";
    for (std::size_t i = 0; i < records.size(); ++i) {
        out += i == 0 ? "\n  " : ",\n  ";
        write(out, records[i], 2, expanded);
    }
    out += "\n]\n";
    return out;
}

} // namespace image_secure
