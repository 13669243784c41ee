#include "protocol/http_arena.hpp"

#include <algorithm>
#include <cstring>

namespace gantry::protocol {

std::string_view http_arena::store(std::initializer_list<std::string_view> parts) {
    std::size_t n = 0;
    for (std::string_view part : parts) {
        n += part.size();
    }
    if (n == 0) {
        return {};
    }
    char* const first = allocate(n);
    char* out = first;
    for (std::string_view part : parts) {
        if (!part.empty()) {
            std::memcpy(out, part.data(), part.size());
            out += part.size();
        }
    }
    return {first, n};
}

// Takes the first block from the current one on with room for `n` bytes: the tail of a
// block skipped over is wasted until clear(), which a head of a few KiB can afford.
char* http_arena::allocate(std::size_t n) {
    for (; current_ < blocks_.size(); ++current_, used_ = 0) {
        block& b = blocks_[current_];
        if (b.size - used_ >= n) {
            char* p = b.data.get() + used_;
            used_ += n;
            return p;
        }
    }
    const std::size_t size = std::max(block_size_, n);
    blocks_.push_back({std::make_unique_for_overwrite<char[]>(size), size});
    current_ = blocks_.size() - 1;
    used_ = n;
    return blocks_.back().data.get();
}

std::size_t http_arena::capacity() const noexcept {
    std::size_t total = 0;
    for (const block& b : blocks_) {
        total += b.size;
    }
    return total;
}

}  // namespace gantry::protocol
