#include "server/net/socket_stream.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server/net/socket_options.hpp"

namespace gantry::server {
namespace {

// A read or write that hit SO_RCVTIMEO / SO_SNDTIMEO reports EAGAIN: call it a timeout.
std::error_code io_error(int err) {
    if (err == EAGAIN || err == EWOULDBLOCK) {
        return std::make_error_code(std::errc::timed_out);
    }
    return {err, std::generic_category()};
}

}  // namespace

std::size_t socket_stream::read_some(std::span<std::byte> into, std::error_code& ec) {
    if (!pending_.empty()) {
        const std::size_t n = std::min(into.size(), pending_.size());
        std::memcpy(into.data(), pending_.data(), n);
        pending_ = pending_.subspan(n);
        bytes_read_ += n;
        return n;
    }
    for (;;) {
        const ssize_t n =
            read_budget_.run(fd_, POLLIN, [&] { return recv(fd_, into.data(), into.size(), 0); });
        if (n >= 0) {
            bytes_read_ += static_cast<std::uint64_t>(n);
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
            ec = io_error(errno);
            return 0;
        }
    }
}

void socket_stream::write(std::span<const std::span<const std::byte>> buffers,
                          std::error_code& ec) {
    send_all(buffers, 0, ec);
}

void socket_stream::write_last(std::span<const std::span<const std::byte>> buffers,
                               std::error_code& ec) {
    // MSG_MORE holds a tail shorter than a segment until response_complete() closes the
    // socket, which sends it with the FIN.
    send_all(buffers, owned_ ? MSG_MORE : 0, ec);
}

void socket_stream::response_complete() noexcept {
    if (!owned_) {
        return;  // borrowed, or already closed
    }
    if (bytes_read_ < body_length_) {
        // Closing with unread bytes would reset the connection: only end the sending side
        // (which flushes the held tail); finish() drains the rest and closes.
        shutdown(fd_, SHUT_WR);
        return;
    }
    close_connection();
}

void socket_stream::finish(lingering_closer& closer) noexcept {
    if (!owned_) {
        return;  // borrowed, or closed by response_complete()
    }
    if (bytes_read_ < body_length_) {
        closer.linger(std::move(owned_), {.max_bytes = body_length_ - bytes_read_});
    }
    close_connection();
}

void socket_stream::close_connection() noexcept {
    owned_.reset();
    fd_ = -1;  // an app reading or writing from its close() gets EBADF, never a reused fd
}

std::error_code socket_stream::send_failed(int err) noexcept {
    const std::error_code ec = io_error(err);
    if (ec == std::errc::timed_out) {
        reset_on_close(fd_);
    }
    return ec;
}

void socket_stream::send_all(std::span<const std::span<const std::byte>> buffers, int flags,
                             std::error_code& ec) {
    constexpr std::size_t max_parts = 8;  // the bridge sends head + one chunk at a time
    if (buffers.size() > max_parts) {
        ec = std::make_error_code(std::errc::argument_list_too_long);
        return;
    }
    iovec iov[max_parts];
    std::size_t count = 0;
    for (const auto& b : buffers) {
        if (!b.empty()) {
            iov[count++] = {const_cast<std::byte*>(b.data()), b.size()};
        }
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    while (msg.msg_iovlen > 0) {
        // MSG_NOSIGNAL: a client that went away is an error code here, never a SIGPIPE.
        ssize_t n = send_budget_.run(fd_, POLLOUT,
                                     [&] { return sendmsg(fd_, &msg, MSG_NOSIGNAL | flags); });
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            ec = send_failed(errno);
            return;
        }
        bytes_sent_ += static_cast<std::uint64_t>(n);
        // Skip what was sent; a partial write leaves the rest of the current part.
        while (n > 0 && msg.msg_iovlen > 0) {
            const std::size_t step = std::min<std::size_t>(n, msg.msg_iov->iov_len);
            msg.msg_iov->iov_base = static_cast<char*>(msg.msg_iov->iov_base) + step;
            msg.msg_iov->iov_len -= step;
            n -= static_cast<ssize_t>(step);
            if (msg.msg_iov->iov_len == 0) {
                ++msg.msg_iov;
                --msg.msg_iovlen;
            }
        }
    }
}

void socket_stream::send_file(int fd, std::uint64_t offset, std::uint64_t count,
                              std::error_code& ec) {
    auto pos = static_cast<off_t>(offset);
    while (count > 0) {
        const ssize_t n =
            send_budget_.run(fd_, POLLOUT, [&] { return sendfile(fd_, fd, &pos, count); });
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            ec = send_failed(errno);
            return;
        }
        if (n == 0) {
            // The file is shorter than it was when its size was taken.
            ec = std::make_error_code(std::errc::io_error);
            return;
        }
        count -= static_cast<std::uint64_t>(n);
        bytes_sent_ += static_cast<std::uint64_t>(n);
    }
}

}  // namespace gantry::server
