#include "server/cron/schedule.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <span>
#include <vector>

#include <fmt/format.h>

namespace gantry::server {
namespace {

namespace chr = std::chrono;

enum field : std::size_t { minute_field, hour_field, day_field, month_field, weekday_field };

struct field_spec {
    std::string_view name;
    int min;
    int max;
    std::span<const std::string_view> names;  // names[i] stands for min + i
    std::string_view names_hint;
};

constexpr std::array<std::string_view, 12> month_names{"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> weekday_names{"sun", "mon", "tue", "wed",
                                                        "thu", "fri", "sat"};

// Weekday takes 0-7 because crontab(5) accepts both 0 and 7 for Sunday.
constexpr std::array<field_spec, 5> field_specs{{
    {"minute", 0, 59, {}, {}},
    {"hour", 0, 23, {}, {}},
    {"day-of-month", 1, 31, {}, {}},
    {"month", 1, 12, month_names, "jan-dec"},
    {"day-of-week", 0, 7, weekday_names, "sun-sat"},
}};

struct alias {
    std::string_view name, canonical, fields;
};

constexpr std::array<alias, 7> aliases{{
    {"@yearly", "@yearly", "0 0 1 1 *"},
    {"@annually", "@yearly", "0 0 1 1 *"},
    {"@monthly", "@monthly", "0 0 1 * *"},
    {"@weekly", "@weekly", "0 0 * * 0"},
    {"@daily", "@daily", "0 0 * * *"},
    {"@midnight", "@daily", "0 0 * * *"},
    {"@hourly", "@hourly", "0 * * * *"},
}};

// Long enough for the longest gap a satisfiable spec can have: Feb 29 2096 to Feb 29 2104.
constexpr int search_days = 8 * 366;
// A bound that keeps "now + interval" far from overflowing any clock the runner uses.
constexpr std::int64_t max_interval_s = std::int64_t{366} * 24 * 3600;

constexpr std::array<std::pair<char, std::int64_t>, 3> interval_units{
    {{'h', 3600}, {'m', 60}, {'s', 1}}};

constexpr std::string_view whitespace = " \t\r\n\v\f";

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
    throw schedule_error(fmt::format(format, std::forward<Args>(args)...));
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return out;
}

std::vector<std::string_view> split_whitespace(std::string_view text) {
    std::vector<std::string_view> tokens;
    for (auto start = text.find_first_not_of(whitespace); start != std::string_view::npos;
         start = text.find_first_not_of(whitespace, start)) {
        const auto end = std::min(text.find_first_of(whitespace, start), text.size());
        tokens.push_back(text.substr(start, end - start));
        start = end;
    }
    return tokens;
}

bool made_of(std::string_view text, std::string_view chars) {
    return text.find_first_not_of(chars) == std::string_view::npos;
}

bool all_digits(std::string_view text) {
    return !text.empty() && made_of(text, "0123456789");
}

// uWSGI's numeric form is recognised by a negative field, which crontab syntax never has.
bool is_negative_number(std::string_view text) {
    return text.size() > 1 && text[0] == '-' && all_digits(text.substr(1));
}

// Only plain digits: from_chars alone would take a sign.
std::optional<int> to_int(std::string_view digits) {
    int value = 0;
    const char* end = digits.data() + digits.size();
    if (!all_digits(digits) || std::from_chars(digits.data(), end, value).ec != std::errc{}) {
        return std::nullopt;
    }
    return value;
}

// One crontab field: a comma list of `*`, `n`, `a-b`, each optionally `/step`.
class field_parser {
public:
    field_parser(const field_spec& spec, std::string_view text) : spec_(spec), text_(text) {}

    std::uint64_t parse() const {
        std::uint64_t bits = 0;
        std::string_view rest = text_;
        for (auto comma = rest.find(',');; comma = rest.find(',')) {
            bits |= item(rest.substr(0, comma));
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
        return bits;
    }

    template <typename... Args>
    [[noreturn]] void fail_with(fmt::format_string<Args...> format, Args&&... args) const {
        fail("{} field '{}': {}", spec_.name, text_,
             fmt::format(format, std::forward<Args>(args)...));
    }

private:
    std::uint64_t item(std::string_view text) const {
        if (text.empty()) {
            fail_with("empty list item");
        }
        int step = 1;
        const auto slash = text.find('/');
        if (slash != std::string_view::npos) {
            const auto step_text = text.substr(slash + 1);
            const auto parsed = to_int(step_text);
            if (!parsed || *parsed < 1) {
                fail_with("step '{}' must be a number from 1 up", step_text);
            }
            step = *parsed;
            text = text.substr(0, slash);
        }
        auto [low, high] = bounds(text);
        // Vixie cron reads `a/n` as `a-max/n`.
        if (slash != std::string_view::npos && text.find('-') == std::string_view::npos) {
            high = spec_.max;
        }
        std::uint64_t bits = 0;
        for (int v = low; v <= high; v += step) {
            bits |= std::uint64_t{1} << v;
        }
        return bits;
    }

    std::pair<int, int> bounds(std::string_view text) const {
        if (text == "*") {
            return {spec_.min, spec_.max};
        }
        const auto dash = text.find('-');
        if (dash == std::string_view::npos) {
            const int v = value(text, false);
            return {v, v};
        }
        if (dash == 0 || dash + 1 == text.size()) {
            fail_with("range '{}' needs a start and an end", text);
        }
        const int low = value(text.substr(0, dash), false);
        const int high = value(text.substr(dash + 1), true);
        if (low > high) {
            fail_with("range '{}' runs backwards", text);
        }
        return {low, high};
    }

    int value(std::string_view token, bool range_end) const {
        if (all_digits(token)) {
            const auto v = to_int(token);
            if (!v || *v < spec_.min || *v > spec_.max) {
                fail_with("{} is out of range {}-{}", token, spec_.min, spec_.max);
            }
            return *v;
        }
        const auto found = std::find(spec_.names.begin(), spec_.names.end(), token);
        if (found != spec_.names.end()) {
            const int v = spec_.min + static_cast<int>(found - spec_.names.begin());
            // So that `fri-sun` means Friday to Sunday rather than a backwards range.
            return range_end && v == 0 ? 7 : v;
        }
        if (spec_.names.empty()) {
            fail_with("'{}' is not a number", token);
        }
        fail_with("unknown name '{}' (expected {})", token, spec_.names_hint);
    }

    const field_spec& spec_;
    std::string_view text_;
};

// uWSGI's field: n, -1 for any, or -N for the values that are a multiple of N. That is `*/N`
// for the 0-based fields, but uWSGI tests `value % N == 0` on day and month too
// (core/master_utils.c), so "-3" as a month is Mar, Jun, Sep, Dec: we keep its meaning.
std::uint64_t legacy_field(const field_spec& spec, std::string_view text) {
    const field_parser parser(spec, text);
    if (!is_negative_number(text)) {
        if (!all_digits(text)) {
            parser.fail_with("uWSGI-style schedules take only numbers, -1 (any) or -N (every N)");
        }
        return parser.parse();
    }
    const auto every = to_int(text.substr(1));
    if (!every || *every < 1 || *every > spec.max) {
        parser.fail_with("every N must be 1-{}", spec.max);
    }
    const auto multiples = fmt::format("{}/{}", spec.min == 0 ? 0 : *every, *every);
    return field_parser(spec, multiples).parse();
}

std::string format_interval(std::int64_t seconds) {
    std::string out;
    for (const auto& [unit, size] : interval_units) {
        if (seconds >= size) {
            out += fmt::format("{}{}", seconds / size, unit);
            seconds %= size;
        }
    }
    return out;
}

// "10s", "5m", "1h30m": numbers with units h, m, s in that order, each at most once.
chr::seconds parse_interval(std::string_view text) {
    std::int64_t total = 0;
    auto unit = interval_units.begin();
    for (std::string_view rest = text; !rest.empty(); ++unit) {
        const auto digits = std::min(rest.find_first_not_of("0123456789"), rest.size());
        unit = std::find_if(unit, interval_units.end(), [&](const auto& u) {
            return digits < rest.size() && u.first == rest[digits];
        });
        if (digits == 0 || unit == interval_units.end()) {
            fail("@every '{}': expected numbers with units h, m, s in that order, as in 1h30m",
                 text);
        }
        const auto amount = to_int(rest.substr(0, digits));
        if (!amount || *amount > (max_interval_s - total) / unit->second) {
            fail("@every '{}': interval must be at most {}h", text, max_interval_s / 3600);
        }
        total += *amount * unit->second;
        rest.remove_prefix(digits + 1);
    }
    if (total < 1) {
        fail("@every '{}': interval must be at least 1s", text);
    }
    return chr::seconds(total);
}

// The minute after `t`'s as a day and minute of day, normalising out-of-range fields the way
// mktime would; nullopt for times beyond the years std::chrono::year holds.
std::optional<std::pair<chr::sys_days, int>> minute_after(const std::tm& t) {
    const std::int64_t months = std::int64_t{t.tm_year} * 12 + t.tm_mon;
    const std::int64_t years = months >= 0 ? months / 12 : (months - 11) / 12;
    if (years < -30000 || years > 30000) {
        return std::nullopt;
    }
    const auto month = static_cast<unsigned>(months - years * 12 + 1);
    const std::int64_t minute = std::int64_t{t.tm_hour} * 60 + t.tm_min + 1;
    const std::int64_t extra_days = minute >= 0 ? minute / 1440 : (minute - 1439) / 1440;
    const auto day =
        chr::sys_days{chr::year{static_cast<int>(1900 + years)} / chr::month{month} / 1} +
        chr::days{std::int64_t{t.tm_mday} - 1 + extra_days};
    if (chr::abs(day.time_since_epoch()) > chr::days{10'000'000}) {
        return std::nullopt;
    }
    return std::pair{day, static_cast<int>(minute - extra_days * 1440)};
}

std::tm to_tm(chr::sys_days day, int minute_of_day) {
    const chr::year_month_day date{day};
    std::tm out{};
    out.tm_year = static_cast<int>(date.year()) - 1900;
    out.tm_mon = static_cast<int>(static_cast<unsigned>(date.month())) - 1;
    out.tm_mday = static_cast<int>(static_cast<unsigned>(date.day()));
    out.tm_hour = minute_of_day / 60;
    out.tm_min = minute_of_day % 60;
    out.tm_wday = static_cast<int>(chr::weekday{day}.c_encoding());
    out.tm_yday = static_cast<int>((day - chr::sys_days{date.year() / chr::January / 1}).count());
    out.tm_isdst = -1;  // wall-clock time: let mktime decide
    return out;
}

}  // namespace

cron_schedule cron_schedule::parse(std::string_view spec) {
    const std::string lower = to_lower(spec);
    auto tokens = split_whitespace(lower);
    if (tokens.empty()) {
        fail("empty schedule");
    }
    cron_schedule schedule;
    if (tokens[0] == "@every") {
        if (tokens.size() != 2) {
            fail("@every takes one interval, such as '@every 10s', '@every 5m' or '@every 1h30m'");
        }
        schedule.interval_ = parse_interval(tokens[1]);
        schedule.text_ = "@every " + format_interval(schedule.interval_.count());
        return schedule;
    }
    if (tokens[0].front() == '@') {
        const auto found = std::find_if(aliases.begin(), aliases.end(),
                                        [&](const alias& a) { return a.name == tokens[0]; });
        if (found == aliases.end()) {
            fail(
                "unknown schedule '{}' (expected @yearly, @annually, @monthly, @weekly, @daily, "
                "@midnight, @hourly or @every)",
                tokens[0]);
        }
        if (tokens.size() != 1) {
            fail("'{}' takes nothing after it, got '{}'", tokens[0], tokens[1]);
        }
        schedule.text_ = found->canonical;
        tokens = split_whitespace(found->fields);
    } else if (tokens.size() != field_specs.size()) {
        fail("expected 5 fields (minute hour day-of-month month day-of-week), got {} in '{}'{}",
             tokens.size(), fmt::join(tokens, " "),
             tokens.size() == 6 ? "; there is no seconds field" : "");
    } else {
        schedule.text_ = fmt::format("{}", fmt::join(tokens, " "));
    }
    const bool legacy = std::any_of(tokens.begin(), tokens.end(), is_negative_number);
    for (std::size_t i = 0; i < field_specs.size(); ++i) {
        schedule.bits_[i] = legacy ? legacy_field(field_specs[i], tokens[i])
                                   : field_parser(field_specs[i], tokens[i]).parse();
    }
    auto& weekdays = schedule.bits_[weekday_field];
    weekdays = (weekdays | weekdays >> 7) & 0x7f;  // 7 is Sunday too
    // uWSGI ORs the day fields only when both are plain numbers; Vixie cron when neither
    // starts with '*' (so `*/2` counts as unrestricted).
    const char unrestricted = legacy ? '-' : '*';
    schedule.any_day_of_month_ = tokens[day_field].front() == unrestricted;
    schedule.any_day_of_week_ = tokens[weekday_field].front() == unrestricted;
    return schedule;
}

bool cron_schedule::day_matches(chr::year_month_day date) const noexcept {
    if ((bits_[month_field] >> static_cast<unsigned>(date.month()) & 1) == 0) {
        return false;
    }
    const bool by_day = (bits_[day_field] >> static_cast<unsigned>(date.day()) & 1) != 0;
    const auto weekday = chr::weekday{chr::sys_days{date}}.c_encoding();
    const bool by_weekday = (bits_[weekday_field] >> weekday & 1) != 0;
    if (!any_day_of_month_ && !any_day_of_week_) {
        return by_day || by_weekday;
    }
    return by_day && by_weekday;
}

bool cron_schedule::matches(const std::tm& t) const noexcept {
    if (is_interval() || t.tm_min < 0 || t.tm_min > 59 || t.tm_hour < 0 || t.tm_hour > 23 ||
        t.tm_mon < 0 || t.tm_mon > 11 || t.tm_mday < 1 || t.tm_mday > 31 || t.tm_year < -30000 ||
        t.tm_year > 30000) {
        return false;
    }
    const auto month = static_cast<unsigned>(t.tm_mon + 1);
    const auto day = static_cast<unsigned>(t.tm_mday);
    const chr::year_month_day date{chr::year{t.tm_year + 1900}, chr::month{month}, chr::day{day}};
    return date.ok() && (bits_[hour_field] >> t.tm_hour & 1) != 0 &&
           (bits_[minute_field] >> t.tm_min & 1) != 0 && day_matches(date);
}

std::optional<std::tm> cron_schedule::next_after(const std::tm& t) const {
    const auto start = minute_after(t);
    if (is_interval() || !start) {
        return std::nullopt;
    }
    auto [day, from] = *start;
    for (int i = 0; i < search_days; ++i, day += chr::days{1}, from = 0) {
        if (!day_matches(chr::year_month_day{day})) {
            continue;
        }
        for (int hour = from / 60; hour < 24; ++hour) {
            const int first = hour == from / 60 ? from % 60 : 0;
            const std::uint64_t minutes = bits_[minute_field] & (~std::uint64_t{0} << first);
            if ((bits_[hour_field] >> hour & 1) != 0 && minutes != 0) {
                return to_tm(day, hour * 60 + std::countr_zero(minutes));
            }
        }
    }
    return std::nullopt;
}

std::pair<cron_schedule, std::string> parse_cron_line(std::string_view line) {
    const auto tokens = split_whitespace(line);
    const std::string first = tokens.empty() ? std::string() : to_lower(tokens[0]);
    const bool calendar = first.empty() || first.front() != '@';
    const std::size_t spec_tokens = calendar ? 5 : first == "@every" ? 2 : 1;
    if (tokens.size() <= spec_tokens) {
        fail("missing command after '{}'", cron_schedule::parse(line).describe());
    }
    // The command runs from its first token to its last, keeping its own spacing.
    const auto& word = tokens[spec_tokens];
    const auto begin = static_cast<std::size_t>(word.data() - line.data());
    const auto end = line.find_last_not_of(whitespace) + 1;
    auto schedule = cron_schedule::parse(line.substr(0, begin));
    // Rather than run "*" for "0 */5 * * * *" (seconds first) or "30m" for "@every 1h 30m".
    if ((calendar && made_of(word, "0123456789*/,-")) ||
        (spec_tokens == 2 && all_digits(word.substr(0, 1)) && made_of(word, "0123456789hms"))) {
        fail("'{}' after '{}' looks like part of the schedule, not a command", word,
             schedule.describe());
    }
    return {std::move(schedule), std::string(line.substr(begin, end - begin))};
}

}  // namespace gantry::server
