#include <catch2/catch.hpp>

#include <string>

#include "server/process/proc_title.hpp"

using namespace gantry::server;

// Each case is what uWSGI 2.0 shows for the same options, with "gantry" for "uWSGI"
// (core/master.c, core/utils.c uwsgi_fork and uwsgi_set_processname).

namespace {

title_options with(std::string title_options::*field, std::string value) {
    title_options t;
    t.*field = std::move(value);
    return t;
}

}  // namespace

TEST_CASE("no title option leaves every command line alone") {
    const title_options none;
    CHECK(master_title(none).empty());
    CHECK(child_title(none, "gantry worker 1").empty());
}

TEST_CASE("auto-procname names each process for what it is") {
    title_options t;
    t.auto_titles = true;
    CHECK(master_title(t) == "gantry master");
    CHECK(child_title(t, "gantry worker 3") == "gantry worker 3");
    CHECK(child_title(t, "gantry cron") == "gantry cron");
}

TEST_CASE("any procname option turns titles on, as in uWSGI") {
    CHECK(master_title(with(&title_options::prefix, "shop ")) == "shop gantry master");
    CHECK(child_title(with(&title_options::append, " [eu]"), "gantry worker 2") ==
          "gantry worker 2 [eu]");
    CHECK(child_title(with(&title_options::master, "boss"), "gantry worker 1") ==
          "gantry worker 1");
}

TEST_CASE("prefix and append wrap every title") {
    title_options t = with(&title_options::master, "boss");
    t.prefix = "[";
    t.append = "]";
    CHECK(master_title(t) == "[boss]");
    CHECK(child_title(t, "gantry worker 1") == "[gantry worker 1]");
    t.every = "shop";
    CHECK(child_title(t, "gantry cron") == "[shop]");
}

TEST_CASE("procname titles every process, the master too unless procname-master is set") {
    title_options t = with(&title_options::every, "shop");
    CHECK(master_title(t) == "shop");
    CHECK(child_title(t, "gantry worker 4") == "shop");
    CHECK(child_title(t, "gantry cron") == "shop");
    t.master = "shop master";
    CHECK(master_title(t) == "shop master");
    CHECK(child_title(t, "gantry worker 4") == "shop");
}

TEST_CASE("comm keeps 15 bytes without splitting a UTF-8 character") {
    CHECK(comm_of("gantry master") == "gantry master");
    CHECK(comm_of("gantry worker 3") == "gantry worker 3");
    CHECK(comm_of("gantry worker 12") == "gantry worker 1");
    CHECK(comm_of("").empty());
    // "é" is 2 bytes: at bytes 14-15 it would be cut in half, so it goes whole.
    CHECK(comm_of("gantry worker \xc3\xa9!") == "gantry worker ");
    // "€" (3 bytes) ending exactly at byte 15 is kept.
    CHECK(comm_of("gantry worke\xe2\x82\xac!") == "gantry worke\xe2\x82\xac");
}
