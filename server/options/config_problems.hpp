// Every mistake found in a configuration, gathered so that one run reports them all (a
// file with a typo, an unsupported option and a bad number gets three lines, not one).
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "server/util/config_error.hpp"

namespace gantry::server {

class config_problems {
public:
    // The same message twice (a refused option inside a for loop) is said once.
    void add(std::string message) {
        if (seen_.insert(message).second) {
            list_.push_back(std::move(message));
        }
    }
    bool empty() const noexcept { return list_.empty(); }
    // Not a mistake, but worth a line at start-up and under --check-config.
    void warn(std::string message) { warnings_.push_back(std::move(message)); }
    const std::vector<std::string>& warnings() const noexcept { return warnings_; }

    // Throws one config_error: the problem itself when there is one, else a count and one
    // indented line per problem, in the order they were found.
    void throw_if_any() const {
        if (list_.empty()) {
            return;
        }
        if (list_.size() == 1) {
            throw config_error(list_.front());
        }
        std::string text = std::to_string(list_.size()) + " problems in the configuration:";
        for (const std::string& p : list_) {
            text += "\n  " + p;
        }
        throw config_error(text);
    }

private:
    std::vector<std::string> list_;
    std::unordered_set<std::string> seen_;
    std::vector<std::string> warnings_;
};

}  // namespace gantry::server
