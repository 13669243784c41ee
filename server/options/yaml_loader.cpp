#include "server/options/yaml_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>
#include <filesystem>

#include "server/options/config_error.hpp"

namespace gantry::server {
namespace {

std::string where(const std::string& path, const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    return fmt::format("{}:{}:{}", path, mark.line + 1, mark.column + 1);
}

YAML::Node top_level(const std::string& path, const YAML::Node& doc) {
    if (doc.IsMap()) {
        for (const char* key : {"gantry", "uwsgi"}) {
            if (doc[key]) {
                if (!doc[key].IsMap()) {
                    throw config_error(fmt::format("{}: '{}' must be a mapping of options",
                                                   where(path, doc[key]), key));
                }
                return doc[key];
            }
        }
    }
    throw config_error(fmt::format("{}: expected a top-level 'gantry:' mapping", path));
}

// Relative paths in a file mean "next to this file", wherever gantry was started from.
std::string resolve(const option_def& def, const std::string& value,
                    const std::filesystem::path& base) {
    if (def.type != value_type::path || value.empty() || value.front() == '/') {
        return value;
    }
    return (base / value).lexically_normal().string();
}

// An error in a list item names the item's own line.
std::string where_item(const std::string& origin, const YAML::Node& item) {
    const auto colon = origin.rfind(": ");
    const auto file_end = origin.rfind(':', origin.rfind(':', colon - 1) - 1);
    return fmt::format("{}:{}:{}{}", origin.substr(0, file_end), item.Mark().line + 1,
                       item.Mark().column + 1, origin.substr(colon));
}

field_list fields_of(const YAML::Node& item, const std::string& origin) {
    field_list fields;
    for (const auto& entry : item) {
        if (!entry.second.IsScalar()) {
            throw config_error(
                fmt::format("{}: '{}' must be a plain value", origin, entry.first.Scalar()));
        }
        fields.emplace_back(entry.first.Scalar(), entry.second.Scalar());
    }
    return fields;
}

void add_values(std::vector<assignment>& out, const option_def& def, const YAML::Node& value,
                const std::string& origin, const std::filesystem::path& base) {
    if (value.IsScalar()) {
        out.push_back({&def, resolve(def, value.Scalar(), base), origin});
        return;
    }
    if (value.IsSequence() && def.repeatable) {
        for (const YAML::Node& item : value) {
            if (item.IsMap() && def.store_fields) {
                out.push_back({&def, {}, where_item(origin, item), fields_of(item, origin)});
                continue;
            }
            if (!item.IsScalar()) {
                throw config_error(fmt::format("{}: expected a list of plain values", origin));
            }
            out.push_back({&def, resolve(def, item.Scalar(), base), origin});
        }
        return;
    }
    throw config_error(
        fmt::format("{}: expected {}", origin,
                    def.repeatable ? "a value or a list of values" : "a single value"));
}

}  // namespace

std::vector<assignment> load_yaml(const std::string& path) {
    YAML::Node doc;
    try {
        doc = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        throw config_error(fmt::format("--yaml {}: cannot read the file", path));
    } catch (const YAML::ParserException& e) {
        throw config_error(
            fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    const std::filesystem::path base =
        std::filesystem::absolute(std::filesystem::path(path)).parent_path();
    std::vector<assignment> out;
    for (const auto& entry : top_level(path, doc)) {
        const std::string key = entry.first.Scalar();
        const option_def* def = find_option(key);
        if (def == nullptr || def->name == "yaml") {
            const std::string near = suggest_option(key);
            throw config_error(
                fmt::format("{}: unknown option '{}'{}", where(path, entry.first), key,
                            near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near)));
        }
        const std::string origin = fmt::format("{}: {}", where(path, entry.second), key);
        if (def->type == value_type::flag) {
            if (!entry.second.IsScalar() ||
                (entry.second.Scalar() != "true" && entry.second.Scalar() != "false")) {
                throw config_error(fmt::format("{}: expected true or false", origin));
            }
            if (entry.second.Scalar() == "true") {
                out.push_back({def, "true", origin});
            }
            continue;
        }
        add_values(out, *def, entry.second, origin, base);
    }
    return out;
}

}  // namespace gantry::server
