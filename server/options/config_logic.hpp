// uWSGI's configuration logic: "if-env = NAME" ... "endif", "if-exists", "if-file",
// "if-dir", "if-opt" (each with an if-not- form), "else", and "for = a b c" ... "endfor"
// (with for-glob, for-times, for-readline). Inside a block "%(_)" is the matched value or
// the loop item. One block at a time, as in uWSGI; a block ends with its file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/options/config_entry.hpp"
#include "server/options/config_problems.hpp"

namespace gantry::server {

// Whether a key opens or closes a block (if-*, for*, else, end*).
bool is_logic_key(const std::string& key);

class config_logic {
public:
    // The first value set so far for an option or placeholder (for if-opt).
    using lookup = std::function<std::optional<std::string>(const std::string& key)>;

    explicit config_logic(lookup find) : find_(std::move(find)) {}

    // Takes `e` into the logic: returns the entries it stands for (itself outside any
    // block; none, one, or one per loop item inside; none for a logic key).
    std::vector<config_entry> take(const config_entry& e, config_problems& problems);

    // A block still open at the end of its file is a problem.
    void finish(const std::string& file, config_problems& problems) const;

private:
    lookup find_;
    std::string kind_;  // the open block's key, "" when none
    std::string arg_;
    std::string opened_at_;
    bool failed_ = false;  // the last if-* did not match (for else)

    std::vector<config_entry> apply(const config_entry& e) const;
    std::optional<std::string> condition() const;
};

}  // namespace gantry::server
