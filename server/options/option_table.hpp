// The one table of options: name, uWSGI aliases, section, value type, doc, and how each
// value is stored and shown. The command line, the YAML and INI loaders, --help,
// --print-config, docs/options.md and "did you mean" all read these rows.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/options/config_entry.hpp"
#include "server/options/config_problems.hpp"
#include "server/options/options.hpp"
#include "server/options/uwsgi_refusals.hpp"

namespace gantry::server {

enum class value_type {
    flag,  // no value on the command line; true/false in a file
    text,
    path,      // relative: see from_start_dir, and config_entry.hpp for config files
    number,    // a whole number
    size,      // bytes: 65535, 64k, 10m
    duration,  // seconds: 30, 30s, 5m, 1h
};

struct option_def {
    std::string_view name;     // long name, as in --name and as a YAML or INI key
    std::string_view aliases;  // space-separated: one letter is a short flag, e.g. "p workers"
    std::string_view section;  // for --help and docs/options.md
    value_type type;
    bool repeatable;  // may be given several times; the values add up
    std::string_view default_text;
    std::string_view doc;
    // Stores `value` into the options; throws std::invalid_argument naming what was expected.
    std::function<void(options&, std::string_view value)> store;
    // The values as they would be written in a config file; empty when at the default.
    std::function<std::vector<std::string>(const options&)> show;
    // For options whose YAML items may be mappings (cron entries): stores one such item.
    std::function<void(options&, const field_list& fields)> store_fields = {};
    // A relative path is from where gantry started (chdir, pidfile, logto: used before the
    // chdir), not from the app's directory after --chdir.
    bool from_start_dir = false;
    // For docs/coming-from-uwsgi.md: how this uWSGI option maps to gantry, when a row is
    // there for uWSGI's sake (always-on flags, accepted-with-a-note options).
    std::string_view uwsgi_note = {};
    // The long name is gantry's own, not a uWSGI option (its aliases are uWSGI's).
    bool gantry_only = false;
    // Its value is a template with %(name)s of its own (log-format): see config_entry.
    bool own_references = false;
};

std::span<const option_def> option_table();

// The sections in the order --help shows them; a value's placeholder (" PATH", "" for a flag).
std::vector<std::string_view> sections();
std::string_view placeholder(value_type t);

// A row's long name, then its aliases.
std::vector<std::string_view> option_names(const option_def& d);

// The row called `name` (long name or alias, without dashes), or nullptr.
const option_def* find_option(std::string_view name);

// The option name closest to a misspelt one, or "" when nothing is close.
std::string suggest_option(std::string_view name);

// --help, grouped by section; docs/options.md; --print-config.
std::string usage_text();
std::string options_markdown();
std::string uwsgi_guide_markdown();
std::string man_page();  // gantry(1), roff
std::string config_yaml(const options& o);

// One option given a value, by the command line or a file, before it is stored.
struct assignment {
    const option_def* def;
    std::string value;
    std::string origin;      // what an error names: "--processes" or "gantry.yaml:4:3: processes"
    field_list fields = {};  // set instead of `value` for a mapping item
};

// Stores each value; a refused one is a problem naming its origin, and the rest go on.
void store_all(options& o, std::span<const assignment> assignments, config_problems& problems);

}  // namespace gantry::server
