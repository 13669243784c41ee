// Keeps a warning that can repeat in a tight loop (accept() out of descriptors, say) to one
// line per interval, which says how many times it happened since the last line.
#pragma once

#include <chrono>
#include <cstdint>

namespace gantry::server::log {

class throttle {
public:
    using clock = std::chrono::steady_clock;

    explicit throttle(clock::duration every = std::chrono::seconds(1)) noexcept : every_(every) {}

    // Counts one occurrence; true when a line is due, with `count` the occurrences it covers.
    bool due(clock::time_point now, std::uint64_t& count) noexcept {
        ++pending_;
        if (now < next_) {
            return false;
        }
        next_ = now + every_;
        count = pending_;
        pending_ = 0;
        return true;
    }

private:
    clock::duration every_;
    clock::time_point next_{};
    std::uint64_t pending_ = 0;
};

}  // namespace gantry::server::log
