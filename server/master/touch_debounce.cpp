#include "server/master/touch_debounce.hpp"

#include <algorithm>

namespace gantry::server {

void touch_debounce::event(clock::time_point now) noexcept {
    if (!first_) {
        first_ = now;
    }
    last_ = std::max(last_, now);
}

std::optional<touch_debounce::clock::time_point> touch_debounce::due() const noexcept {
    if (!first_) {
        return std::nullopt;
    }
    return std::min(last_ + quiet_, *first_ + longest_);
}

bool touch_debounce::settle(clock::time_point now) noexcept {
    const auto when = due();
    if (!when || now < *when) {
        return false;
    }
    first_.reset();
    return true;
}

}  // namespace gantry::server
