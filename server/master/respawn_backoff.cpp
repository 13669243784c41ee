#include "server/master/respawn_backoff.hpp"

#include <algorithm>

namespace gantry::server {

std::chrono::milliseconds respawn_delay(int quick_deaths) noexcept {
    using namespace std::chrono_literals;
    constexpr auto ceiling = std::chrono::milliseconds(30s);
    if (quick_deaths <= 0) {
        return 0ms;
    }
    const int doublings = std::min(quick_deaths - 1, 15);  // 2^15 s is far past the ceiling
    return std::min<std::chrono::milliseconds>(std::chrono::milliseconds(1000LL << doublings),
                                               ceiling);
}

}  // namespace gantry::server
