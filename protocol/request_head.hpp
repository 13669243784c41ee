// The decoded head of one uwsgi request: its modifiers and vars. Keys and values are views
// into the caller's receive buffer, valid as long as that buffer is left untouched.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace gantry::protocol {

struct var {
    std::string_view key;
    std::string_view value;
};

struct request_head {
    std::uint8_t modifier1 = 0;
    std::uint8_t modifier2 = 0;
    // In packet order; a key may repeat (nginx 1.22 can send a header twice): the last wins.
    std::vector<var> vars;
    // Bytes of body that follow the head; 0 when CONTENT_LENGTH is absent or empty.
    std::uint64_t content_length = 0;
    // HTTP/1.1 "Transfer-Encoding: chunked" (--http-socket only): the body's length is
    // unknown until its last chunk, content_length is 0 and CONTENT_LENGTH absent.
    bool chunked = false;

    // The value of the last var named `key`, if any.
    std::optional<std::string_view> find(std::string_view key) const noexcept {
        for (auto it = vars.rbegin(); it != vars.rend(); ++it) {
            if (it->key == key) {
                return it->value;
            }
        }
        return std::nullopt;
    }
};

}  // namespace gantry::protocol
