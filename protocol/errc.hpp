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
    invalid_header,        // CR, LF or another forbidden byte in a response header
    invalid_status,        // a response status that is not "NNN reason"
};

const std::error_category& protocol_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), protocol_category()};
}

}  // namespace gantry::protocol

template <>
struct std::is_error_code_enum<gantry::protocol::errc> : std::true_type {};
