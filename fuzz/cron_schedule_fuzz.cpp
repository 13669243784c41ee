// libFuzzer target: cron_schedule::parse and parse_cron_line (--cron "SPEC COMMAND"). A
// schedule that parses is asked whether a few minutes match and for the next due minute,
// from a date taken from the input, and must agree with itself: next_after() is due.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

#include "server/cron/schedule.hpp"

namespace {

using gantry::server::cron_schedule;
using gantry::server::schedule_error;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

// The first bytes, if there are enough, pick a start time between 1970 and 2225.
std::tm start_time(std::string_view in) {
    std::tm t{};
    t.tm_year = 2024 - 1900;
    t.tm_mday = 1;
    if (in.size() >= 5) {
        const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(in[i]); };
        t.tm_year = 70 + byte(0);
        t.tm_mon = byte(1) % 12;
        t.tm_mday = 1 + byte(2) % 31;
        t.tm_hour = byte(3) % 24;
        t.tm_min = byte(4) % 60;
    }
    return t;
}

void exercise(const cron_schedule& s, const std::tm& from) {
    check(!s.describe().empty());
    (void)s.matches(from);
    const auto next = s.next_after(from);
    check(!next || !s.is_interval());
    if (next) {
        check(s.matches(*next));
        // The normalized spec means the same schedule.
        const cron_schedule again = cron_schedule::parse(s.describe());
        check(again.describe() == s.describe() && again.matches(*next));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::tm from = start_time(input);
    try {
        exercise(cron_schedule::parse(input), from);
    } catch (const schedule_error&) {
    }
    try {
        const auto [schedule, command] = gantry::server::parse_cron_line(input);
        check(!command.empty());
        exercise(schedule, from);
    } catch (const schedule_error&) {
    }
    return 0;
}
