// Options from a command line, for the unit tests that check one option against a minimal
// valid configuration (an app and a socket).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "server/options/load_options.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server::testing {

inline options parse(std::vector<const char*> args) {
    args.insert(args.begin(), {"gantry", "--module", "app", "--socket", ":1"});
    return load_options(static_cast<int>(args.size()), args.data());
}

// The configuration error's message, or "no error".
inline std::string error_of(std::vector<const char*> args) {
    try {
        parse(std::move(args));
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace gantry::server::testing
