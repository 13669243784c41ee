#include "server/options/ini_loader.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "server/options/config_file.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server {
namespace {

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// uWSGI's simple magic: %(key) is an earlier value, %d the config's folder (with a slash),
// %% a percent sign. Anything fancier is left as written.
std::string expand_magic(const std::string& v, const std::map<std::string, std::string>& seen,
                         const std::string& folder, const std::string& where) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char next = v[i] == '%' && i + 1 < v.size() ? v[i + 1] : '\0';
        if (next == 'd') {
            out += folder + "/";
            ++i;
        } else if (next == '%') {
            out += '%';
            ++i;
        } else if (next == '(') {
            const auto close = v.find(')', i);
            if (close == std::string::npos) {
                // Not a name: and going on from npos would restart the loop at 0, forever.
                throw config_error(fmt::format("{}: '%(' without a closing ')'", where));
            }
            const std::string name = v.substr(i + 2, close - i - 2);
            const auto it = seen.find(name);
            if (it == seen.end()) {
                throw config_error(fmt::format("{}: %({}) names no earlier option", where, name));
            }
            out += it->second;
            i = close;
        } else {
            out += v[i];
        }
    }
    return out;
}

}  // namespace

// Every %(name) the file uses: such keys may be placeholders of the file's own, as in
// uWSGI ("project = mysite" ... "chdir = /srv/%(project)").
std::set<std::string> placeholders(const std::string& text) {
    std::set<std::string> names;
    for (auto open = text.find("%("); open != std::string::npos; open = text.find("%(", open + 2)) {
        const auto close = text.find(')', open);
        if (close != std::string::npos) {
            names.insert(text.substr(open + 2, close - open - 2));
        }
    }
    return names;
}

std::vector<assignment> load_ini(const std::string& path) {
    std::ifstream file_in(path);
    if (!file_in) {
        throw config_error(fmt::format("--ini {}: cannot read the file", path));
    }
    const std::string whole((std::istreambuf_iterator<char>(file_in)),
                            std::istreambuf_iterator<char>());
    return load_ini_text(whole, path);
}

std::vector<assignment> load_ini_text(const std::string& contents, const std::string& path) {
    const std::set<std::string> names = placeholders(contents);
    std::istringstream in(contents);
    config_file file(path);
    std::vector<assignment> out;
    std::map<std::string, std::string> seen;
    std::string section;
    bool found_section = false;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string text = trim(line);
        const std::string where = fmt::format("{}:{}", path, number);
        if (text.empty() || text[0] == ';' || text[0] == '#') {
            continue;
        }
        if (text.front() == '[') {
            section = text.substr(1, text.find(']') - 1);
            found_section |= section == "uwsgi" || section == "gantry";
            continue;
        }
        if (section != "uwsgi" && section != "gantry") {
            continue;
        }
        const auto eq = text.find('=');
        if (eq == std::string::npos) {
            throw config_error(fmt::format("{}: expected 'key = value'", where));
        }
        const std::string key = trim(text.substr(0, eq));
        const std::string value =
            expand_magic(trim(text.substr(eq + 1)), seen, file.folder().string(), where);
        seen[key] = value;
        if (const option_def* def = file.lookup(key, where, names.contains(key))) {
            if (auto a = file.value(*def, value, fmt::format("{}: {}", where, key))) {
                out.push_back(std::move(*a));
            }
        }
    }
    if (!found_section) {
        throw config_error(fmt::format("{}: no [uwsgi] section", path));
    }
    file.finish();
    return out;
}

}  // namespace gantry::server
