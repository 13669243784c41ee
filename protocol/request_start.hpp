// The time a front server took a request, from the header it adds for that purpose
// (X-Request-Start, reaching the app as HTTP_X_REQUEST_START): what the queue-wait
// histogram measures against. Pure parsing, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gantry::protocol {

// Microseconds since the Unix epoch, or nothing for a value that is not one of the forms
// fronts send: "t=1700000000.123" (nginx's $msec: seconds with a fraction), or a whole
// number of seconds, milliseconds or microseconds (told apart by their size, as New
// Relic's agents do), with or without the "t=" prefix.
std::optional<std::int64_t> request_start_us(std::string_view value) noexcept;

}  // namespace gantry::protocol
