#include "server/master/cheaper_policy.hpp"

#include <algorithm>

namespace gantry::server {

cheaper_decision decide_pool(const pool_snapshot& seen, const cheaper_settings& settings,
                             cheaper_state& state, cheaper_state::time_point now) {
    cheaper_decision d;
    if (seen.workers < settings.min) {
        d.spawn = settings.min - seen.workers;
        state = {};
        return d;
    }
    if (seen.busy >= seen.workers) {
        state.idle_since.reset();
        if (!state.busy_since) {
            state.busy_since = now;
        } else if (now - *state.busy_since >= settings.overload && seen.workers < settings.max) {
            d.spawn = std::min(settings.step, settings.max - seen.workers);
            state.busy_since = now;  // the next step needs another full overload period
        }
        return d;
    }
    state.busy_since.reset();
    if (!state.idle_since) {
        state.idle_since = now;
    } else if (now - *state.idle_since >= settings.overload && seen.workers > settings.min) {
        d.stop_idle = true;
        state.idle_since = now;  // one worker per overload period
    }
    return d;
}

}  // namespace gantry::server
