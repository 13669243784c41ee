#include "server/options/config_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "server/options/config_references.hpp"
#include "server/options/ini_reader.hpp"
#include "server/options/option_table.hpp"
#include "server/options/yaml_reader.hpp"

namespace gantry::server {
namespace {

namespace fs = std::filesystem;

// More nested includes than this is a loop the cycle check could not see (a:1 b:2 a:3...).
constexpr std::size_t max_include_depth = 16;
// More options than any real configuration has: for-times or includes out of hand.
constexpr std::size_t max_entries = 100000;
// Larger than any config file: something else named by mistake.
constexpr std::size_t max_file_size = std::size_t{1} << 20;

std::optional<config_kind> include_kind(const std::string& key) {
    if (key == "ini") {
        return config_kind::ini;
    }
    if (key == "yaml" || key == "yml") {
        return config_kind::yaml;
    }
    if (key == "json" || key == "js") {
        return config_kind::json;
    }
    if (key == "include") {
        return config_kind::by_extension;
    }
    return std::nullopt;
}

config_kind kind_of(const std::string& path) {
    const std::string ext = fs::path(path).extension().string();
    if (ext == ".yaml" || ext == ".yml") {
        return config_kind::yaml;
    }
    if (ext == ".json" || ext == ".js") {
        return config_kind::json;
    }
    return config_kind::ini;
}

// uWSGI's variables that are its own business, not options.
bool uwsgi_internal(std::string_view name) {
    static const std::vector<std::string_view> internal = {
        "UWSGI_RELOADS",       "UWSGI_VASSALS_DIR",       "UWSGI_EMPEROR_FD",
        "UWSGI_BROODLORD_NUM", "UWSGI_EMPEROR_FD_CONFIG", "UWSGI_EMPEROR_PROXY",
        "UWSGI_JAIL_PID",      "UWSGI_ORIGINAL_PROC_NAME"};
    return std::find(internal.begin(), internal.end(), name) != internal.end();
}

}  // namespace

void config_reader::read_environment(char** environ) {
    std::error_code ec;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view var = *e;
        const auto eq = var.find('=');
        const std::string_view name = var.substr(0, eq);
        const bool uwsgi = name.starts_with("UWSGI_");
        if ((!uwsgi && !name.starts_with("GANTRY_")) || eq == std::string_view::npos ||
            uwsgi_internal(name)) {
            continue;
        }
        std::string key;
        for (char c : name.substr(uwsgi ? 6 : 7)) {
            key += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        const bool known = find_option(key) != nullptr || !unsupported_uwsgi_option(key).empty();
        if (!known) {
            if (uwsgi) {
                problems_.warn(
                    fmt::format("${}: '{}' is not an option gantry knows; ignored", name, key));
            }
            continue;
        }
        entries_.push_back({.key = key,
                            .value = std::string(var.substr(eq + 1)),
                            .origin = fmt::format("${}", name),
                            .style = entry_style::uwsgi,
                            .folder = fs::current_path(ec).string()});
    }
}

void config_reader::read_file(const std::string& spec, config_kind kind,
                              const std::string& origin) {
    read_spec(spec, kind, "", origin);
}

void config_reader::read_text(const std::string& text, const std::string& path, config_kind kind) {
    read_contents(text, path, "", kind == config_kind::by_extension ? kind_of(path) : kind);
}

// PATH[:SECTION]; ":SECTION" alone is another section of the file being read (`current`).
// A relative PATH is from the directory gantry started in, as in uWSGI, or else from the
// including file's folder.
void config_reader::read_spec(const std::string& spec, config_kind kind, const std::string& current,
                              const std::string& origin) {
    const auto colon = spec.rfind(':');
    std::string path = colon == std::string::npos ? spec : spec.substr(0, colon);
    const std::string section = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (path.empty()) {
        path = current;
    }
    const std::string named_by = origin.empty() ? "" : origin + ": ";
    if (path.empty()) {
        problems_.add(fmt::format("{}'{}': which file?", named_by, spec));
        return;
    }
    // No call here may throw: a name too long or a folder not searchable is a problem below.
    std::error_code ec;
    if (!current.empty() && fs::path(path).is_relative() && !fs::exists(path, ec)) {
        path = (fs::absolute(current, ec).parent_path() / path).lexically_normal().string();
    }
    const fs::path canonical = fs::weakly_canonical(path, ec);
    const std::string id = (ec ? fs::path(path) : canonical).string() + ":" + section;
    if (std::find(open_files_.begin(), open_files_.end(), id) != open_files_.end() ||
        open_files_.size() >= max_include_depth) {
        problems_.add(fmt::format("{}'{}' includes itself", named_by, spec));
        return;
    }
    if (!fs::is_regular_file(path, ec)) {  // not /dev/zero, a FIFO or a folder
        problems_.add(fmt::format("{}{}: {}", named_by, fs::absolute(path, ec).string(),
                                  fs::exists(path, ec) ? "not a regular file" : "no such file"));
        return;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problems_.add(fmt::format("{}{}: cannot read the file", named_by, path));
        return;
    }
    std::string text(max_file_size + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_file_size) {  // not a config file (/proc/kcore, a log file...)
        problems_.add(fmt::format("{}{}: larger than {} bytes: not a config file", named_by, path,
                                  max_file_size));
        return;
    }
    open_files_.push_back(id);
    read_contents(text, path, section, kind == config_kind::by_extension ? kind_of(path) : kind);
    open_files_.pop_back();
}

void config_reader::read_contents(const std::string& text, const std::string& path,
                                  const std::string& section, config_kind kind) {
    bool found = false;
    std::vector<config_entry> file_entries =
        kind == config_kind::ini ? ini_entries(text, path, section, found)
                                 : yaml_entries(text, path, section, problems_, found);
    if (!found) {
        problems_.add(fmt::format("{}: no {}", path,
                                  !section.empty() ? fmt::format("section '{}'", section)
                                  : kind == config_kind::ini
                                      ? std::string("[uwsgi] (or [gantry]) section")
                                      : std::string("top-level 'uwsgi:' (or 'gantry:') mapping")));
        return;
    }
    const magic_vars magic(path, section, first_magic_ ? &*first_magic_ : nullptr);
    if (!first_magic_) {
        first_magic_ = magic;
    }
    config_logic logic([this](const std::string& key) { return first_value(key); });
    for (config_entry& e : file_entries) {
        add(std::move(e), logic, magic, path);
    }
    logic.finish(path, problems_);
}

void config_reader::add(config_entry e, config_logic& logic, const magic_vars& magic,
                        const std::string& path) {
    if (e.references) {  // gantry: YAML files have no magic, as before
        std::vector<char> dropped;
        e.value = magic.apply(e.value, dropped);
        for (auto& field : e.fields) {
            field.second = magic.apply(field.second, dropped);
        }
        for (char c : dropped) {
            problems_.warn(fmt::format(
                "{}: {}: '%{}' is no magic variable and became \"\" (as in uWSGI); write '%%{}' "
                "for a literal '%'",
                e.origin, e.key, c, c));
        }
    }
    note_references(e.value);
    if (e.key == "if-opt" || e.key == "if-not-opt") {
        referenced_.insert(e.value.substr(0, e.value.find('=')));
    }
    if (e.key == "set-placeholder" || e.key == "set-ph") {
        const auto eq = e.value.find('=');
        if (eq == std::string::npos || eq == 0) {
            problems_.add(
                fmt::format("{}: {}: expected NAME=VALUE, got '{}'", e.origin, e.key, e.value));
            return;
        }
        e.key = e.value.substr(0, eq);
        e.value = e.value.substr(eq + 1);
        e.placeholder = true;
    }
    for (config_entry& taken : logic.take(e, problems_)) {
        if (entries_.size() >= max_entries) {
            if (entries_.size() == max_entries) {
                problems_.add(fmt::format("{}: more than {} options: a loop that never ends?",
                                          taken.origin, max_entries));
                entries_.push_back(std::move(taken));  // said once
            }
            return;
        }
        if (const auto kind = include_kind(taken.key)) {
            read_spec(resolved_now(taken), *kind, path, taken.origin);
        } else {
            entries_.push_back(std::move(taken));
        }
    }
}

// An include is read where it stands, before the reference pass: its $(VAR) and the
// %(key) of what came before it are resolved now (uWSGI would read them as written).
std::string config_reader::resolved_now(const config_entry& include) {
    config_entry e = include;
    resolve_entry(e, entries_, problems_);
    return e.value;
}

void config_reader::note_references(const std::string& value) {
    for (auto open = value.find("%("); open != std::string::npos;
         open = value.find("%(", open + 2)) {
        const auto close = value.find(')', open);
        std::istringstream names(value.substr(open + 2, close - open - 2));
        for (std::string name; names >> name;) {
            referenced_.insert(name);  // with arithmetic, numbers and operators too: harmless
        }
    }
}

void config_reader::add_placeholder(const std::string& name_value, const std::string& origin) {
    const auto eq = name_value.find('=');
    referenced_.insert(name_value.substr(0, eq));
    config_entry e;
    e.key = name_value.substr(0, eq);
    e.value = eq == std::string::npos ? "" : name_value.substr(eq + 1);
    e.origin = origin;
    e.placeholder = true;
    entries_.push_back(std::move(e));
}

std::optional<std::string> config_reader::first_value(const std::string& key) const {
    for (const config_entry& e : entries_) {
        if (e.key == key) {
            return e.value;
        }
    }
    return std::nullopt;
}

std::vector<config_entry> config_reader::finish() {
    for (config_entry& e : entries_) {
        const option_def* def = find_option(e.key);
        e.own_references = def != nullptr && def->own_references;
    }
    resolve_references(entries_, problems_);
    return std::move(entries_);
}

}  // namespace gantry::server
