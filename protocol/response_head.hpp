// Writes an HTTP/1.x response head (status line and headers) into a reusable buffer,
// refusing anything that could split the response: a control byte other than HT in a value,
// a name that is not an RFC 9110 token, a status that is not a final "NNN Reason" (200-599).
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace gantry::protocol {

class response_head {
public:
    // Forgets the head (no status code, as a new one) and keeps the buffer for the next.
    void clear() noexcept {
        buf_.clear();
        status_code_ = 0;
        fields_ = 0;
    }

    // Starts a new head: `protocol` is e.g. "HTTP/1.1", `status` the WSGI status "200 OK".
    std::error_code start(std::string_view protocol, std::string_view status);

    std::error_code add(std::string_view name, std::string_view value);

    // Ends the head with the blank line and returns it; valid until the next start().
    std::string_view finish();

    // The three digits of the status given to start().
    int status_code() const noexcept { return status_code_; }
    // The header fields added since start(): uWSGI's request log can name their number.
    int fields() const noexcept { return fields_; }

    static bool valid_status(std::string_view status) noexcept;
    static bool valid_name(std::string_view name) noexcept;
    static bool valid_value(std::string_view value) noexcept;

private:
    std::string buf_;
    int status_code_ = 0;
    int fields_ = 0;
};

}  // namespace gantry::protocol
