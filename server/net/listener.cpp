#include "server/net/listener.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "server/net/socket_options.hpp"

namespace gantry::server {
namespace {

[[noreturn]] void fail(const listen_address& a, std::string_view what, int err) {
    throw std::runtime_error(
        fmt::format("{} {}: {}: {}", a.option, a.text, what, std::strerror(err)));
}

unique_fd bind_tcp(const listen_address& a) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    // ":PORT" means every IPv4 interface, as in uWSGI.
    const std::string host = a.host.empty() ? "0.0.0.0" : a.host;
    const std::string port = std::to_string(a.port);
    if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
        throw std::runtime_error(fmt::format("{} {}: {}", a.option, a.text, gai_strerror(rc)));
    }
    int err = 0;
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        unique_fd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
        if (!fd) {
            err = errno;
            continue;
        }
        const int on = 1;
        setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (bind(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
            freeaddrinfo(found);
            return fd;
        }
        err = errno;
    }
    freeaddrinfo(found);
    fail(a, "cannot bind", err);
}

// A socket file left by a gantry that died is replaced; one that still answers is not.
void remove_stale_socket(const listen_address& a, const sockaddr_un& sun) {
    struct stat st {};
    if (lstat(a.path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
        return;
    }
    const unique_fd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (connect(probe.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) == 0) {
        fail(a, "cannot bind", EADDRINUSE);
    }
    unlink(a.path.c_str());
}

// --chown-socket, on the node bind() made; a symlink swapped in since is changed itself,
// never what it points to.
void chown_node(const listen_address& a, const unix_node& node) {
    if (node.owner == static_cast<uid_t>(-1) && node.group == static_cast<gid_t>(-1)) {
        return;
    }
    if (fchownat(AT_FDCWD, a.path.c_str(), node.owner, node.group, AT_SYMLINK_NOFOLLOW) != 0) {
        const int err = errno;
        unlink(a.path.c_str());
        throw std::runtime_error(
            fmt::format("--chown-socket {}: {}: {}", node.chown_text, a.path, std::strerror(err)));
    }
}

unique_fd bind_unix(const listen_address& a, const unix_node& node) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (a.path.size() >= sizeof sun.sun_path) {
        fail(a, "path too long for a unix socket", ENAMETOOLONG);
    }
    std::memcpy(sun.sun_path, a.path.c_str(), a.path.size() + 1);
    remove_stale_socket(a, sun);
    unique_fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        fail(a, "cannot create socket", errno);
    }
    // --chmod-socket (660 by default: the front's group may connect, others may not) is the
    // umask bind() creates the file under: it never has another mode, and no chmod() by
    // path can be sent elsewhere by a symlink. The master is single-threaded here.
    const mode_t before = umask(static_cast<mode_t>(~node.mode & 0777));
    const int bound = bind(fd.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun);
    const int err = errno;
    umask(before);
    if (bound != 0) {
        fail(a, "cannot bind", err);
    }
    chown_node(a, node);
    return fd;
}

}  // namespace

listener::listener(const listen_address& address, protocol speaks, int backlog, int io_timeout,
                   const unix_node& node, bool defer)
    : address_(address),
      speaks_(speaks),
      fd_(address_.type == listen_address::kind::tcp ? bind_tcp(address_)
                                                     : bind_unix(address_, node)) {
    if (::listen(fd_.get(), backlog) != 0) {
        fail(address_, "cannot listen", errno);  // fd_ closes as the constructor throws
    }
    configure(io_timeout, defer);
}

void listener::configure(int io_timeout, bool defer) noexcept {
    set_io_timeout(fd_.get(), io_timeout);
    if (address_.type == listen_address::kind::tcp) {
        defer_accept(fd_.get(), defer ? io_timeout : 0);  // 0 clears what a replaced master set
    }
}

listener::listener(const listen_address& address, protocol speaks, unique_fd inherited)
    : address_(address), speaks_(speaks), fd_(std::move(inherited)) {}

listener::~listener() {
    if (!fd_) {
        return;  // moved from
    }
    fd_.reset();
    if (address_.type == listen_address::kind::unix_path && !from_systemd_) {
        unlink(address_.path.c_str());
    }
}

}  // namespace gantry::server
