// One `key = value` as a config source gave it, before it is matched to an option: what the
// readers (INI, YAML, JSON, UWSGI_* variables) produce, in the order uWSGI would apply them.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace gantry::server {

// The keys and scalar values of one YAML mapping item, in file order.
using field_list = std::vector<std::pair<std::string, std::string>>;

// Whose rules a value follows. They differ in what a relative path means: a `[uwsgi]` /
// `uwsgi:` file means what uWSGI means (the directory after `chdir`, or where gantry started
// for chdir, pidfile and logto), a `[gantry]` / `gantry:` file means "next to this file".
enum class entry_style { uwsgi, gantry };

struct config_entry {
    std::string key;
    std::string value;   // "" for a bare flag line ("master" alone)
    std::string origin;  // what an error names: "app.ini:4" or "$UWSGI_SOCKET"
    entry_style style = entry_style::uwsgi;
    std::string folder;        // the file's folder, for gantry-style relative paths
    field_list fields = {};    // a YAML mapping item (cron entries) instead of `value`
    bool from_list = false;    // one item of a YAML/JSON list
    bool placeholder = false;  // set-placeholder NAME=VALUE: a name for %(NAME) only
    bool references = true;
    // The value has %(name)s of its own (a log-format template): a name the configuration
    // does not set stays as written, as uWSGI leaves every unresolved one.
    bool own_references = false;
    bool broken = false;  // a reference in it could not be resolved (already a problem)        //
                          // "%(key)" is resolved in it (not in gantry: YAML files)
};

}  // namespace gantry::server
