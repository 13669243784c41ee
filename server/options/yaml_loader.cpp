#include "server/options/yaml_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "server/options/config_file.hpp"
#include "server/options/option_values.hpp"
#include "server/util/config_error.hpp"

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

field_list fields_of(const YAML::Node& item, const std::string& origin) {
    field_list fields;
    for (const auto& entry : item) {
        if (!entry.second.IsScalar()) {
            throw config_error(
                fmt::format("{}: '{}' must be a plain value", origin, entry.first.Scalar()));
        }
        try {
            fields.emplace_back(entry.first.Scalar(), expand_environment(entry.second.Scalar()));
        } catch (const std::invalid_argument& e) {
            throw config_error(fmt::format("{}: {}: {}", origin, entry.first.Scalar(), e.what()));
        }
    }
    return fields;
}

void add(std::vector<assignment>& out, const config_file& file, const option_def& def,
         const YAML::Node& node, const std::string& origin) {
    if (auto a = file.value(def, node.Scalar(), origin)) {
        out.push_back(std::move(*a));
    }
}

// A scalar, or for a repeatable option a list (of scalars, or of mappings for cron).
void add_values(std::vector<assignment>& out, const config_file& file, const option_def& def,
                const YAML::Node& value, const std::string& path, const std::string& key) {
    const std::string origin = fmt::format("{}: {}", where(path, value), key);
    if (value.IsScalar()) {
        add(out, file, def, value, origin);
        return;
    }
    if (!value.IsSequence() || !def.repeatable) {
        throw config_error(
            fmt::format("{}: expected {}", origin,
                        def.repeatable ? "a value or a list of values" : "a single value"));
    }
    for (const YAML::Node& item : value) {
        const std::string item_origin = fmt::format("{}: {}", where(path, item), key);
        if (item.IsMap() && def.store_fields) {
            out.push_back({&def, {}, item_origin, fields_of(item, item_origin)});
        } else if (item.IsScalar()) {
            add(out, file, def, item, item_origin);
        } else {
            throw config_error(fmt::format("{}: expected a list of plain values", origin));
        }
    }
}

config_error parse_error(const std::string& path, const YAML::ParserException& e) {
    return config_error(
        fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
}

std::vector<assignment> load_document(const YAML::Node& doc, const std::string& path) {
    config_file file(path);
    std::vector<assignment> out;
    for (const auto& entry : top_level(path, doc)) {
        const std::string key = entry.first.Scalar();
        if (const option_def* def = file.lookup(key, where(path, entry.first))) {
            add_values(out, file, *def, entry.second, path, key);
        }
    }
    file.finish();
    return out;
}

}  // namespace

std::vector<assignment> load_yaml(const std::string& path) {
    YAML::Node doc;
    try {
        doc = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        throw config_error(fmt::format("--yaml {}: cannot read the file", path));
    } catch (const YAML::ParserException& e) {
        throw parse_error(path, e);
    }
    return load_document(doc, path);
}

std::vector<assignment> load_yaml_text(const std::string& text, const std::string& path) {
    YAML::Node doc;
    try {
        doc = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        throw parse_error(path, e);
    }
    return load_document(doc, path);
}

}  // namespace gantry::server
