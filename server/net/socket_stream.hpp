// One accepted connection as the WSGI bridge's byte source and sink. The body bytes that
// arrived with the head are served first, then the socket is read.
//
// A connection that ends with its response (the uwsgi protocol's) may be handed to the
// stream with end_with_response(): the response's last bytes are then sent with MSG_MORE
// and the socket is closed as soon as the response is complete, before the application's
// close() runs, so that the tail and the FIN leave in one segment and the front sees the
// end of the response at once.
#pragma once

#include <span>

#include "embed/byte_io.hpp"

namespace gantry::server {

class socket_stream final : public embed::byte_source, public embed::byte_sink {
public:
    socket_stream(int fd, std::span<const std::byte> already_read) noexcept
        : fd_(fd), pending_(already_read) {}

    std::size_t read_some(std::span<std::byte> into, std::error_code& ec) override;
    void write(std::span<const std::span<const std::byte>> buffers, std::error_code& ec) override;
    void send_file(int fd, std::uint64_t offset, std::uint64_t count, std::error_code& ec) override;
    void write_last(std::span<const std::span<const std::byte>> buffers,
                    std::error_code& ec) override;
    void response_complete() noexcept override;

    // The connection closes after this response, whose request body is `body_length` bytes.
    // The stream then closes `fd` itself once the response is complete (see closed()),
    // unless the app left part of the body unread: then it only shuts its sending side
    // down, and the caller drains the rest and closes.
    void end_with_response(std::uint64_t body_length) noexcept {
        ends_with_response_ = true;
        body_length_ = body_length;
    }
    // The stream closed the connection: its descriptor is no longer the caller's to close.
    bool closed() const noexcept { return fd_ < 0; }

    // Bytes handed out by read_some() so far: what of the body the app has read.
    std::uint64_t bytes_read() const noexcept { return bytes_read_; }

private:
    void send_all(std::span<const std::span<const std::byte>> buffers, int flags,
                  std::error_code& ec);

    int fd_;
    std::span<const std::byte> pending_;
    std::uint64_t bytes_read_ = 0;
    bool ends_with_response_ = false;
    std::uint64_t body_length_ = 0;
};

}  // namespace gantry::server
