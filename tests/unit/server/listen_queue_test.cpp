// The accept queue read from the kernel, on real listeners: connections nobody accepted are
// counted on TCP and on unix sockets alike, and the backlog is the one listen() was given.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "server/net/listen_queue.hpp"
#include "server/util/unique_fd.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace gantry::server;

namespace {

constexpr int backlog = 8;
constexpr std::uint32_t clients = 5;

unique_fd tcp_listener(sockaddr_in& bound) {
    unique_fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    bound = {};
    bound.sin_family = AF_INET;
    bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&bound), sizeof bound) == 0);
    REQUIRE(listen(fd.get(), backlog) == 0);
    socklen_t len = sizeof bound;
    REQUIRE(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len) == 0);
    return fd;
}

unique_fd unix_listener(sockaddr_un& bound, const std::string& path) {
    unique_fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    bound = {};
    bound.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof bound.sun_path);
    std::memcpy(bound.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&bound), sizeof bound) == 0);
    REQUIRE(listen(fd.get(), backlog) == 0);
    return fd;
}

template <typename address>
std::vector<unique_fd> connect_clients(int family, const address& to) {
    std::vector<unique_fd> out;
    for (std::uint32_t i = 0; i < clients; ++i) {
        unique_fd& c = out.emplace_back(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(connect(c.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
    }
    return out;
}

// The loopback handshake's last ACK may still be on its way when connect() returns: the
// queue is given a moment to reach `depth`, never a fixed sleep.
listen_queue queue_when(int fd, std::uint32_t depth) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    listen_queue q = read_listen_queue(fd);
    while (q.depth != depth && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        q = read_listen_queue(fd);
    }
    return q;
}

void check_queue(int listener_fd) {
    listen_queue q = queue_when(listener_fd, clients);
    CHECK(q.known);
    CHECK(q.depth == clients);
    CHECK(q.max == static_cast<std::uint32_t>(backlog));

    const unique_fd accepted(accept4(listener_fd, nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(accepted);
    q = queue_when(listener_fd, clients - 1);
    CHECK(q.known);
    CHECK(q.depth == clients - 1);
    CHECK(q.max == static_cast<std::uint32_t>(backlog));
}

}  // namespace

TEST_CASE("a TCP listener's queue counts the connections nobody accepted") {
    sockaddr_in bound{};
    const unique_fd l = tcp_listener(bound);
    const listen_queue empty = read_listen_queue(l.get());
    CHECK(empty.known);
    CHECK(empty.depth == 0);
    CHECK(empty.max == static_cast<std::uint32_t>(backlog));
    const std::vector<unique_fd> waiting = connect_clients(AF_INET, bound);
    check_queue(l.get());
}

TEST_CASE("a unix listener's queue is the truth, not uWSGI's 0") {
    const gantry::testing::temp_dir dir;
    sockaddr_un bound{};
    const unique_fd l = unix_listener(bound, (dir.path / "q.sock").string());
    const listen_queue empty = read_listen_queue(l.get());
    CHECK(empty.known);
    CHECK(empty.depth == 0);
    CHECK(empty.max == static_cast<std::uint32_t>(backlog));
    const std::vector<unique_fd> waiting = connect_clients(AF_UNIX, bound);
    check_queue(l.get());
}

TEST_CASE("what is not a listening stream socket has no known queue") {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    const unique_fd in(pipe_fds[0]);
    const unique_fd out(pipe_fds[1]);
    CHECK_FALSE(read_listen_queue(in.get()).known);
    CHECK_FALSE(read_listen_queue(-1).known);

    const unique_fd unbound(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const listen_queue q = read_listen_queue(unbound.get());
    CHECK_FALSE(q.known);
    CHECK(q.depth == 0);
    CHECK(q.max == 0);

    int pair[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    const unique_fd a(pair[0]);
    const unique_fd b(pair[1]);
    CHECK_FALSE(read_listen_queue(a.get()).known);
}
