// What the YAML and INI loaders share: turning one key and its text value, found in a
// config file, into an assignment, with uWSGI's $(VAR) expansion, file-relative paths,
// booleans, and the refusals (unknown key, option gantry deliberately does not have).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server/options/option_table.hpp"

namespace gantry::server {

class config_file {
public:
    explicit config_file(const std::string& path);

    // The row for `key` found at `where` ("file:line:col"). Throws config_error for an
    // unknown key (with "did you mean"); returns nullptr for a uWSGI option gantry does not
    // have, which finish() then reports together with the others.
    // `placeholder`: the key is only a name for %(key) (INI), so an unknown one is fine.
    const option_def* lookup(const std::string& key, const std::string& where,
                             bool placeholder = false);

    // The assignment for one value of `def`; nothing for a flag set to false.
    std::optional<assignment> value(const option_def& def, const std::string& text,
                                    const std::string& origin) const;

    // Throws one config_error listing every unsupported uWSGI option met, with what to do.
    void finish() const;

    const std::filesystem::path& folder() const noexcept { return folder_; }

private:
    std::string path_;
    std::filesystem::path folder_;
    std::vector<std::string> unsupported_;
};

}  // namespace gantry::server
