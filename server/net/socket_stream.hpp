// One accepted connection as the WSGI bridge's byte source and sink. The body bytes that
// arrived with the head are served first, then the socket is read.
//
// A stream either borrows its socket (an HTTP keep-alive connection, which outlives the
// request) or owns it for the whole request, when the connection ends with the response
// (the uwsgi protocol's). An owning stream sends the response's last bytes with MSG_MORE
// and closes the socket as soon as the response is complete, before the application's
// close() runs, so that the tail and the FIN leave in one segment and the front sees the
// end of the response at once.
//
// Reads wait at most --socket-timeout per stall and --body-timeout in all, writes
// --socket-timeout per stall and --send-timeout in all (see io_budget).
#pragma once

#include <cstdint>
#include <span>
#include <utility>

#include "embed/byte_io.hpp"
#include "server/net/io_budget.hpp"
#include "server/net/lingering_closer.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {

class socket_stream final : public embed::byte_source, public embed::byte_sink {
public:
    // Reads and writes `fd`, which stays the caller's and outlives the stream.
    socket_stream(int fd, std::span<const std::byte> already_read,
                  const io_timeouts& timeouts = {}) noexcept
        : fd_(fd),
          pending_(already_read),
          read_budget_(timeouts.body, timeouts.stall),
          send_budget_(timeouts.send, timeouts.stall) {}
    // Owns `conn` until the end of its last request, whose body is `body_length` bytes. The
    // stream closes it itself once the response is complete, unless the app left part of
    // the body unread: then it only shuts its sending side down, and finish() drains the
    // rest and closes. Either way the connection is closed when the stream is destroyed.
    socket_stream(unique_fd conn, std::span<const std::byte> already_read,
                  std::uint64_t body_length, const io_timeouts& timeouts) noexcept
        : owned_(std::move(conn)),
          fd_(owned_.get()),
          pending_(already_read),
          body_length_(body_length),
          read_budget_(timeouts.body, timeouts.stall),
          send_budget_(timeouts.send, timeouts.stall) {}

    std::size_t read_some(std::span<std::byte> into, std::error_code& ec) override;
    void write(std::span<const std::span<const std::byte>> buffers, std::error_code& ec) override;
    void send_file(int fd, std::uint64_t offset, std::uint64_t count, std::error_code& ec) override;
    void write_last(std::span<const std::span<const std::byte>> buffers,
                    std::error_code& ec) override;
    void response_complete() noexcept override;

    // After the application's close(), on an owning stream: closes the connection if it is
    // still open, through `closer` when the app left part of the body unread (PEP 3333 lets
    // it answer without reading it: a 403 to an upload, say).
    void finish(lingering_closer& closer) noexcept;

    // Bytes of the response handed to the socket so far (head included).
    std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }

private:
    void send_all(std::span<const std::span<const std::byte>> buffers, int flags,
                  std::error_code& ec);

    void close_connection() noexcept;
    // The error for a failed send; a client that timed out gets a reset when closed.
    std::error_code send_failed(int err) noexcept;

    unique_fd owned_;  // the connection while an owning stream holds it; empty if borrowed
    int fd_;           // what is read and written: -1 once the stream closed it
    std::span<const std::byte> pending_;
    std::uint64_t bytes_read_ = 0;  // handed out by read_some(): what of the body the app read
    std::uint64_t body_length_ = 0;
    std::uint64_t bytes_sent_ = 0;
    io_budget read_budget_;
    io_budget send_budget_;
};

}  // namespace gantry::server
