// When a --cron job is due: a parsed crontab line, @alias, @every interval or uWSGI legacy
// numeric spec. Pure: the cron runner reads the clock and converts to local time itself.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace gantry::server {

// A spec that cannot be parsed; what() names the field and the problem, e.g.
// "minute field '61': 61 is out of range 0-59".
struct schedule_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

class cron_schedule {
public:
    // Accepts "m h dom mon dow" (Vixie cron syntax with names), @yearly/@annually, @monthly,
    // @weekly, @daily/@midnight, @hourly, "@every 1h30m", and uWSGI's numeric form where -1
    // is any and -N is "multiple of N" ("-5 -1 -1 -1 -1"). Case-insensitive.
    static cron_schedule parse(std::string_view spec);

    bool is_interval() const noexcept { return interval_.count() > 0; }
    // The @every period; zero for calendar schedules.
    std::chrono::seconds interval() const noexcept { return interval_; }

    // Whether the local-time minute `t` is due. Reads tm_year, tm_mon, tm_mday, tm_hour and
    // tm_min only: the weekday follows from the date. Always false for @every.
    bool matches(const std::tm& t) const noexcept;

    // The first due minute strictly after `t`'s minute (seconds ignored), with tm_wday and
    // tm_yday filled in and tm_isdst = -1 for mktime. Searches 8 years ahead, enough for
    // Feb 29 across 2100; nullopt when nothing matches (Feb 30) and for @every.
    // Wall-clock arithmetic: what a minute skipped or repeated by DST means is the runner's call.
    std::optional<std::tm> next_after(const std::tm& t) const;

    // The spec normalized for logs: lower case, single spaces, "@annually" as "@yearly",
    // "@every 90m" as "@every 1h30m".
    const std::string& describe() const noexcept { return text_; }

private:
    cron_schedule() = default;
    bool day_matches(std::chrono::year_month_day date) const noexcept;

    // One bit per allowed value, indexed minute, hour, day of month (1-31), month (1-12),
    // day of week (Sunday = 0); see `field` in the .cpp.
    std::array<std::uint64_t, 5> bits_{};
    // Vixie cron: a day field starting with '*' (or uWSGI's negative) is unrestricted, and
    // only when both day fields are restricted does a day match when EITHER does.
    bool any_day_of_month_ = true;
    bool any_day_of_week_ = true;
    std::chrono::seconds interval_{0};
    std::string text_;
};

// Splits "--cron 'SPEC COMMAND'": five fields, "@every X" or one @alias, then the command
// (trimmed, required).
std::pair<cron_schedule, std::string> parse_cron_line(std::string_view line);

}  // namespace gantry::server
