#pragma once

// Command lines parsed the way kubectl parses them (spf13/pflag), in front of CLI11.
//
// CLI11 and pflag disagree on shapes users type every day: `--flag=` (pflag: an empty
// value; CLI11: take the next argument), `-n=ns` and `-nns` (pflag: "ns"), `[a,b]` (pflag:
// a literal; CLI11: two values), `--bool=yes` (pflag: an error). `normalize_argv` reads the
// command line with pflag's rules against the options registered on the CLI11 tree and
// returns an unambiguous one (`--long` `value` pairs, flags as `--long=true|false`) that
// CLI11 reads exactly as pflag would have.

#include <image_secure/base/result.hpp>

#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace image_secure::cli {

/// Marks a value option as pflag's "optional value" (NoOptDefVal): `--name` alone means
/// `--name=<bare>`, and a value must be attached with `=`. Shown in help as `[=<bare>]`.
/// (CLI11 appends its validators to the type name this mark lives in.)
CLI::Option* optional_value(CLI::Option* option, const std::string& bare);

/// Makes every option of `app` and its subcommands take one value per occurrence and keep
/// brackets literal (CLI11 would split `[a,b]`).
void literal_values(CLI::App& app);

/// argv[1..] read with pflag's rules; the result is what CLI11 should parse. A usage Error
/// names the subcommand whose help to see.
/// `command` (if given) receives the command path reached ("kubectl image-secure secret
/// create"), for "see '… --help'" hints. An unknown subcommand is an error with a suggestion.
[[nodiscard]] Result<std::vector<std::string>>
normalize_argv(CLI::App& app, const std::vector<std::string>& args, std::string* command = nullptr);

/// Go's strconv.ParseBool.
[[nodiscard]] Result<bool> parse_go_bool(const std::string& text);

} // namespace image_secure::cli
