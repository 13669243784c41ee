#include "server/master/exit_policy.hpp"

#include <sys/wait.h>

#include "server/master/respawn_backoff.hpp"
#include "server/process/exit_codes.hpp"

namespace gantry::server {
namespace {

// Exit codes that say "this code cannot start", not "this process had bad luck".
bool boot_failure(int wait_status) noexcept {
    if (!WIFEXITED(wait_status)) {
        return false;
    }
    const int code = WEXITSTATUS(wait_status);
    return code == exit_code::worker_boot || code == exit_code::app_load;
}

}  // namespace

exit_decision decide_after_exit(const worker_exit& e) noexcept {
    if (e.asked_to_stop) {
        return {.action = after_exit::forget,
                .delay = {},
                .exit_code = 0,
                .quick_deaths = e.quick_deaths};
    }
    // As gunicorn's arbiter: respawning a worker whose app never imported only repeats the
    // traceback, forever. Once a generation has served, the same exit is a passing fault (a
    // database down at import) and the back-off below retries it.
    if (boot_failure(e.wait_status) && !e.generation_was_ready) {
        if (e.superseded) {  // a newer reload is under way: nothing to give up or retry
            return {.action = after_exit::forget,
                    .delay = {},
                    .exit_code = 0,
                    .quick_deaths = e.quick_deaths};
        }
        // A gantry that has served is never stopped by a reload's bad code: the reload is
        // given up instead, and what served before goes on (or is retried with the back-off).
        if (e.ever_served) {
            return {.action = after_exit::abandon_reload,
                    .delay = {},
                    .exit_code = 0,
                    .quick_deaths = 0};
        }
        return {.action = after_exit::halt,
                .delay = {},
                .exit_code = WEXITSTATUS(e.wait_status),
                .quick_deaths = 0};
    }
    if (e.age < min_worker_lifetime) {
        const int deaths = e.quick_deaths + 1;
        return {.action = after_exit::respawn_later,
                .delay = respawn_delay(deaths),
                .exit_code = 0,
                .quick_deaths = deaths};
    }
    return {.action = after_exit::respawn, .delay = {}, .exit_code = 0, .quick_deaths = 0};
}

}  // namespace gantry::server
