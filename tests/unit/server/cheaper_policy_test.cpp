#include <catch2/catch.hpp>

#include "server/master/cheaper_policy.hpp"

using namespace gantry::server;
using namespace std::chrono_literals;

namespace {

// Feeds one snapshot per second, as the master's checks would, and records the decisions.
struct script {
    cheaper_settings settings{.min = 1, .max = 4, .step = 1, .overload = 3s};
    cheaper_state state;
    cheaper_state::time_point now{};

    cheaper_decision at(int workers, int busy) {
        now += 1s;
        return decide_pool({.workers = workers, .busy = busy}, settings, state, now);
    }
};

}  // namespace

TEST_CASE("below the minimum, workers are added at once", "[cheaper]") {
    script s;
    CHECK(s.at(0, 0).spawn == 1);
}

TEST_CASE("all busy for the overload period grows the pool by one step", "[cheaper]") {
    script s;
    CHECK(s.at(1, 1).spawn == 0);  // busy stretch starts
    CHECK(s.at(1, 1).spawn == 0);
    CHECK(s.at(1, 1).spawn == 0);
    CHECK(s.at(1, 1).spawn == 1);  // 3 s of all-busy
    CHECK(s.at(2, 2).spawn == 0);  // the next step needs another 3 s, from the spawn on
    CHECK(s.at(2, 2).spawn == 0);
    CHECK(s.at(2, 2).spawn == 1);
}

TEST_CASE("a moment of slack resets the busy stretch", "[cheaper]") {
    script s;
    s.at(1, 1);
    s.at(1, 1);
    CHECK(s.at(1, 0).spawn == 0);
    CHECK(s.at(1, 1).spawn == 0);
    CHECK(s.at(1, 1).spawn == 0);
    CHECK(s.at(1, 1).spawn == 0);
    CHECK(s.at(1, 1).spawn == 1);
}

TEST_CASE("growth stops at --processes and respects the step", "[cheaper]") {
    script s;
    s.settings.step = 2;
    s.at(3, 3);
    s.at(3, 3);
    s.at(3, 3);
    CHECK(s.at(3, 3).spawn == 1);  // only one more fits under max 4
    for (int i = 0; i < 10; ++i) {
        CHECK(s.at(4, 4).spawn == 0);
    }
}

TEST_CASE("idleness shrinks by one worker per overload period, down to the minimum", "[cheaper]") {
    script s;
    CHECK_FALSE(s.at(4, 1).stop_idle);  // idle stretch starts
    CHECK_FALSE(s.at(4, 1).stop_idle);
    CHECK_FALSE(s.at(4, 1).stop_idle);
    CHECK(s.at(4, 1).stop_idle);
    CHECK_FALSE(s.at(3, 0).stop_idle);
    CHECK_FALSE(s.at(3, 0).stop_idle);
    CHECK(s.at(3, 0).stop_idle);
    s.at(2, 0);
    s.at(2, 0);
    CHECK(s.at(2, 0).stop_idle);
    for (int i = 0; i < 10; ++i) {
        CHECK_FALSE(s.at(1, 0).stop_idle);  // never below --cheaper
    }
}

TEST_CASE("a burst grows the pool to the maximum and it shrinks back after", "[cheaper]") {
    script s;
    s.settings.overload = 1s;
    int workers = 1;
    for (int second = 0; second < 10; ++second) {  // a burst keeps every worker busy
        workers += s.at(workers, workers).spawn;
    }
    CHECK(workers == 4);
    for (int second = 0; second < 10; ++second) {  // then nothing to do
        workers -= s.at(workers, 0).stop_idle ? 1 : 0;
    }
    CHECK(workers == 1);
}
