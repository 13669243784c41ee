// Who closes a connection, and when: the owning socket_stream of a uwsgi request, the caller
// of a borrowing one. Driven over a socketpair, the peer standing for the front.
#include <fcntl.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "server/net/socket_options.hpp"
#include "server/net/socket_stream.hpp"
#include "server/util/unique_fd.hpp"

using namespace gantry::server;

namespace {

struct connection {
    unique_fd ours;
    unique_fd peer;
};

connection connected() {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    set_io_timeout(fds[1], 1);  // a stream that fails to close fails the test, not hangs it
    return {unique_fd(fds[0]), unique_fd(fds[1])};
}

bool is_open(int fd) {
    return fcntl(fd, F_GETFD) != -1;
}

void answer(socket_stream& stream, std::string_view text) {
    std::error_code ec;
    const std::span<const std::byte> parts[] = {std::as_bytes(std::span(text))};
    stream.write_last(parts, ec);
    REQUIRE(!ec);
    stream.response_complete();
}

// What the peer reads until the end of the stream.
std::string read_all(int fd) {
    std::string out;
    char buf[256];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

}  // namespace

TEST_CASE("unique_fd closes what it holds, once, and release() gives it up") {
    connection c = connected();
    const int fd = c.ours.get();
    unique_fd moved = std::move(c.ours);
    CHECK(!c.ours);
    CHECK(moved.get() == fd);
    const int taken = moved.release();
    CHECK(!moved);
    CHECK(is_open(taken));
    moved.reset(taken);
    moved.reset();
    CHECK(!is_open(fd));
}

TEST_CASE("an owning stream closes the connection when the response is complete") {
    lingering_closer closer;
    connection c = connected();
    const int fd = c.ours.get();
    socket_stream stream(std::move(c.ours), {}, 0, {});
    answer(stream, "done");
    CHECK(!is_open(fd));  // before the app's close() would run
    CHECK(read_all(c.peer.get()) == "done");
    stream.finish(closer);
}

TEST_CASE("an owning stream with an unread body shuts down, and finish() drains and closes") {
    lingering_closer closer;
    connection c = connected();
    const int fd = c.ours.get();
    socket_stream stream(std::move(c.ours), {}, 5, {});
    answer(stream, "403");
    CHECK(is_open(fd));
    CHECK(read_all(c.peer.get()) == "403");  // the FIN came with SHUT_WR
    REQUIRE(send(c.peer.get(), "body!", 5, 0) == 5);
    stream.finish(closer);
    CHECK(!is_open(fd));
}

TEST_CASE("an owning stream closes on destruction if nothing else did") {
    connection c = connected();
    const int fd = c.ours.get();
    { socket_stream stream(std::move(c.ours), {}, 0, {}); }
    CHECK(!is_open(fd));
}

TEST_CASE("a borrowing stream never closes the caller's connection") {
    lingering_closer closer;
    connection c = connected();
    {
        socket_stream stream(c.ours.get(), {});
        answer(stream, "kept");
        stream.finish(closer);
    }
    CHECK(is_open(c.ours.get()));
}

TEST_CASE("a body still coming lingers on the closer's thread until the client closes") {
    lingering_closer closer;
    connection c = connected();
    const int fd = c.ours.get();
    {
        socket_stream stream(std::move(c.ours), {}, 1000, {});
        answer(stream, "413");
        REQUIRE(send(c.peer.get(), "part", 4, 0) == 4);
        stream.finish(closer);  // returns at once: the rest of the body is waited for elsewhere
    }
    CHECK(is_open(fd));
    CHECK(read_all(c.peer.get()) == "413");
    c.peer.reset();  // the client goes: the closer sees the end and closes its side too
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (is_open(fd) && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(!is_open(fd));
}
