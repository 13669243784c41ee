// Storage for the strings an HTTP request head decodes into (CGI keys, joined headers,
// the percent-decoded path): append-only blocks that never move, so every view handed out
// stays valid until clear(), and clear() keeps the blocks for the next request.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <vector>

namespace gantry::protocol {

class http_arena {
public:
    static constexpr std::size_t default_block_size = 4096;

    explicit http_arena(std::size_t block_size = default_block_size) noexcept
        : block_size_(block_size) {}

    // Copies the concatenation of `parts` and returns a view of the copy.
    std::string_view store(std::initializer_list<std::string_view> parts);
    std::string_view store(std::string_view s) { return store({s}); }

    // Forgets every string; the memory is kept.
    void clear() noexcept {
        current_ = 0;
        used_ = 0;
    }

    // Bytes held, for tests and the stats of a long-lived connection.
    std::size_t capacity() const noexcept;

private:
    struct block {
        std::unique_ptr<char[]> data;
        std::size_t size;
    };

    char* allocate(std::size_t n);

    std::size_t block_size_;
    std::vector<block> blocks_;
    std::size_t current_ = 0;  // the block being filled
    std::size_t used_ = 0;     // bytes used in it
};

}  // namespace gantry::protocol
