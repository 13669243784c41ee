#include "server/options/config_file.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "server/options/option_values.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server {
namespace {

bool command_line_only(const option_def& d) {
    return d.name == "yaml" || d.name == "ini" || d.name == "help" || d.name == "version" ||
           d.name == "check-config" || d.name == "print-config";
}

}  // namespace

config_file::config_file(const std::string& path)
    : path_(path), folder_(std::filesystem::absolute(std::filesystem::path(path)).parent_path()) {}

const option_def* config_file::lookup(const std::string& key, const std::string& where,
                                      bool placeholder) {
    const option_def* def = find_option(key);
    if (def != nullptr && command_line_only(*def)) {
        throw config_error(fmt::format("{}: '{}' works on the command line only", where, key));
    }
    if (def != nullptr) {
        return def;
    }
    if (const std::string_view instead = unsupported_uwsgi_option(key); !instead.empty()) {
        unsupported_.push_back(fmt::format("{} ({}: {})", key, where, instead));
        return nullptr;
    }
    if (placeholder) {
        return nullptr;
    }
    const std::string near = suggest_option(key);
    throw config_error(fmt::format("{}: unknown option '{}'{}", where, key,
                                   near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near)));
}

std::optional<assignment> config_file::value(const option_def& def, const std::string& text,
                                             const std::string& origin) const {
    std::string v;
    try {
        v = expand_environment(text);
        if (def.type == value_type::flag) {
            if (!parse_bool(v)) {
                return std::nullopt;
            }
            v = "true";
        }
    } catch (const std::invalid_argument& e) {
        throw config_error(fmt::format("{}: {}, got '{}'", origin, e.what(), text));
    }
    // Relative paths mean "next to this file", wherever gantry was started from.
    if (def.type == value_type::path && !v.empty() && v.front() != '/') {
        v = (folder_ / v).lexically_normal().string();
    }
    return assignment{&def, v, origin};
}

void config_file::finish() const {
    if (unsupported_.empty()) {
        return;
    }
    std::string list;
    for (const std::string& u : unsupported_) {
        list += "\n  " + u;
    }
    throw config_error(fmt::format("{}: uWSGI options gantry does not have:{}", path_, list));
}

}  // namespace gantry::server
