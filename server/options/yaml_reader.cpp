#include "server/options/yaml_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <filesystem>

namespace gantry::server {
namespace {

std::string where(const std::string& path, const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    return fmt::format("{}:{}:{}", path, mark.line + 1, mark.column + 1);
}

// A scalar as uWSGI's readers give it; a YAML null (`endif:`) is an empty value.
std::string scalar(const YAML::Node& n) {
    return n.IsNull() ? std::string() : n.Scalar();
}

struct reader {
    const std::string& path;
    config_problems& problems;
    config_entry blank;
    std::vector<config_entry> out;

    // `at`: the key for a single value, the item in a list.
    void add(const std::string& key, const YAML::Node& value, const YAML::Node& at,
             bool from_list) {
        config_entry e = blank;
        e.key = key;
        e.origin = where(path, at);
        e.from_list = from_list;
        if (value.IsMap() && from_list) {
            for (const auto& field : value) {
                if (!field.second.IsScalar()) {
                    problems.add(fmt::format("{}: {}: '{}' must be a plain value", e.origin, key,
                                             field.first.Scalar()));
                    return;
                }
                e.fields.emplace_back(field.first.Scalar(), field.second.Scalar());
            }
        } else if (value.IsScalar() || value.IsNull()) {
            e.value = scalar(value);
        } else {
            problems.add(
                fmt::format("{}: {}: expected {}", e.origin, key,
                            from_list ? "a list of plain values" : "a value or a list of values"));
            return;
        }
        out.push_back(std::move(e));
    }

    void read(const YAML::Node& options) {
        for (const auto& item : options) {
            const std::string key = item.first.Scalar();
            if (item.second.IsSequence()) {
                for (const YAML::Node& v : item.second) {
                    add(key, v, v, true);
                }
            } else {
                add(key, item.second, item.first, false);
            }
        }
    }
};

}  // namespace

std::vector<config_entry> yaml_entries(const std::string& text, const std::string& path,
                                       std::string_view section, config_problems& problems,
                                       bool& found) {
    found = false;
    YAML::Node doc;
    try {
        doc = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        problems.add(fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
        found = true;  // said already: not also "no mapping"
        return {};
    }
    std::string key;
    if (doc.IsMap()) {
        for (const std::string& candidate : section.empty()
                                                ? std::vector<std::string>{"gantry", "uwsgi"}
                                                : std::vector<std::string>{std::string(section)}) {
            if (doc[candidate]) {
                key = candidate;
                break;
            }
        }
    }
    if (key.empty()) {
        return {};
    }
    found = true;
    const YAML::Node options = doc[key];
    if (options.IsNull()) {
        return {};
    }
    if (!options.IsMap()) {
        problems.add(
            fmt::format("{}: '{}' must be a mapping of options", where(path, options), key));
        return {};
    }
    reader r{path, problems, {}, {}};
    r.blank.style = key == "gantry" ? entry_style::gantry : entry_style::uwsgi;
    r.blank.references = key != "gantry";
    r.blank.folder = std::filesystem::absolute(path).parent_path().string();
    r.read(options);
    return std::move(r.out);
}

}  // namespace gantry::server
