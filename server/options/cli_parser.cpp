#include "server/options/cli_parser.hpp"

#include <fmt/format.h>
#include <optional>

#include "server/util/config_error.hpp"

namespace gantry::server {
namespace {

std::string dashed(std::string_view name) {
    return fmt::format("{}{}", name.size() == 1 ? "-" : "--", name);
}

[[noreturn]] void unknown(std::string_view name) {
    if (const std::string_view instead = unsupported_uwsgi_option(name); !instead.empty()) {
        throw config_error(
            fmt::format("{}: a uWSGI option gantry does not have: {}", dashed(name), instead));
    }
    const std::string near = suggest_option(name);
    throw config_error(near.empty() ? fmt::format("unknown option '{}'", dashed(name))
                                    : fmt::format("unknown option '{}' (did you mean '{}'?)",
                                                  dashed(name), dashed(near)));
}

}  // namespace

std::vector<assignment> parse_command_line(int argc, const char* const* argv) {
    std::vector<assignment> out;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.size() < 2 || arg[0] != '-' || arg == "--") {
            throw config_error(
                fmt::format("unexpected argument '{}' (options start with --)", arg));
        }
        std::string_view name = arg.substr(arg[1] == '-' ? 2 : 1);
        std::optional<std::string_view> inline_value;
        if (const auto eq = name.find('='); eq != std::string_view::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const option_def* def = find_option(name);
        if (def == nullptr) {
            unknown(name);
        }
        const std::string origin = dashed(name);
        if (def->type == value_type::flag) {
            if (inline_value) {
                throw config_error(fmt::format("{}: takes no value", origin));
            }
            out.push_back({def, "true", origin});
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= argc) {
                throw config_error(fmt::format("{}: expected a value", origin));
            }
            inline_value = argv[++i];
        }
        out.push_back({def, std::string(*inline_value), origin});
    }
    return out;
}

}  // namespace gantry::server
