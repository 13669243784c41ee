// Sans-I/O decoder of a uwsgi request head: the 4-byte packet header and the vars block.
// The caller owns the receive buffer; the parsed vars are views into it, so nothing is copied.
#pragma once

#include <cstddef>
#include <span>
#include <system_error>

#include "protocol/request_head.hpp"

namespace gantry::protocol {

class request_parser {
public:
    static constexpr std::size_t header_size = 4;
    static constexpr std::size_t default_max_vars = 65535;

    explicit request_parser(std::size_t max_vars_size = default_max_vars) noexcept
        : max_vars_(max_vars_size) {}

    // `data` is every byte received since reset() that feed() has not consumed. Nothing is
    // consumed until the whole head is there (returns 0: need more); then returns the head's
    // size and done() is true. Bytes after the head are the body's. A malformed packet sets
    // `ec` (and may be reported before the head is complete).
    std::size_t feed(std::span<const std::byte> data, std::error_code& ec);

    // Call when the peer closed the connection: the truncation error, or none when done().
    std::error_code finish() const noexcept;

    bool done() const noexcept { return done_; }

    // The head's full size (header + vars block) once the packet header is in, else 0:
    // lets the reader size one read for the rest of the head.
    std::size_t head_size() const noexcept { return head_size_; }

    const request_head& head() const noexcept { return head_; }

    // Ready for the next packet; keeps the vars vector's capacity.
    void reset() noexcept;

private:
    std::error_code check_header(std::span<const std::byte> data);
    std::error_code parse_vars(std::span<const std::byte> block);
    std::error_code parse_content_length();

    std::size_t max_vars_;
    std::size_t head_size_ = 0;
    bool done_ = false;
    request_head head_;
};

}  // namespace gantry::protocol
