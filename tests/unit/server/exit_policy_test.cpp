#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "server/master/exit_policy.hpp"
#include "server/process/exit_codes.hpp"

using namespace gantry::server;
using namespace std::chrono_literals;

namespace {

// A wait status as waitpid() reports `exit(code)` and death by `sig`.
int exited(int code) {
    return (code & 0xff) << 8;
}
int killed(int sig) {
    return sig & 0x7f;
}

// A worker that died on its own, an hour into its life, of a generation that served.
worker_exit death(int status) {
    return {.wait_status = status,
            .asked_to_stop = false,
            .age = 3600s,
            .generation_was_ready = true,
            .ever_served = true,
            .superseded = false,
            .quick_deaths = 0};
}

}  // namespace

TEST_CASE("the wait statuses built here are the ones waitpid reports") {
    CHECK(WIFEXITED(exited(4)));
    CHECK(WEXITSTATUS(exited(4)) == 4);
    CHECK(WIFSIGNALED(killed(9)));
    CHECK(WTERMSIG(killed(9)) == 9);
}

TEST_CASE("a worker the master stopped is forgotten, whatever its exit") {
    for (int status : {exited(0), exited(exit_code::app_load), killed(SIGKILL)}) {
        worker_exit e = death(status);
        e.asked_to_stop = true;
        e.generation_was_ready = false;
        e.quick_deaths = 2;
        const exit_decision d = decide_after_exit(e);
        CHECK(d.action == after_exit::forget);
        CHECK(d.quick_deaths == 2);
    }
}

TEST_CASE("an app that never imported halts gantry with the worker's code") {
    for (int code : {exit_code::app_load, exit_code::worker_boot}) {
        worker_exit e = death(exited(code));
        e.generation_was_ready = false;
        e.ever_served = false;
        e.age = 200ms;
        const exit_decision d = decide_after_exit(e);
        CHECK(d.action == after_exit::halt);
        CHECK(d.exit_code == code);
    }
}

TEST_CASE("a reload's generation that cannot import is given up, never a halt, once served") {
    worker_exit e = death(exited(exit_code::app_load));
    e.generation_was_ready = false;
    CHECK(decide_after_exit(e).action == after_exit::abandon_reload);
    // Superseded by a newer reload already: it is forgotten, the newer one decides.
    e.superseded = true;
    CHECK(decide_after_exit(e).action == after_exit::forget);
}

TEST_CASE("other early deaths of a never-ready generation keep the back-off") {
    for (int status : {exited(1), exited(0), killed(SIGSEGV), killed(SIGKILL)}) {
        worker_exit e = death(status);
        e.generation_was_ready = false;
        e.ever_served = false;
        e.age = 10ms;
        const exit_decision d = decide_after_exit(e);
        CHECK(d.action == after_exit::respawn_later);
        CHECK(d.delay == 1000ms);
        CHECK(d.quick_deaths == 1);
    }
}

TEST_CASE("once its generation served, an import failure is retried with the back-off") {
    worker_exit e = death(exited(exit_code::app_load));
    e.age = 300ms;
    e.quick_deaths = 2;
    const exit_decision d = decide_after_exit(e);
    CHECK(d.action == after_exit::respawn_later);
    CHECK(d.quick_deaths == 3);
    CHECK(d.delay == 4000ms);
}

TEST_CASE("a worker that ran a while is respawned at once and its count starts over") {
    worker_exit e = death(killed(SIGSEGV));
    e.quick_deaths = 5;
    const exit_decision d = decide_after_exit(e);
    CHECK(d.action == after_exit::respawn);
    CHECK(d.delay == 0ms);
    CHECK(d.quick_deaths == 0);

    e = death(exited(exit_code::app_load));  // long-lived: not a boot failure of this code
    CHECK(decide_after_exit(e).action == after_exit::respawn);
}
