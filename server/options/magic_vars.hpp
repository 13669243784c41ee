// uWSGI's magic variables: "%n" in a config file is the file's name without extension, "%d"
// its folder, "%k" the CPU count, and so on (https://uwsgi-docs.readthedocs.io, "Magic
// variables"). They are replaced as each file is read, as uWSGI does; "%(name)" is left for
// the reference pass that runs once every file is read (config_references.hpp).
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::server {

class magic_vars {
public:
    // The variables of the file `as_given` (its path as the command line or an include
    // named it), whose `section` is read. `first` holds the first file's values, for the
    // upper-case forms (%N, %D...); nullptr when this is the first file.
    magic_vars(const std::string& as_given, std::string_view section, const magic_vars* first);

    // `value` with every %X replaced. As in uWSGI, a letter without a meaning becomes ""
    // and "%%" is "%"; each such letter is added to `dropped` so the caller can say so.
    std::string apply(std::string_view value, std::vector<char>& dropped) const;

private:
    std::array<std::string, 256> table_{};
    std::array<bool, 256> known_{};

    void set(char letter, std::string value);
};

}  // namespace gantry::server
