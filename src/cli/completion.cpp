// Shell completion through kubectl (>= 1.26): kubectl runs `kubectl_complete-image_secure`
// with the words after the plugin name, the last one being the word to complete, and reads
// Cobra's protocol back. The candidates come from the same CLI11 tree the parser uses.
#include "cli/app.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

namespace image_secure::cli {

namespace {

// Cobra ShellCompDirective values.
constexpr int k_default = 0; // files
constexpr int k_no_file = 4;

/// Options whose values are paths: offer files.
bool takes_path(const CLI::Option* opt) {
    static constexpr std::string_view k_path_options[] = {
        "filename", "rules", "policy", "password-file", "docker-config", "ca-file", "certs-dir", "from-file"};
    for (const auto& name : opt->get_lnames()) {
        if (std::find(std::begin(k_path_options), std::end(k_path_options), name) != std::end(k_path_options)) {
            return true;
        }
    }
    return false;
}

/// The choices of an option checked with CLI::IsMember ("{a,b,c}" in its description).
std::vector<std::string> choices_of(CLI::Option* opt) {
    std::vector<std::string> out;
    try {
        const std::string d = opt->get_validator()->get_description();
        const auto open = d.find('{');
        const auto close = d.find('}', open);
        if (open == std::string::npos || close == std::string::npos) {
            return out;
        }
        std::string_view list(d.data() + open + 1, close - open - 1);
        while (!list.empty()) {
            const auto comma = list.find(',');
            out.emplace_back(list.substr(0, comma));
            if (comma == std::string_view::npos) {
                break;
            }
            list.remove_prefix(comma + 1);
        }
    } catch (const CLI::OptionNotFound&) {
    }
    return out;
}

CLI::Option* find_option(CLI::App* app, std::string_view word) {
    const std::string name(word.substr(0, word.find('=')));
    for (CLI::App* level = app; level != nullptr; level = level->get_parent()) {
        for (CLI::Option* opt : level->get_options()) {
            if (opt->nonpositional() && opt->check_name(name)) {
                return opt;
            }
        }
    }
    return nullptr;
}

bool needs_value(const CLI::Option* opt) { return opt->get_type_size_max() > 0 && opt->get_expected_min() > 0; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

} // namespace

int complete(const std::vector<std::string>& args, Io& io) {
    CLI::App app{"", "kubectl image-secure"};
    Action action;
    build_app(app, action);
    const std::string partial = args.empty() ? std::string() : args.back();
    CLI::App* current = &app;
    CLI::Option* pending = nullptr; // an option whose value is the word being completed
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        const std::string& word = args[i];
        pending = nullptr;
        if (word == "--") {
            break;
        }
        if (word.size() > 1 && word[0] == '-') {
            CLI::Option* opt = find_option(current, word);
            if (opt != nullptr && needs_value(opt) && word.find('=') == std::string::npos) {
                if (i + 2 == args.size()) {
                    pending = opt;
                } else {
                    ++i; // skip its value
                }
            }
            continue;
        }
        for (CLI::App* sub : current->get_subcommands([](CLI::App*) { return true; })) {
            if (sub->get_name() == word) {
                current = sub;
                break;
            }
        }
    }
    std::vector<std::pair<std::string, std::string>> candidates;
    int directive = k_no_file;
    const auto offer = [&](const std::string& value, const std::string& description) {
        if (value.rfind(partial, 0) == 0) { // kubectl does not filter: the helper must
            candidates.emplace_back(value, first_line(description));
        }
    };
    std::string prefix;
    if (pending == nullptr && partial.rfind("--", 0) == 0 && partial.find('=') != std::string::npos) {
        pending = find_option(current, partial); // --output=js<TAB>
        prefix = partial.substr(0, partial.find('=') + 1);
    }
    if (pending != nullptr) {
        if (takes_path(pending)) {
            directive = k_default;
        }
        for (const auto& choice : choices_of(pending)) {
            if ((prefix + choice).rfind(partial, 0) == 0) {
                candidates.emplace_back(prefix + choice, "");
            }
        }
    } else if (!partial.empty() && partial[0] == '-') {
        for (CLI::App* level = current; level != nullptr; level = level->get_parent()) {
            for (CLI::Option* opt : level->get_options()) {
                if (!opt->nonpositional()) {
                    continue;
                }
                for (const auto& name : opt->get_lnames()) {
                    offer("--" + name, opt->get_description());
                }
                for (const auto& name : opt->get_snames()) {
                    offer("-" + name, opt->get_description());
                }
            }
            if (level == current && level->get_parent() != nullptr) {
                break; // parents' options other than --help do not apply after a subcommand
            }
        }
    } else {
        for (CLI::App* sub : current->get_subcommands([](CLI::App*) { return true; })) {
            offer(sub->get_name(), sub->get_description());
        }
        const bool positional = !current->get_options([](CLI::Option* o) { return !o->nonpositional(); }).empty();
        if (candidates.empty() && positional) {
            directive = k_default; // a positional argument: files and words are fine
        }
    }
    for (const auto& [value, description] : candidates) {
        io.out << value;
        if (!description.empty()) {
            io.out << '\t' << description;
        }
        io.out << '\n';
    }
    io.out << ':' << directive << '\n';
    io.out.flush();
    return 0;
}

} // namespace image_secure::cli
