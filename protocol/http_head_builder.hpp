// Turns the parts of an HTTP/1.1 request head, as a parser reports them (request line,
// header lines, end of head), into a request_head whose vars are what nginx's uwsgi_params
// would send, and enforces the header rules that are about meaning rather than syntax
// (Host, Transfer-Encoding, Content-Type). Holds the decoded strings in its arena, so the
// parser's input may be dropped as it is consumed. No Beast here: http_request_parser
// drives it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "protocol/http_arena.hpp"
#include "protocol/http_cgi.hpp"
#include "protocol/request_head.hpp"

namespace gantry::protocol {

class http_head_builder {
public:
    // `version` is 10 or 11.
    std::error_code on_request(std::string_view method, std::string_view target, int version);

    // A header line; its name is a token and its value trimmed (the parser checked both).
    std::error_code on_field(std::string_view name, std::string_view value);

    // The blank line: builds the vars. `content_length` is the checked, single value.
    // The head is complete even when this refuses the body as too large.
    std::error_code on_header_end(std::optional<std::uint64_t> content_length, bool chunked,
                                  std::optional<std::uint64_t> max_body);

    const request_head& head() const noexcept { return head_; }

    void add_var(std::string_view key, std::string_view value) {
        head_.vars.push_back({arena_.store(key), arena_.store(value)});
    }
    // `key` and `value` outlive the head (see http_request_parser::add_lasting_var).
    void add_lasting_var(std::string_view key, std::string_view value) {
        head_.vars.push_back({key, value});
    }

    bool expects_continue() const noexcept { return expect_continue_; }
    bool saw_content_length() const noexcept { return saw_content_length_; }
    bool saw_transfer_encoding() const noexcept { return saw_transfer_encoding_; }

    // Ready for the next head; keeps every buffer's capacity.
    void reset() noexcept;

private:
    std::error_code check_host(http_host& server) const;
    void add_header_vars();

    request_head head_;
    http_arena arena_;
    std::string scratch_;       // where a value is built before the arena gets it
    std::vector<var> headers_;  // HTTP_* key and value per header line, in arrival order
    std::vector<std::size_t> order_;
    std::vector<std::pair<std::size_t, var>> joined_;
    int version_ = 0;
    std::string_view method_, uri_, authority_, host_;
    std::optional<std::string_view> content_type_;
    int host_count_ = 0;
    bool saw_content_length_ = false;
    bool saw_transfer_encoding_ = false;
    bool expect_continue_ = false;
};

}  // namespace gantry::protocol
