// The master FIFO's pure parts (the command table, the start-up check, the option) and the
// reader itself on a real FIFO, driven by an io_context as the master drives it.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "parse_options.hpp"
#include "server/master/fifo_command.hpp"
#include "server/master/master_fifo.hpp"
#include "server/util/config_error.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace gantry::server;
using Catch::Matchers::Contains;

TEST_CASE("master-fifo: each byte of uWSGI's table that gantry has", "[master_fifo]") {
    CHECK(fifo_command_of('r') == fifo_command::reload);
    CHECK(fifo_command_of('R') == fifo_command::reload);
    CHECK(fifo_command_of('c') == fifo_command::chain_reload);
    CHECK(fifo_command_of('q') == fifo_command::graceful_stop);
    CHECK(fifo_command_of('Q') == fifo_command::immediate_stop);
    CHECK(fifo_command_of('+') == fifo_command::grow);
    CHECK(fifo_command_of('-') == fifo_command::shrink);
    CHECK(fifo_command_of('l') == fifo_command::reopen_logs);
    CHECK(fifo_command_of('L') == fifo_command::rotate_logs);
    CHECK(fifo_command_of('w') == fifo_command::workers_reload);
    CHECK(fifo_command_of('W') == fifo_command::workers_reload);
    CHECK(fifo_command_of('C') == fifo_command::go_cheap);
    CHECK(fifo_command_of('s') == fifo_command::log_stats);
    for (char d = '0'; d <= '9'; ++d) {
        CHECK(fifo_command_of(static_cast<unsigned char>(d)) == fifo_command::select_fifo);
    }
    CHECK(describe(fifo_command::chain_reload) == "chain reload");
}

TEST_CASE("master-fifo: echo's newline is no command; uWSGI's others are unknown here",
          "[master_fifo]") {
    for (const char c : {'\n', '\r', ' ', '\t'}) {
        CHECK(fifo_command_of(static_cast<unsigned char>(c)) == fifo_command::blank);
    }
    // uWSGI has these (vassal SOS, emperor rescan, refork, pause, pidfiles, subscriptions);
    // gantry does not.
    for (const char c : {'B', 'E', 'f', 'p', 'P', 'S', 'x', '\0', '\xff'}) {
        CHECK(fifo_command_of(static_cast<unsigned char>(c)) == fifo_command::unknown);
    }
    CHECK(printable_byte('x') == "'x'");
    CHECK(printable_byte(7) == "'\\x07'");
}

TEST_CASE("master-fifo: the option is repeatable; a relative path is from --chdir",
          "[master_fifo]") {
    const options o = testing::parse({"--master-fifo", "/run/a.fifo", "--master-fifo", "b.fifo"});
    CHECK(o.master_fifo ==
          std::vector<std::string>{"/run/a.fifo",
                                   (std::filesystem::current_path() / "b.fifo").string()});
    const options in_app = testing::parse({"--chdir", "/srv/app", "--master-fifo", "run/m.fifo"});
    CHECK(in_app.master_fifo == std::vector<std::string>{"/srv/app/run/m.fifo"});
}

TEST_CASE("master-fifo: a path that is not a FIFO is refused at start-up", "[master_fifo]") {
    const gantry::testing::temp_dir dir;
    const std::string file = dir.write("regular", "x");
    CHECK_THROWS_WITH(check_master_fifos({file}),
                      Contains("--master-fifo") && Contains("a regular file"));
    CHECK_THROWS_WITH(check_master_fifos({(dir.path / "missing/f").string()}),
                      Contains("does not exist"));
    const std::string fifo = (dir.path / "old.fifo").string();
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_NOTHROW(check_master_fifos({fifo, (dir.path / "new.fifo").string()}));
}

TEST_CASE("master-fifo: made 0600, bytes read in order, removed at the end", "[master_fifo]") {
    const gantry::testing::temp_dir dir;
    const std::string path = (dir.path / "m.fifo").string();
    boost::asio::io_context io;
    std::string seen;
    {
        master_fifos fifos(io, {path}, [&](std::size_t index, unsigned char byte) {
            CHECK(index == 0);
            seen += static_cast<char>(byte);
        });
        struct stat st {};
        REQUIRE(lstat(path.c_str(), &st) == 0);
        CHECK(S_ISFIFO(st.st_mode));
        CHECK((st.st_mode & 0777) == 0600);
        fifos.start();
        for (const std::string chunk : {"r+\n", "q"}) {
            const int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK);
            REQUIRE(fd >= 0);
            REQUIRE(write(fd, chunk.data(), chunk.size()) == static_cast<ssize_t>(chunk.size()));
            close(fd);  // the writer going away is no end-of-file: the master holds one too
            for (int i = 0; i < 100 && seen.size() < 4 && !io.stopped(); ++i) {
                io.run_for(std::chrono::milliseconds(10));
            }
        }
        CHECK(seen == "r+\nq");
    }
    CHECK_FALSE(std::filesystem::exists(path));
}
