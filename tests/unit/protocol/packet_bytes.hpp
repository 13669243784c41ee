// Byte-level helpers shared by the request_parser tests.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gantry::protocol::test {

using bytes = std::vector<std::byte>;

inline bytes to_bytes(std::string_view s) {
    bytes out(s.size());
    std::transform(s.begin(), s.end(), out.begin(), [](char c) { return std::byte(c); });
    return out;
}

inline std::string_view as_text(std::span<const std::byte> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A uwsgi packet: modifier1, datasize (u16 LE), modifier2, then each var as u16 LE lengths
// and bytes.
inline bytes make_packet(std::initializer_list<std::pair<std::string_view, std::string_view>> vars,
                         std::uint8_t modifier1 = 0, std::uint8_t modifier2 = 0) {
    std::string block;
    const auto put_u16 = [&block](std::size_t n) {
        block += static_cast<char>(n & 0xff);
        block += static_cast<char>(n >> 8);
    };
    for (const auto& [key, value] : vars) {
        put_u16(key.size());
        block += key;
        put_u16(value.size());
        block += value;
    }
    std::string packet{static_cast<char>(modifier1), static_cast<char>(block.size() & 0xff),
                       static_cast<char>(block.size() >> 8), static_cast<char>(modifier2)};
    return to_bytes(packet + block);
}

}  // namespace gantry::protocol::test
