// Why a uwsgi packet or a response head was refused. Each malformed case has its own
// code so that the log line says exactly what the peer did wrong.
#pragma once

#include <system_error>

namespace gantry::protocol {

enum class errc {
    truncated_header = 1,  // the peer closed before the 4-byte packet header was complete
    truncated_vars,        // the peer closed inside the vars block
    truncated_key,         // a key length runs past the end of the vars block
    truncated_value,       // a value length runs past the end of the vars block
    empty_key,             // a var with a zero-length key
    vars_too_large,        // datasize above the configured --buffer-size
    bad_content_length,    // CONTENT_LENGTH not a non-negative decimal number
    unsupported_modifier,  // modifier1 other than 0 (WSGI)
    invalid_header,        // a control byte in a response header value, or a bad name
    invalid_status,        // a response status that is not "NNN reason", 200 to 599
    // HTTP/1.1 requests (--http-socket); the comment names the status the server answers.
    http_bad_request,                    // 400: request line or header syntax
    http_header_too_large,               // 431: request line + headers above the limit
    http_body_too_large,                 // 413: body above --limit-post
    http_content_length_with_chunked,    // 400: Content-Length and Transfer-Encoding both sent
    http_unsupported_transfer_encoding,  // 400: a Transfer-Encoding other than "chunked"
    http_bad_chunk,                      // 400: chunk size, extension, CRLF or trailer syntax
    http_bad_host,                       // 400: HTTP/1.1 without Host, Host repeated or invalid
    http_host_mismatch,                  // 400: an absolute-form target names another host
    http_obs_fold,                       // 400: a header line continued on the next (obs-fold)
    http_bare_cr,                        // 400: a CR not followed by LF in the head
    http_nul_in_path,                    // 400: "%00" in the path
    http_unsupported_version,            // 505: not HTTP/1.0 or HTTP/1.1
    http_truncated_head,                 // closed inside the request line or headers
    http_truncated_body,                 // closed inside the body
};

const std::error_category& protocol_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), protocol_category()};
}

}  // namespace gantry::protocol

template <>
struct std::is_error_code_enum<gantry::protocol::errc> : std::true_type {};
