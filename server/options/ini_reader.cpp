#include "server/options/ini_reader.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <sstream>

namespace gantry::server {
namespace {

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    return std::string(s.substr(first, s.find_last_not_of(" \t\r") - first + 1));
}

}  // namespace

std::vector<config_entry> ini_entries(const std::string& text, const std::string& path,
                                      std::string_view section, bool& found) {
    namespace fs = std::filesystem;
    const std::string folder = fs::absolute(path).parent_path().string();
    std::vector<config_entry> out;
    std::istringstream in(text);
    std::string current;
    std::string line;
    found = false;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == ';' || t[0] == '#') {
            continue;
        }
        if (t[0] == '[') {
            current = trim(
                t.substr(1, t.find(']') == std::string::npos ? t.size() - 1 : t.find(']') - 1));
            continue;
        }
        const bool wanted =
            section.empty() ? current == "uwsgi" || current == "gantry" : current == section;
        if (!wanted) {
            continue;
        }
        found = true;
        const auto eq = t.find('=');
        out.push_back({.key = trim(t.substr(0, eq)),
                       .value = eq == std::string::npos ? std::string() : trim(t.substr(eq + 1)),
                       .origin = fmt::format("{}:{}", path, number),
                       .style = current == "gantry" ? entry_style::gantry : entry_style::uwsgi,
                       .folder = folder});
    }
    // A file holding only a section header still "has" the section.
    if (!found) {
        std::istringstream again(text);
        while (std::getline(again, line)) {
            const std::string t = trim(line);
            if (t.starts_with('[')) {
                const std::string name = trim(t.substr(1, t.find(']') - 1));
                found |= section.empty() ? name == "uwsgi" || name == "gantry" : name == section;
            }
        }
    }
    return out;
}

}  // namespace gantry::server
