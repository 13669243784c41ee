// What the YAML and INI targets share: load a config file's text, then store the values into
// an options struct, as load_options() does, so that every row's validator (numbers, sizes,
// durations, cron schedules, addresses) sees what the loader passed on. A config_error is the
// expected refusal of a bad file; any other exception escapes and libFuzzer reports it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "server/options/load_options.hpp"
#include "server/options/option_table.hpp"
#include "server/options/options.hpp"
#include "server/util/config_error.hpp"

namespace gantry::fuzz {

// The file's name in error messages and the folder relative paths resolve from; never read.
inline const std::string config_path = "/nonexistent/fuzz/gantry.conf";

inline int load_and_store(const std::uint8_t* data, std::size_t size, server::config_kind kind) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const std::vector<server::assignment> assignments =
            server::load_config_text(text, config_path, kind);
        server::options o;
        server::config_problems problems;
        server::store_all(o, assignments, problems);
        (void)server::config_yaml(o);  // --print-config of whatever was accepted
    } catch (const server::config_error&) {
    }
    return 0;
}

}  // namespace gantry::fuzz
