// Request bytes made safe for a log line. A uwsgi var may carry CR, LF or any other byte
// (nginx passes them on): written raw, a value could end the line and forge another, and a
// JSON line holding bytes that are not UTF-8 is no longer JSON.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace gantry::server::log {

// Text lines: backslash as \\, CR LF TAB as \r \n \t, every other control byte (and DEL)
// as \xNN; all else, including bytes above 0x7f, as it is.
std::string escaped(std::string_view s);

// An RFC 8259 string, quotes included; a byte that does not start a valid UTF-8 sequence
// is written as \u00XX (the code point of that byte), so that every line parses.
std::string json_string(std::string_view s);

// A request value for fmt: formats as escaped(text).
struct printable {
    std::string_view text;
};

}  // namespace gantry::server::log

template <>
struct fmt::formatter<gantry::server::log::printable> : fmt::formatter<std::string_view> {
    template <typename Context>
    auto format(const gantry::server::log::printable& p, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(gantry::server::log::escaped(p.text), ctx);
    }
};
