// The two ends of a request as the WSGI bridge sees them: where the body comes from and
// where the response goes. The server implements them over a socket; the bridge never
// sees a file descriptor, so it can be driven from anything that moves bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace gantry::embed {

class byte_source {
public:
    virtual ~byte_source() = default;
    // Blocks until some bytes are there; returns how many were read, 0 at end of stream.
    // Sets `ec` on a timeout or a reset. Called without the GIL.
    virtual std::size_t read_some(std::span<std::byte> into, std::error_code& ec) = 0;
};

class byte_sink {
public:
    virtual ~byte_sink() = default;
    // Writes every byte of every buffer, in order, or sets `ec`. Called without the GIL.
    virtual void write(std::span<const std::span<const std::byte>> buffers,
                       std::error_code& ec) = 0;
    // Sends `count` bytes of the open file `fd` from `offset` (sendfile() where it can).
    virtual void send_file(int fd, std::uint64_t offset, std::uint64_t count,
                           std::error_code& ec) = 0;
    // Writes the response's last bytes. A sink whose connection ends with the response may
    // hold the tail back until response_complete(), so that it leaves with the end of the
    // stream (one TCP segment carrying the data and the FIN instead of two).
    virtual void write_last(std::span<const std::span<const std::byte>> buffers,
                            std::error_code& ec) {
        write(buffers, ec);
    }
    // The whole response was handed over. Called before the application's close() runs
    // (which may take a while: Django's request_finished handlers), so nothing waits on it.
    virtual void response_complete() noexcept {}
};

}  // namespace gantry::embed
