// libFuzzer target: protocol::request_parser, the uwsgi packet decoder. The input is the
// bytes a front server sends; they are fed whole, then a few bytes more per call (the parser
// sees a growing receive buffer, as the worker's reader gives it), and both ways must agree.
// The second way's buffer is reallocated at each step, so a view the parser kept into an
// earlier buffer is a use-after-free that ASan reports.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "protocol/request_parser.hpp"

namespace {

using gantry::protocol::request_parser;

struct outcome {
    std::error_code error;
    bool done = false;
    std::size_t consumed = 0;
    std::size_t head_size = 0;
    std::vector<std::string_view> vars;  // key, value, key, value... into the caller's buffer
};

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

outcome read_whole(request_parser& parser, std::span<const std::byte> data) {
    outcome got;
    got.consumed = parser.feed(data, got.error);
    got.done = parser.done();
    if (!got.error && !got.done) {
        got.error = parser.finish();
    }
    return got;
}

// Byte by byte through the packet header and a little past it, then in 1/32nds of the input:
// copying the buffer at every byte of a 64 KiB head would be quadratic.
outcome read_growing(request_parser& parser, std::span<const std::byte> data,
                     std::vector<std::byte>& buf) {
    outcome got;
    const std::size_t stride = std::max<std::size_t>(1, data.size() / 32);
    for (std::size_t n = 1; n <= data.size() && !got.error && !parser.done();
         n += n < 2 * request_parser::header_size ? 1 : stride) {
        buf = std::vector<std::byte>(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
        got.consumed = parser.feed(buf, got.error);
        check(got.consumed == 0 || parser.done());  // nothing is consumed before the whole head
    }
    if (!got.error && !parser.done() && buf.size() < data.size()) {
        buf.assign(data.begin(), data.end());
        got.consumed = parser.feed(buf, got.error);
    }
    got.done = parser.done();
    if (!got.error && !got.done) {
        got.error = parser.finish();
    }
    return got;
}

void record_vars(const request_parser& parser, outcome& got, std::span<const std::byte> buf) {
    if (!got.done) {
        return;
    }
    check(got.consumed == parser.head_size() && got.consumed <= buf.size());
    const auto* first = reinterpret_cast<const char*>(buf.data());
    for (const auto& v : parser.head().vars) {
        check(!v.key.empty());
        // Views into the caller's buffer, inside the head.
        check(v.key.data() >= first && v.value.data() + v.value.size() <= first + got.consumed);
        got.vars.push_back(v.key);
        got.vars.push_back(v.value);
    }
    (void)parser.head().find("CONTENT_LENGTH");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = std::as_bytes(std::span(data, size));
    request_parser whole_parser;
    outcome whole = read_whole(whole_parser, input);
    record_vars(whole_parser, whole, input);

    request_parser growing_parser;
    std::vector<std::byte> buf;
    outcome growing = read_growing(growing_parser, input, buf);
    record_vars(growing_parser, growing, buf);

    // An error may be seen before the whole head is in, so only success must agree exactly.
    check(whole.done == growing.done);
    if (whole.done) {
        check(whole.consumed == growing.consumed && whole.vars == growing.vars);
        check(whole_parser.head().content_length == growing_parser.head().content_length);
        // The next packet on the connection, after this one's body, starts from scratch.
        const std::size_t next = whole.consumed + static_cast<std::size_t>(std::min<std::uint64_t>(
                                                      whole_parser.head().content_length,
                                                      input.size() - whole.consumed));
        whole_parser.reset();
        std::error_code ec;
        (void)whole_parser.feed(input.subspan(next), ec);
    } else {
        check(whole.error && growing.error);
    }
    return 0;
}
