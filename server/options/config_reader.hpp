// Reads a whole configuration the way uWSGI does, into one ordered list of entries: the
// UWSGI_*/GANTRY_* environment variables first, then each config file named on the command
// line in order, each with its includes (`ini = other.ini`, `ini = :section`, `yaml =`,
// `json =`, `include =`) read in place, its magic variables (%n, %d...) replaced, and its
// if-*/for blocks applied. finish() then resolves $(VAR) and %(key) across all of it.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/options/config_entry.hpp"
#include "server/options/config_logic.hpp"
#include "server/options/config_problems.hpp"
#include "server/options/magic_vars.hpp"

namespace gantry::server {

enum class config_kind { ini, yaml, json, by_extension };

class config_reader {
public:
    explicit config_reader(config_problems& problems) : problems_(problems) {}

    // UWSGI_SOCKET=:3031 is `socket = :3031`, as uWSGI reads it; GANTRY_* the same. Only
    // variables that name an option count: others (GANTRY_HANDOVER...) are not options.
    void read_environment(char** environ);

    // `spec` is PATH or PATH:SECTION, as --ini takes it; `origin` ("--ini") names it.
    void read_file(const std::string& spec, config_kind kind, const std::string& origin);
    // The same for text already in memory (tests, fuzzing); `path` names it in messages.
    void read_text(const std::string& text, const std::string& path, config_kind kind);

    // NAME=VALUE from --set-placeholder on the command line.
    void add_placeholder(const std::string& name_value, const std::string& origin);

    // Entries set so far with `key` (placeholders and options alike).
    std::optional<std::string> first_value(const std::string& key) const;

    // Every name a %(...) reference or an if-opt used: such keys are placeholders of the
    // configuration's own ("project = mysite" ... "chdir = /srv/%(project)"), not typos.
    const std::set<std::string>& referenced() const noexcept { return referenced_; }

    // Resolves references and returns every entry, in order.
    std::vector<config_entry> finish();

private:
    config_problems& problems_;
    std::vector<config_entry> entries_;
    std::optional<magic_vars> first_magic_;
    std::vector<std::string> open_files_;  // the include chain, against cycles
    std::set<std::string> referenced_;

    void note_references(const std::string& value);
    void read_spec(const std::string& spec, config_kind kind, const std::string& current,
                   const std::string& origin);
    void read_contents(const std::string& text, const std::string& path, const std::string& section,
                       config_kind kind);
    std::string resolved_now(const config_entry& include);
    void add(config_entry e, config_logic& logic, const magic_vars& magic, const std::string& path);
};

}  // namespace gantry::server
