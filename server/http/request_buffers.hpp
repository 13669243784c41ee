// The part of an HTTP connection that only a request under way needs: the bytes received
// and not parsed yet, and the parser, which owns the decoded head (about 30 KiB in all).
// An idle keep-alive connection gives them back to its worker's pool and takes some again
// when its next request arrives, so that what it costs while idle is its socket, its
// deadline and a few hundred bytes, not the buffers of a request it may never send.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "protocol/http_request_parser.hpp"

namespace gantry::server {

class request_buffers {
public:
    // `size`: the largest head plus the body that is received before its request is served.
    request_buffers(const protocol::http_limits& limits, std::size_t size);

    protocol::http_request_parser& parser() noexcept { return parser_; }
    const protocol::http_request_parser& parser() const noexcept { return parser_; }

    std::span<const std::byte> unparsed() const noexcept {
        return {data_.get() + begin_, end_ - begin_};
    }
    void consume(std::size_t n) noexcept { begin_ += n; }

    // Where the next bytes received go: the free room after what is unparsed, which is
    // moved to the front first.
    std::span<std::byte> room() noexcept {
        if (begin_ > 0) {
            compact();
        }
        return {data_.get() + end_, size_ - end_};
    }
    void filled(std::size_t n) noexcept { end_ += n; }
    // Unparsed bytes fill the whole buffer: the head under way is too large.
    bool full() const noexcept { return begin_ == 0 && end_ == size_; }

    // As new: no bytes, the parser ready for a request line.
    void reset();

private:
    void compact() noexcept;

    protocol::http_request_parser parser_;
    // Not value-initialised: a page the requests never reach is never made resident.
    std::unique_ptr<std::byte[]> data_;
    std::size_t size_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

}  // namespace gantry::server
