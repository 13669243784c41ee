#include "server/options/cli_parser.hpp"

#include <fmt/format.h>

#include <optional>

#include "server/options/entry_values.hpp"

namespace gantry::server {
namespace {

std::string dashed(std::string_view name) {
    return fmt::format("{}{}", name.size() == 1 ? "-" : "--", name);
}

std::string unknown(std::string_view name) {
    if (const std::string_view instead = unsupported_uwsgi_option(name); !instead.empty()) {
        return fmt::format("{}: a uWSGI option gantry does not have: {}", dashed(name), instead);
    }
    return unknown_option_message(name, name.size() == 1 ? "-" : "--");
}

// The config-file option a bare argument stands for, by its extension.
std::string_view config_option_for(std::string_view arg) {
    if (arg.ends_with(".ini")) {
        return "ini";
    }
    if (arg.ends_with(".yaml") || arg.ends_with(".yml")) {
        return "yaml";
    }
    if (arg.ends_with(".json") || arg.ends_with(".js")) {
        return "json";
    }
    return {};
}

}  // namespace

std::vector<assignment> parse_command_line(int argc, const char* const* argv,
                                           config_problems& problems) {
    std::vector<assignment> out;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.size() < 2 || arg[0] != '-' || arg == "--") {
            if (const std::string_view as = config_option_for(arg); !as.empty()) {
                out.push_back({find_option(as), std::string(arg), std::string(arg)});
                continue;
            }
            problems.add(fmt::format(
                "unexpected argument '{}' (options start with --; config files end in .ini, "
                ".yaml or .json)",
                arg));
            continue;
        }
        std::string_view name = arg.substr(arg[1] == '-' ? 2 : 1);
        std::optional<std::string_view> inline_value;
        if (const auto eq = name.find('='); eq != std::string_view::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const option_def* def = find_option(name);
        if (def == nullptr) {
            problems.add(unknown(name));
            // Its value, if it had one, is no stray argument of its own.
            if (!inline_value && i + 1 < argc && argv[i + 1][0] != '-' &&
                config_option_for(argv[i + 1]).empty()) {
                ++i;
            }
            continue;
        }
        const std::string origin = dashed(name);
        if (def->type == value_type::flag) {
            if (inline_value) {
                problems.add(fmt::format("{}: takes no value", origin));
                continue;
            }
            out.push_back({def, "true", origin});
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= argc) {
                problems.add(fmt::format("{}: expected a value", origin));
                break;
            }
            inline_value = argv[++i];
        }
        out.push_back({def, std::string(*inline_value), origin});
    }
    return out;
}

}  // namespace gantry::server
