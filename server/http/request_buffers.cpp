#include "server/http/request_buffers.hpp"

#include <cstring>

namespace gantry::server {

request_buffers::request_buffers(const protocol::http_limits& limits, std::size_t size)
    : parser_(limits), data_(std::make_unique_for_overwrite<std::byte[]>(size)), size_(size) {}

void request_buffers::compact() noexcept {
    std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
}

void request_buffers::reset() {
    parser_.reset();
    begin_ = end_ = 0;
}

}  // namespace gantry::server
