// One accepted connection as the WSGI bridge's byte source and sink. The body bytes that
// arrived with the head are served first, then the socket is read.
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

    // Bytes handed out by read_some() so far: what of the body the app has read.
    std::uint64_t bytes_read() const noexcept { return bytes_read_; }

private:
    int fd_;
    std::span<const std::byte> pending_;
    std::uint64_t bytes_read_ = 0;
};

}  // namespace gantry::server
