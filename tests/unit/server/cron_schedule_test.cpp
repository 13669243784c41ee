#include <catch2/catch.hpp>

#include <array>
#include <chrono>

#include <fmt/format.h>

#include "server/cron/schedule.hpp"

using namespace gantry::server;
using namespace std::chrono_literals;

namespace {

std::tm at(int year, int month, int day, int hour, int minute, int second = 0) {
    std::tm t{};
    t.tm_year = year - 1900;
    t.tm_mon = month - 1;
    t.tm_mday = day;
    t.tm_hour = hour;
    t.tm_min = minute;
    t.tm_sec = second;
    t.tm_isdst = -1;
    return t;
}

// "2028-02-29 00:00 Tue", from the fields next_after fills in, so tm_wday is checked too.
std::string show(const std::optional<std::tm>& t) {
    if (!t) {
        return "never";
    }
    constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} {}", t->tm_year + 1900, t->tm_mon + 1,
                       t->tm_mday, t->tm_hour, t->tm_min, days.at(t->tm_wday));
}

bool due(std::string_view spec, const std::tm& t) {
    return cron_schedule::parse(spec).matches(t);
}

std::string next(std::string_view spec, const std::tm& t) {
    return show(cron_schedule::parse(spec).next_after(t));
}

std::string parse_error(std::string_view spec) {
    try {
        cron_schedule::parse(spec);
    } catch (const schedule_error& e) {
        return e.what();
    }
    return "no error";
}

std::string line_error(std::string_view line) {
    try {
        parse_cron_line(line);
    } catch (const schedule_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("numbers, lists, ranges and steps select minutes and hours", "[cron]") {
    // 2026-03-02 is a Monday.
    const auto office = cron_schedule::parse("*/15 9-17 * * mon-fri");
    CHECK(office.matches(at(2026, 3, 2, 9, 0)));
    CHECK(office.matches(at(2026, 3, 2, 9, 45)));
    CHECK(office.matches(at(2026, 3, 2, 17, 45)));
    CHECK_FALSE(office.matches(at(2026, 3, 2, 9, 5)));
    CHECK_FALSE(office.matches(at(2026, 3, 2, 8, 45)));
    CHECK_FALSE(office.matches(at(2026, 3, 2, 18, 0)));
    CHECK_FALSE(office.matches(at(2026, 3, 7, 9, 0)));  // Saturday

    const auto list = cron_schedule::parse("0,5,10-12,50-59/3 * * * *");
    for (int minute : {0, 5, 10, 11, 12, 50, 53, 56, 59}) {
        CHECK(list.matches(at(2026, 3, 2, 4, minute)));
    }
    for (int minute : {1, 9, 13, 49, 51, 58}) {
        CHECK_FALSE(list.matches(at(2026, 3, 2, 4, minute)));
    }
    CHECK(due("30 4 1 1 *", at(2026, 1, 1, 4, 30)));
    CHECK_FALSE(due("30 4 1 1 *", at(2026, 2, 1, 4, 30)));
}

TEST_CASE("a/n runs from a to the field's maximum, as in Vixie cron", "[cron]") {
    for (int minute : {5, 25, 45}) {
        CHECK(due("5/20 * * * *", at(2026, 5, 5, 10, minute)));
    }
    for (int minute : {0, 20, 40, 46}) {
        CHECK_FALSE(due("5/20 * * * *", at(2026, 5, 5, 10, minute)));
    }
    CHECK(due("0 */7 * * *", at(2026, 5, 5, 21, 0)));
    CHECK_FALSE(due("0 */7 * * *", at(2026, 5, 5, 22, 0)));
    CHECK(due("0 0 * */5 *", at(2026, 11, 1, 0, 0)));  // months 1, 6, 11
    CHECK_FALSE(due("0 0 * */5 *", at(2026, 5, 1, 0, 0)));
    CHECK(due("0 0 * * */90", at(2026, 3, 1, 0, 0)));  // a step past the range: Sunday only
}

TEST_CASE("month and weekday names work in any case, alone, in lists and ranges", "[cron]") {
    const auto summer = cron_schedule::parse("0 12 * JUN-Aug,dec Mon,wed-FRI");
    CHECK(summer.matches(at(2026, 6, 1, 12, 0)));        // Monday
    CHECK(summer.matches(at(2026, 8, 14, 12, 0)));       // Friday
    CHECK(summer.matches(at(2026, 12, 3, 12, 0)));       // Thursday
    CHECK_FALSE(summer.matches(at(2026, 6, 2, 12, 0)));  // Tuesday
    CHECK_FALSE(summer.matches(at(2026, 9, 7, 12, 0)));  // September
    CHECK_FALSE(summer.matches(at(2026, 6, 6, 12, 0)));  // Saturday
    CHECK(summer.describe() == "0 12 * jun-aug,dec mon,wed-fri");
}

TEST_CASE("weekday 0 and 7 are both Sunday, and sun ends a range as 7", "[cron]") {
    const auto sunday = at(2026, 3, 1, 0, 0);
    const auto monday = at(2026, 3, 2, 0, 0);
    CHECK(due("0 0 * * 0", sunday));
    CHECK(due("0 0 * * 7", sunday));
    CHECK(due("0 0 * * SUN", sunday));
    CHECK_FALSE(due("0 0 * * 7", monday));
    CHECK(due("0 0 * * 5-7", sunday));
    CHECK(due("0 0 * * fri-sun", sunday));
    CHECK_FALSE(due("0 0 * * fri-sun", monday));
    CHECK(due("0 0 * * sat-sun", at(2026, 2, 28, 0, 0)));
}

TEST_CASE("day of month and weekday: EITHER when both are restricted, else both", "[cron]") {
    const auto friday_14th = at(2026, 8, 14, 0, 0);
    const auto tuesday_13th = at(2026, 10, 13, 0, 0);
    const auto friday_13th = at(2026, 2, 13, 0, 0);
    const auto wednesday_14th = at(2026, 10, 14, 0, 0);

    CHECK(due("0 0 13 * fri", friday_14th));
    CHECK(due("0 0 13 * fri", tuesday_13th));
    CHECK(due("0 0 13 * fri", friday_13th));
    CHECK_FALSE(due("0 0 13 * fri", wednesday_14th));

    CHECK(due("0 0 * * fri", friday_14th));
    CHECK_FALSE(due("0 0 * * fri", tuesday_13th));
    CHECK(due("0 0 13 * *", tuesday_13th));
    CHECK_FALSE(due("0 0 13 * *", friday_14th));

    // Vixie cron: a field that starts with '*' is unrestricted even with a step.
    CHECK(due("0 0 */2 * fri", friday_13th));
    CHECK_FALSE(due("0 0 */2 * fri", friday_14th));
    CHECK_FALSE(due("0 0 */2 * fri", at(2026, 10, 15, 0, 0)));  // odd day, Thursday

    CHECK(next("0 0 13 * fri", at(2026, 8, 13, 12, 0)) == "2026-08-14 00:00 Fri");
    CHECK(next("0 0 13 * fri", at(2026, 10, 9, 0, 0)) == "2026-10-13 00:00 Tue");
}

TEST_CASE("next_after crosses month ends, year ends and leap days", "[cron]") {
    CHECK(next("* * * * *", at(2026, 12, 31, 23, 59)) == "2027-01-01 00:00 Fri");
    CHECK(next("0 0 * * *", at(2026, 12, 31, 23, 59)) == "2027-01-01 00:00 Fri");
    CHECK(next("* * * * *", at(2026, 1, 31, 23, 59)) == "2026-02-01 00:00 Sun");
    CHECK(next("* * * * *", at(2026, 2, 28, 23, 59)) == "2026-03-01 00:00 Sun");
    CHECK(next("* * * * *", at(2028, 2, 28, 23, 59)) == "2028-02-29 00:00 Tue");
    CHECK(next("0 0 31 * *", at(2026, 1, 31, 0, 0)) == "2026-03-31 00:00 Tue");
    CHECK(next("59 23 31 12 *", at(2026, 1, 1, 0, 0)) == "2026-12-31 23:59 Thu");
    CHECK(next("0 0 1 1 *", at(2026, 12, 31, 23, 59)) == "2027-01-01 00:00 Fri");

    CHECK(due("0 0 29 2 *", at(2028, 2, 29, 0, 0)));
    CHECK_FALSE(due("0 0 29 2 *", at(2027, 3, 1, 0, 0)));
    CHECK(next("0 0 29 2 *", at(2026, 3, 1, 0, 0)) == "2028-02-29 00:00 Tue");
    // 2100 is not a leap year, so the next Feb 29 after 2096's is eight years on.
    CHECK(next("0 0 29 2 *", at(2096, 3, 1, 0, 0)) == "2104-02-29 00:00 Fri");

    const auto leap = cron_schedule::parse("0 0 29 2 *").next_after(at(2026, 3, 1, 0, 0));
    REQUIRE(leap);
    CHECK(leap->tm_yday == 59);
    CHECK(leap->tm_sec == 0);
    CHECK(leap->tm_isdst == -1);
}

TEST_CASE("next_after is strictly after the given minute and ignores seconds", "[cron]") {
    CHECK(next("0 10 * * *", at(2026, 3, 2, 10, 0, 0)) == "2026-03-03 10:00 Tue");
    CHECK(next("0 10 * * *", at(2026, 3, 2, 10, 0, 59)) == "2026-03-03 10:00 Tue");
    CHECK(next("0 10 * * *", at(2026, 3, 2, 9, 59, 59)) == "2026-03-02 10:00 Mon");
    CHECK(next("30 9,17 * * *", at(2026, 3, 2, 9, 31)) == "2026-03-02 17:30 Mon");
    CHECK(next("*/20 * * * *", at(2026, 3, 2, 23, 41)) == "2026-03-03 00:00 Tue");
    // Out-of-range fields are normalised as mktime would: 24:00 on the 2nd is the 3rd.
    CHECK(next("* * * * *", at(2026, 3, 2, 24, 0)) == "2026-03-03 00:01 Tue");
    CHECK(next("* * * * *", at(2026, 13, 1, 0, 0)) == "2027-01-01 00:01 Fri");
}

TEST_CASE("next_after agrees with checking every minute with matches()", "[cron]") {
    namespace chr = std::chrono;
    const auto specs = {"*/7 */5 * * *",   "0 0 13 * fri", "15 3 */10 * mon-wed",
                        "0 0 29 2 *",      "59 23 * 12 *", "0 12 1,15 jan,mar *",
                        "-10 -1 -2 -1 -1", "@weekly",      "0 6 * * 7"};
    constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    const chr::sys_days first{chr::year{2027} / chr::December / 20};
    const chr::sys_days last{chr::year{2028} / chr::March / 5};
    for (const auto* spec : specs) {
        CAPTURE(spec);
        const auto schedule = cron_schedule::parse(spec);
        // Walking backwards, `expected` is always the next due minute after the current one.
        std::string expected;
        for (auto day = last; day >= first; day -= chr::days{1}) {
            const chr::year_month_day ymd{day};
            const int y = static_cast<int>(ymd.year());
            const auto m = static_cast<int>(static_cast<unsigned>(ymd.month()));
            const auto d = static_cast<int>(static_cast<unsigned>(ymd.day()));
            for (int minute = 24 * 60 - 1; minute >= 0; --minute) {
                const auto t = at(y, m, d, minute / 60, minute % 60);
                if (!expected.empty()) {
                    REQUIRE(show(schedule.next_after(t)) == expected);
                }
                if (schedule.matches(t)) {
                    expected = fmt::format("{:04}-{:02}-{:02} {:02}:{:02} {}", y, m, d, minute / 60,
                                           minute % 60, days.at(chr::weekday{day}.c_encoding()));
                }
            }
        }
        CHECK_FALSE(expected.empty());
    }
}

TEST_CASE("a spec that can never match gives no next time", "[cron]") {
    CHECK(next("0 0 30 2 *", at(2026, 1, 1, 0, 0)) == "never");
    CHECK(next("0 0 31 4,6,9,11 *", at(2026, 1, 1, 0, 0)) == "never");
    // With a weekday too, the OR rule still finds a day.
    CHECK(next("0 0 31 4 mon", at(2026, 1, 1, 0, 0)) == "2026-04-06 00:00 Mon");
    CHECK_FALSE(due("0 0 31 4 *", at(2026, 4, 31, 0, 0)));  // no such date
}

TEST_CASE("uWSGI's numeric form: -1 is any, -N a multiple of N", "[cron]") {
    const auto five_minutes = cron_schedule::parse("-5 -1 -1 -1 -1");
    for (int minute : {0, 5, 30, 55}) {
        CHECK(five_minutes.matches(at(2026, 7, 4, 13, minute)));
    }
    CHECK_FALSE(five_minutes.matches(at(2026, 7, 4, 13, 7)));
    CHECK(next("-5 -1 -1 -1 -1", at(2026, 12, 31, 23, 55)) == "2027-01-01 00:00 Fri");

    CHECK(next("0 -1 -1 -1 -1", at(2026, 7, 4, 13, 0)) == "2026-07-04 14:00 Sat");
    CHECK(next("0 -1 -1 -1 -1", at(2026, 7, 4, 13, 1)) == "2026-07-04 14:00 Sat");
    // The examples from uWSGI's documentation.
    CHECK(next("59 2 -1 -1 -1", at(2026, 7, 4, 3, 0)) == "2026-07-05 02:59 Sun");
    CHECK(next("9 11 -1 -1 2", at(2026, 7, 4, 0, 0)) == "2026-07-07 11:09 Tue");
    CHECK(due("0 5 1 -1 -1", at(2026, 7, 1, 5, 0)));

    CHECK(due("0 -6 -1 -1 -1", at(2026, 7, 4, 18, 0)));
    CHECK_FALSE(due("0 -6 -1 -1 -1", at(2026, 7, 4, 19, 0)));
    // uWSGI tests `month % N == 0` on 1-based months and days, unlike crontab's */N.
    for (int month : {3, 6, 9, 12}) {
        CHECK(due("0 0 1 -3 -1", at(2026, month, 1, 0, 0)));
    }
    CHECK_FALSE(due("0 0 1 -3 -1", at(2026, 1, 1, 0, 0)));
    CHECK(due("0 0 -2 -1 -1", at(2026, 7, 2, 0, 0)));
    CHECK_FALSE(due("0 0 -2 -1 -1", at(2026, 7, 1, 0, 0)));

    CHECK(due("0 0 -1 -1 7", at(2026, 3, 1, 0, 0)));  // 7 is Sunday here too
    CHECK(due("0 0 -1 -1 -7", at(2026, 3, 1, 0, 0)));
    CHECK_FALSE(due("0 0 -1 -1 -7", at(2026, 3, 7, 0, 0)));
    // Plain day and weekday are ORed, as in crontab; a -N day is not restricted.
    CHECK(due("0 0 13 -1 5", at(2026, 8, 14, 0, 0)));
    CHECK(due("0 0 13 -1 5", at(2026, 10, 13, 0, 0)));
    CHECK_FALSE(due("0 0 -1 -1 5", at(2026, 10, 13, 0, 0)));
    CHECK(cron_schedule::parse("-5  -1 -1 -1 -1").describe() == "-5 -1 -1 -1 -1");

    CHECK(parse_error("-5 * * * *") ==
          "hour field '*': uWSGI-style schedules take only numbers, -1 (any) or -N (every N)");
    CHECK(parse_error("-61 -1 -1 -1 -1") == "minute field '-61': every N must be 1-59");
    CHECK(parse_error("-0 -1 -1 -1 -1") == "minute field '-0': every N must be 1-59");
    CHECK(parse_error("0 -1 32 -1 -1") == "day-of-month field '32': 32 is out of range 1-31");
}

TEST_CASE("@every takes seconds, minutes, hours and combinations", "[cron]") {
    const auto ten = cron_schedule::parse("@every 10s");
    CHECK(ten.is_interval());
    CHECK(ten.interval() == 10s);
    CHECK(ten.describe() == "@every 10s");
    CHECK_FALSE(ten.matches(at(2026, 1, 1, 0, 0)));
    CHECK(ten.next_after(at(2026, 1, 1, 0, 0)) == std::nullopt);

    CHECK(cron_schedule::parse("@every 5m").interval() == 5min);
    CHECK(cron_schedule::parse("@every 2h").interval() == 2h);
    CHECK(cron_schedule::parse("@EVERY 1H30M").interval() == 90min);
    CHECK(cron_schedule::parse("@every 1h0m5s").interval() == 3605s);
    CHECK(cron_schedule::parse("@every 1s").interval() == 1s);
    CHECK(cron_schedule::parse("@every 90m").describe() == "@every 1h30m");
    CHECK(cron_schedule::parse("@every 3600s").describe() == "@every 1h");
    CHECK(cron_schedule::parse("@every 61s").describe() == "@every 1m1s");
    CHECK(cron_schedule::parse("@every 8784h").interval() == 8784h);

    CHECK_FALSE(cron_schedule::parse("* * * * *").is_interval());
    CHECK(cron_schedule::parse("* * * * *").interval() == 0s);

    CHECK(parse_error("@every 0s") == "@every '0s': interval must be at least 1s");
    CHECK(parse_error("@every 0h0m") == "@every '0h0m': interval must be at least 1s");
    for (const auto* bad : {"10", "5x", "30m1h", "1h1h", "m", "1h30", "1.5h", "-5m"}) {
        CHECK(parse_error(fmt::format("@every {}", bad)) ==
              fmt::format("@every '{}': expected numbers with units h, m, s in that order, as in "
                          "1h30m",
                          bad));
    }
    CHECK(parse_error("@every 8785h") == "@every '8785h': interval must be at most 8784h");
    CHECK(parse_error("@every 99999999999999999999s") ==
          "@every '99999999999999999999s': interval must be at most 8784h");
    CHECK(parse_error("@every") ==
          "@every takes one interval, such as '@every 10s', '@every 5m' or '@every 1h30m'");
    CHECK(parse_error("@every 1h 30m") == parse_error("@every"));
}

TEST_CASE("@yearly, @monthly, @weekly, @daily and @hourly and their synonyms", "[cron]") {
    const auto from = at(2026, 7, 4, 13, 20);  // a Saturday
    CHECK(next("@yearly", from) == "2027-01-01 00:00 Fri");
    CHECK(next("@annually", from) == "2027-01-01 00:00 Fri");
    CHECK(next("@monthly", from) == "2026-08-01 00:00 Sat");
    CHECK(next("@weekly", from) == "2026-07-05 00:00 Sun");
    CHECK(next("@daily", from) == "2026-07-05 00:00 Sun");
    CHECK(next("@midnight", from) == "2026-07-05 00:00 Sun");
    CHECK(next("@hourly", from) == "2026-07-04 14:00 Sat");
    CHECK(due("@Hourly", at(2026, 7, 4, 13, 0)));
    CHECK_FALSE(due("@hourly", at(2026, 7, 4, 13, 1)));
    CHECK_FALSE(cron_schedule::parse("@daily").is_interval());

    CHECK(cron_schedule::parse("@annually").describe() == "@yearly");
    CHECK(cron_schedule::parse(" @MIDNIGHT ").describe() == "@daily");
}

TEST_CASE("describe() normalises case and spacing", "[cron]") {
    CHECK(cron_schedule::parse("  0\t 0 * *  MON-FRI ").describe() == "0 0 * * mon-fri");
    CHECK(cron_schedule::parse("*/5 * * * *").describe() == "*/5 * * * *");
    // Options keep describe()'s text and the cron runner parses it again.
    for (const auto* spec : {"0 12 * JUN-Aug Mon", "@Annually", "@every 90m", "-5 -1 -2 -1 -1"}) {
        const auto once = cron_schedule::parse(spec);
        const auto twice = cron_schedule::parse(once.describe());
        CHECK(twice.describe() == once.describe());
        CHECK(twice.interval() == once.interval());
        CHECK(show(twice.next_after(at(2026, 7, 4, 13, 20))) ==
              show(once.next_after(at(2026, 7, 4, 13, 20))));
    }
}

TEST_CASE("a bad spec says which field is wrong and why", "[cron]") {
    CHECK(parse_error("61 * * * *") == "minute field '61': 61 is out of range 0-59");
    CHECK(parse_error("0 24 * * *") == "hour field '24': 24 is out of range 0-23");
    CHECK(parse_error("0 0 0 * *") == "day-of-month field '0': 0 is out of range 1-31");
    CHECK(parse_error("0 0 * 13 *") == "month field '13': 13 is out of range 1-12");
    CHECK(parse_error("0 0 * * 8") == "day-of-week field '8': 8 is out of range 0-7");
    CHECK(parse_error("1,61 * * * *") == "minute field '1,61': 61 is out of range 0-59");
    CHECK(parse_error("*/0 * * * *") == "minute field '*/0': step '0' must be a number from 1 up");
    CHECK(parse_error("*/ * * * *") == "minute field '*/': step '' must be a number from 1 up");
    CHECK(parse_error("0 5-3 * * *") == "hour field '5-3': range '5-3' runs backwards");
    CHECK(parse_error("0 0 * * fri-mon") ==
          "day-of-week field 'fri-mon': range 'fri-mon' runs backwards");
    CHECK(parse_error("0 0 1 jan- *") ==
          "month field 'jan-': range 'jan-' needs a start and an end");
    CHECK(parse_error("0 0 1 1,-3 *") == "month field '1,-3': range '-3' needs a start and an end");
    CHECK(parse_error("0 0 1 january *") ==
          "month field 'january': unknown name 'january' (expected jan-dec)");
    CHECK(parse_error("0 0 * * funday") ==
          "day-of-week field 'funday': unknown name 'funday' (expected sun-sat)");
    CHECK(parse_error("jan * * * *") == "minute field 'jan': 'jan' is not a number");
    CHECK(parse_error("1,,2 * * * *") == "minute field '1,,2': empty list item");
    CHECK(parse_error("99999999999 * * * *") ==
          "minute field '99999999999': 99999999999 is out of range 0-59");
    CHECK(parse_error("") == "empty schedule");
    CHECK(parse_error(" \t ") == "empty schedule");
    CHECK(parse_error("0 0 * *") ==
          "expected 5 fields (minute hour day-of-month month day-of-week), got 4 in '0 0 * *'");
    CHECK(parse_error("0 */5 * * * *") ==
          "expected 5 fields (minute hour day-of-month month day-of-week), got 6 in "
          "'0 */5 * * * *'; there is no seconds field");
    CHECK(parse_error("@reboot") ==
          "unknown schedule '@reboot' (expected @yearly, @annually, @monthly, @weekly, @daily, "
          "@midnight, @hourly or @every)");
    CHECK(parse_error("@daily 5") == "'@daily' takes nothing after it, got '5'");
}

TEST_CASE("a --cron line splits into the schedule and the command", "[cron]") {
    auto [every_five, backup] = parse_cron_line("*/5 * * * * /usr/bin/backup --all");
    CHECK(every_five.describe() == "*/5 * * * *");
    CHECK(backup == "/usr/bin/backup --all");

    auto [ten_seconds, echo] = parse_cron_line("  @every 10s \t echo  'two  spaces'  ");
    CHECK(ten_seconds.interval() == 10s);
    CHECK(echo == "echo  'two  spaces'");

    auto [daily, vacuum] = parse_cron_line("@DAILY ./manage.py clearsessions");
    CHECK(daily.describe() == "@daily");
    CHECK(vacuum == "./manage.py clearsessions");

    auto [legacy, home] = parse_cron_line("59 2 -1 -1 -1 /usr/bin/backup_my_home --recursive /");
    CHECK(legacy.matches(at(2026, 7, 4, 2, 59)));
    CHECK(home == "/usr/bin/backup_my_home --recursive /");

    auto [tabs, touch] = parse_cron_line("0\t0\t1\t*\tmon\ttouch /tmp/x");
    CHECK(tabs.describe() == "0 0 1 * mon");
    CHECK(touch == "touch /tmp/x");

    CHECK(line_error("* * * * *") == "missing command after '* * * * *'");
    CHECK(line_error("* * * * *   ") == "missing command after '* * * * *'");
    CHECK(line_error("@every 5m") == "missing command after '@every 5m'");
    CHECK(line_error("@hourly") == "missing command after '@hourly'");
    CHECK(line_error("") == "empty schedule");
    CHECK(line_error("0 */5 * * * *") ==
          "'*' after '0 */5 * * *' looks like part of the schedule, not a command");
    CHECK(line_error("-5 -1 -1 -1 -1 -1") ==
          "'-1' after '-5 -1 -1 -1 -1' looks like part of the schedule, not a command");
    CHECK(line_error("@every 1h 30m /bin/true") ==
          "'30m' after '@every 1h' looks like part of the schedule, not a command");
    CHECK(parse_cron_line("@every 1h sh -c true").second == "sh -c true");
    CHECK(parse_cron_line("@hourly 5minutes.sh").second == "5minutes.sh");
    CHECK(line_error("0 0 * * echo hi") ==
          "day-of-week field 'echo': unknown name 'echo' (expected sun-sat)");
    CHECK(line_error("61 * * * * true") == "minute field '61': 61 is out of range 0-59");
    CHECK(line_error("@every 0s true") == "@every '0s': interval must be at least 1s");
    CHECK(line_error("@every") ==
          "@every takes one interval, such as '@every 10s', '@every 5m' or '@every 1h30m'");
}
