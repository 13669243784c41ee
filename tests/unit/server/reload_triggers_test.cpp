// The pure parts of the reload triggers: when a burst of file events is over, which
// hook-master-start values mean something, what a stamp survives a reload's hand-over as,
// which module file changed, and the options themselves.
#include <catch2/catch.hpp>

#include <signal.h>

#include <map>
#include <stdexcept>

#include "parse_options.hpp"
#include "server/master/file_stamp.hpp"
#include "server/master/touch_debounce.hpp"
#include "server/options/master_hook.hpp"
#include "server/worker/autoreloader.hpp"

using namespace gantry::server;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

using clock_type = touch_debounce::clock;

struct burst {
    touch_debounce d{200ms, 2s};
    clock_type::time_point t0{};

    clock_type::time_point at(std::chrono::milliseconds ms) const { return t0 + ms; }
};

}  // namespace

TEST_CASE("nothing is due before the first event", "[touch]") {
    burst b;
    CHECK_FALSE(b.d.due());
    CHECK_FALSE(b.d.settle(b.at(10s)));
}

TEST_CASE("a burst of twenty events settles once, after 200 ms of quiet", "[touch]") {
    burst b;
    for (int i = 0; i < 20; ++i) {
        b.d.event(b.at(std::chrono::milliseconds(i * 5)));
        CHECK_FALSE(b.d.settle(b.at(std::chrono::milliseconds(i * 5 + 1))));
    }
    REQUIRE(b.d.due() == b.at(95ms + 200ms));
    CHECK_FALSE(b.d.settle(b.at(294ms)));
    CHECK(b.d.settle(b.at(295ms)));
    // Settled: nothing pending, however long one waits.
    CHECK_FALSE(b.d.due());
    CHECK_FALSE(b.d.settle(b.at(10s)));
}

TEST_CASE("an event during the quiet period pushes it back", "[touch]") {
    burst b;
    b.d.event(b.at(0ms));
    b.d.event(b.at(150ms));
    CHECK_FALSE(b.d.settle(b.at(200ms)));
    CHECK(b.d.settle(b.at(350ms)));
}

TEST_CASE("a file written without pause still acts 2 s after its first event", "[touch]") {
    burst b;
    for (int ms = 0; ms <= 5000; ms += 100) {
        b.d.event(b.at(std::chrono::milliseconds(ms)));
        if (b.d.settle(b.at(std::chrono::milliseconds(ms)))) {
            CHECK(ms == 2000);
            return;
        }
    }
    FAIL("the burst never settled");
}

TEST_CASE("two bursts far apart settle twice", "[touch]") {
    burst b;
    b.d.event(b.at(0ms));
    CHECK(b.d.settle(b.at(200ms)));
    b.d.event(b.at(5s));
    CHECK_FALSE(b.d.settle(b.at(5100ms)));
    CHECK(b.d.settle(b.at(5200ms)));
}

TEST_CASE("hook-master-start: the two gracefully_kill_them_all forms", "[hook]") {
    CHECK(graceful_stop_signal_of_hook("unix_signal:15 gracefully_kill_them_all") == SIGTERM);
    CHECK(graceful_stop_signal_of_hook("unix_signal:2 gracefully_kill_them_all") == SIGINT);
    CHECK(graceful_stop_signal_of_hook("  unix_signal:2   gracefully_kill_them_all ") == SIGINT);
    CHECK(graceful_stop_signal_of_hook("unix_signal:2\tgracefully_kill_them_all") == SIGINT);
}

TEST_CASE("hook-master-start: anything else is refused with advice", "[hook]") {
    for (const char* v : {"unix_signal:1 gracefully_kill_them_all", "unix_signal:15",
                          "unix_signal:15 kill_them_all", "exec:/bin/true",
                          "unix_signal:x gracefully_kill_them_all", "",
                          "unix_signal:2 gracefully_kill_them_all extra", "mkdir:/tmp/x"}) {
        INFO(v);
        try {
            graceful_stop_signal_of_hook(v);
            FAIL("accepted");
        } catch (const std::invalid_argument& e) {
            CHECK_THAT(e.what(), Contains("ExecStartPre"));
        }
    }
}

TEST_CASE("a file stamp survives the hand-over text", "[touch]") {
    const file_stamp s{
        .exists = true, .dev = 2049, .ino = 1234567, .mtime_ns = 1764800000123456789, .size = 42};
    CHECK(stamp_from_text(to_text(s)) == s);
    CHECK(stamp_from_text(to_text(file_stamp{})) == file_stamp{});
    CHECK_FALSE(stamp_from_text("1 2 3"));
    CHECK_FALSE(stamp_from_text("7 1 2 3 4"));
}

TEST_CASE("a missing file's stamp differs from the created file's", "[touch]") {
    CHECK_FALSE(stamp_of("/nonexistent/gantry/touch").exists);
    CHECK(stamp_of("/").exists);
}

TEST_CASE("module_mtimes: the first look records, a later different mtime is a change",
          "[autoreload]") {
    std::map<std::string, std::int64_t> disk{{"/a.py", 1}, {"/b.py", 2}};
    const module_mtimes::stat_fn stat_of = [&disk](const std::string& p, std::int64_t& m) {
        const auto it = disk.find(p);
        if (it == disk.end()) {
            return false;
        }
        m = it->second;
        return true;
    };
    module_mtimes seen;
    CHECK(seen.update({"/a.py", "/b.py"}, stat_of).empty());
    CHECK(seen.size() == 2);
    CHECK(seen.update({"/a.py", "/b.py"}, stat_of).empty());
    disk["/c.py"] = 3;  // imported later: recorded, not a change
    CHECK(seen.update({"/a.py", "/b.py", "/c.py"}, stat_of).empty());
    disk.erase("/b.py");  // an editor between delete and write: not a change yet
    CHECK(seen.update({"/a.py", "/b.py", "/c.py"}, stat_of).empty());
    disk["/b.py"] = 5;
    CHECK(seen.update({"/a.py", "/b.py", "/c.py"}, stat_of) == "/b.py");
    disk["/a.py"] = 0;  // older counts too: a checkout of an older file
    CHECK(seen.update({"/a.py"}, stat_of) == "/a.py");
}

TEST_CASE("touch options are repeatable paths; py-autoreload has uWSGI's aliases", "[options]") {
    using testing::parse;
    const options o =
        parse({"--touch-reload", "/tmp/a", "--touch-reload", "/tmp/b", "--touch-chain-reload",
               "/tmp/c", "--touch-workers-reload", "/tmp/d", "--touch-logreopen", "/tmp/e",
               "--touch-logrotate", "/tmp/f", "--python-autoreload", "2"});
    CHECK(o.touch_reload == std::vector<std::string>{"/tmp/a", "/tmp/b"});
    CHECK(o.touch_chain_reload == std::vector<std::string>{"/tmp/c"});
    CHECK(o.touch_workers_reload == std::vector<std::string>{"/tmp/d"});
    CHECK(o.touch_logreopen == std::vector<std::string>{"/tmp/e"});
    CHECK(o.touch_logrotate == std::vector<std::string>{"/tmp/f"});
    CHECK(o.py_autoreload == 2);
    CHECK(parse({"--py-autoreload", "3"}).py_autoreload == 3);
    CHECK(parse({}).py_autoreload == 0);
}

TEST_CASE("hook-master-start as an option", "[options]") {
    using testing::error_of;
    using testing::parse;
    CHECK_FALSE(parse({}).graceful_sigint);
    CHECK_FALSE(
        parse({"--hook-master-start", "unix_signal:15 gracefully_kill_them_all"}).graceful_sigint);
    CHECK(parse({"--hook-master-start", "unix_signal:15 gracefully_kill_them_all",
                 "--hook-master-start", "unix_signal:2 gracefully_kill_them_all"})
              .graceful_sigint);
    CHECK_THAT(error_of({"--hook-master-start", "exec:/bin/true"}),
               Contains("hook-master-start") && Contains("ExecStartPre"));
}
