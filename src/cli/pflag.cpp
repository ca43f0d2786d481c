#include "cli/pflag.hpp"

#include <image_secure/base/text.hpp>
#include <image_secure/validate/validate.hpp>

#include <CLI/CLI.hpp>

#include <map>
#include <optional>

namespace image_secure::cli {

namespace {

constexpr std::string_view k_optional_prefix = "[=";

/// The command path for error hints ("kubectl image-secure secret create").
std::string command_path(const CLI::App* app) {
    std::string path;
    for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) {
        path = a->get_parent() == nullptr ? "kubectl image-secure" + path : " " + a->get_name() + path;
    }
    return path;
}

Error flag_error(const CLI::App* app, const std::string& what) {
    return usage_error(what, "see '" + command_path(app) + " --help'");
}

/// An option of `app` or of one of its parents (CLI11 lets parents' options fall through).
CLI::Option* find_option(CLI::App* app, const std::string& name) {
    for (CLI::App* a = app; a != nullptr; a = a->get_parent()) {
        if (CLI::Option* o = a->get_option_no_throw(name); o != nullptr && o->nonpositional()) {
            return o;
        }
    }
    return nullptr;
}

CLI::App* find_subcommand(CLI::App* app, const std::string& name) {
    for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
        if (sub->check_name(name)) {
            return sub;
        }
    }
    return nullptr;
}

bool is_flag(const CLI::Option* o) { return o->get_items_expected_max() == 0; }

/// The value of a bare optional-value option, or nullopt for an ordinary one.
std::optional<std::string> bare_value(const CLI::Option* o) {
    const std::string type = o->get_type_name(); // CLI11 appends validators: "[=always]:{auto,always,never}"
    const auto close = type.find(']');
    if (type.compare(0, k_optional_prefix.size(), k_optional_prefix) == 0 && close != std::string::npos) {
        return type.substr(2, close - 2);
    }
    return std::nullopt;
}

std::string canonical_name(const CLI::Option* o) {
    if (!o->get_lnames().empty()) {
        return "--" + o->get_lnames().front();
    }
    return "-" + o->get_snames().front();
}

/// kubectl's create commands take their NAME from the arguments before "--" only.
bool names_before_dash(CLI::App* app) {
    const auto options = app->get_options([](CLI::Option* o) { return o->get_positional(); });
    return options.size() == 1 && options.front()->get_name() == "NAME";
}

/// cobra's "unknown command" with its "Did you mean this?" (edit distance at most 2).
Error unknown_command(const CLI::App* app, const std::string& word) {
    std::vector<std::string> names;
    for (const CLI::App* sub : const_cast<CLI::App*>(app)->get_subcommands([](CLI::App*) { return true; })) {
        names.push_back(sub->get_name());
    }
    std::vector<std::string_view> views(names.begin(), names.end());
    std::string hint = did_you_mean(word, views);
    if (hint.empty()) {
        for (const auto& n : names) { // a prefix ("val") names one command
            if (!word.empty() && n.rfind(word, 0) == 0) {
                hint = hint.empty() ? n : std::string();
            }
        }
    }
    return flag_error(app,
                      "unknown command \"" + printable(word, 64) + "\" for \"" + command_path(app) + "\""
                          + (hint.empty() ? std::string() : "; did you mean \"" + hint + "\"?"));
}

struct Normalizer {
    CLI::App* app;
    const std::vector<std::string>& args;
    std::size_t next = 0;
    std::vector<std::string> out;
    std::map<CLI::App*, int> positionals;

    /// One option occurrence: `value` is set when given with '=' or attached (-nns).
    Result<Ok> emit(const CLI::Option* o, const std::string& spelled, std::optional<std::string> value) {
        const std::string name = canonical_name(o);
        if (name == "--help" || name == "-h") {
            out.push_back(name);
            return Ok{};
        }
        if (is_flag(o)) {
            bool on = true;
            if (value) {
                auto parsed = parse_go_bool(*value);
                if (!parsed) {
                    return flag_error(app,
                                      "invalid argument \"" + *value + "\" for \"" + spelled
                                          + "\" flag: " + parsed.error().what);
                }
                on = *parsed;
            }
            out.push_back(name + (on ? "=true" : "=false"));
            return Ok{};
        }
        if (!value) {
            if (auto bare = bare_value(o)) {
                value = *bare;
            } else if (next < args.size()) {
                value = args[next++]; // pflag takes the next argument whatever it looks like
            } else {
                return flag_error(app, "flag needs an argument: " + spelled);
            }
        }
        out.push_back(name);
        out.push_back(*value);
        return Ok{};
    }

    Result<Ok> long_option(const std::string& arg) {
        const std::string body = arg.substr(2);
        if (body.empty() || body.front() == '-' || body.front() == '=') {
            return flag_error(app, "bad flag syntax: " + arg);
        }
        const auto eq = body.find('=');
        const std::string name = body.substr(0, eq);
        const CLI::Option* o = find_option(app, "--" + name);
        if (o == nullptr) {
            if (name == "help") {
                out.push_back("--help");
                return Ok{};
            }
            return flag_error(app, "unknown flag: --" + name);
        }
        std::optional<std::string> value;
        if (eq != std::string::npos) {
            value = body.substr(eq + 1);
        }
        return emit(o, "--" + name, value);
    }

    Result<Ok> short_options(const std::string& arg) {
        std::string shorts = arg.substr(1);
        while (!shorts.empty()) {
            const std::string letter(1, shorts.front());
            const CLI::Option* o = find_option(app, "-" + letter);
            if (o == nullptr) {
                if (letter == "h") {
                    out.push_back("--help");
                    shorts.erase(0, 1);
                    continue;
                }
                return flag_error(app, "unknown shorthand flag: '" + letter + "' in " + arg);
            }
            std::optional<std::string> value;
            if (shorts.size() > 2 && shorts[1] == '=') {
                value = shorts.substr(2); // -n=ns
                shorts.clear();
            } else if (!is_flag(o) && !bare_value(o) && shorts.size() > 1) {
                value = shorts.substr(1); // -nns
                shorts.clear();
            } else {
                shorts.erase(0, 1);
            }
            if (auto r = emit(o, "-" + letter, value); !r) {
                return r;
            }
        }
        return Ok{};
    }

    Result<std::vector<std::string>> run() {
        while (next < args.size()) {
            const std::string& arg = args[next++];
            if (arg == "--") {
                if (names_before_dash(app)) {
                    break; // kubectl counts a NAME only before "--" (NameFromCommandArgs)
                }
                out.push_back(arg);
                out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(next), args.end());
                positionals[app] += static_cast<int>(args.size() - next);
                break;
            }
            if (arg.size() > 1 && arg[0] == '-') {
                auto r = arg[1] == '-' ? long_option(arg) : short_options(arg);
                if (!r) {
                    return r.error();
                }
                continue;
            }
            if (CLI::App* sub = find_subcommand(app, arg)) {
                app = sub;
            } else if (app->get_require_subcommand_min() > 0 && positionals[app] == 0) {
                return unknown_command(app, arg);
            } else {
                ++positionals[app];
            }
            out.push_back(arg);
        }
        // Each command has one positional option: let it take exactly the values given, one
        // by one, so that CLI11 neither splits brackets nor asks for more.
        for (const auto& [cmd, count] : positionals) {
            auto options = cmd->get_options([](CLI::Option* o) { return o->get_positional(); });
            if (options.size() == 1 && count > 0) {
                options.front()->expected(count, count);
            }
        }
        return std::move(out);
    }
};

} // namespace

CLI::Option* optional_value(CLI::Option* option, const std::string& bare) {
    option->type_name(std::string(k_optional_prefix) + bare + "]");
    return option;
}

void literal_values(CLI::App& app) {
    for (CLI::Option* o : app.get_options()) {
        o->allow_extra_args(false);
    }
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        literal_values(*sub);
    }
}

Result<bool> parse_go_bool(const std::string& text) {
    if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" || text == "True") {
        return true;
    }
    if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" || text == "False") {
        return false;
    }
    return usage_error("strconv.ParseBool: parsing \"" + text + "\": invalid syntax");
}

Result<std::vector<std::string>>
normalize_argv(CLI::App& app, const std::vector<std::string>& args, std::string* command) {
    Normalizer n{&app, args, 0, {}, {}};
    auto out = n.run();
    if (command != nullptr) {
        *command = command_path(n.app);
    }
    return out;
}

} // namespace image_secure::cli
