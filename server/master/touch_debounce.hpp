// When a burst of file events is over. An editor saving a file, `cp`, or a config-map swap
// make several events within milliseconds; the touch watcher acts once, when the events
// have been quiet for a moment, and at the latest a little after the burst began (a file
// rewritten without pause still gets its reload). Pure: the caller gives the time.
#pragma once

#include <chrono>
#include <optional>

namespace gantry::server {

class touch_debounce {
public:
    using clock = std::chrono::steady_clock;

    // Quiet for `quiet` ends a burst; so does `longest` since its first event.
    touch_debounce(clock::duration quiet, clock::duration longest) noexcept
        : quiet_(quiet), longest_(longest) {}

    // An event came at `now`.
    void event(clock::time_point now) noexcept;

    // When the pending burst may be over: the time to look again; nothing when none is pending.
    std::optional<clock::time_point> due() const noexcept;

    // True, and no burst pending any more, when the burst is over at `now`.
    bool settle(clock::time_point now) noexcept;

private:
    clock::duration quiet_;
    clock::duration longest_;
    std::optional<clock::time_point> first_;
    clock::time_point last_{};
};

}  // namespace gantry::server
