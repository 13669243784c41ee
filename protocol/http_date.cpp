// The HTTP-date of RFC 9110 5.6.7 (declared in protocol/static_response.hpp, whose
// validators use it): written as IMF-fixdate, read in all three forms. Pure arithmetic on
// the proleptic Gregorian calendar, no gmtime/timegm: thread-safe and independent of TZ.
#include "protocol/static_response.hpp"  // declares http_date and parse_http_date

#include <array>
#include <charconv>
#include <string>
#include <string_view>

#include "protocol/ascii.hpp"

namespace gantry::protocol {
namespace {

constexpr std::array<std::string_view, 7> short_days = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> long_days = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void append_number(std::string& out, std::uint64_t v) {
    std::array<char, 24> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), r.ptr);
}

// ---- Dates: the proleptic Gregorian calendar, after Howard Hinnant's "chrono-Compatible
// Low-Level Date Algorithms" (days_from_civil / civil_from_days), exact for any int64.

struct civil {
    std::int64_t year;
    int month;  // 1..12
    int day;    // 1..31
};

civil civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int days_in_month(std::int64_t y, int m) noexcept {
    constexpr std::array<int, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[static_cast<std::size_t>(m - 1)];
}

void append_2digits(std::string& out, int v) {
    out.push_back(static_cast<char>('0' + v / 10));
    out.push_back(static_cast<char>('0' + v % 10));
}

// Reads the fixed-width date forms of RFC 9110 5.6.7, field by field.
class date_reader {
public:
    explicit date_reader(std::string_view s) noexcept : s_(s) {}

    bool literal(std::string_view text) noexcept {
        if (!s_.starts_with(text)) {
            return false;
        }
        s_.remove_prefix(text.size());
        return true;
    }

    // Exactly `n` digits.
    bool digits(int n, int& v) noexcept {
        v = 0;
        for (int i = 0; i < n; ++i) {
            if (s_.empty() || s_.front() < '0' || s_.front() > '9') {
                return false;
            }
            v = v * 10 + (s_.front() - '0');
            s_.remove_prefix(1);
        }
        return true;
    }

    template <std::size_t N>
    bool name(const std::array<std::string_view, N>& names, int& index) noexcept {
        for (std::size_t i = 0; i < N; ++i) {
            if (literal(names[i])) {
                index = static_cast<int>(i);
                return true;
            }
        }
        return false;
    }

    // time-of-day = hour ":" minute ":" second; a leap second (60) is allowed.
    bool time(int& h, int& m, int& s) noexcept {
        return digits(2, h) && literal(":") && digits(2, m) && literal(":") && digits(2, s) &&
               h <= 23 && m <= 59 && s <= 60;
    }

    bool at_end() const noexcept { return s_.empty(); }

private:
    std::string_view s_;
};

struct date_fields {
    int year = 0;
    int month = 0;  // 0..11 from the name
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
};

// "Sun, 06 Nov 1994 08:49:37 GMT"
bool read_imf_fixdate(std::string_view text, date_fields& f) noexcept {
    date_reader r(text);
    int wday = 0;
    return r.name(short_days, wday) && r.literal(", ") && r.digits(2, f.day) && r.literal(" ") &&
           r.name(months, f.month) && r.literal(" ") && r.digits(4, f.year) && r.literal(" ") &&
           r.time(f.hour, f.minute, f.second) && r.literal(" GMT") && r.at_end();
}

// "Sunday, 06-Nov-94 08:49:37 GMT". RFC 9110 reads a two-digit year relative to the
// current year; without a clock here, 70-99 are 19xx and 00-69 20xx (as POSIX strptime's
// %y), which is the same answer until 2020 + 50.
bool read_rfc850(std::string_view text, date_fields& f) noexcept {
    date_reader r(text);
    int wday = 0;
    if (!(r.name(long_days, wday) && r.literal(", ") && r.digits(2, f.day) && r.literal("-") &&
          r.name(months, f.month) && r.literal("-") && r.digits(2, f.year) && r.literal(" ") &&
          r.time(f.hour, f.minute, f.second) && r.literal(" GMT") && r.at_end())) {
        return false;
    }
    f.year += f.year < 70 ? 2000 : 1900;
    return true;
}

// "Sun Nov  6 08:49:37 1994": the day is two digits or a space and one digit.
bool read_asctime(std::string_view text, date_fields& f) noexcept {
    date_reader r(text);
    int wday = 0;
    if (!(r.name(short_days, wday) && r.literal(" ") && r.name(months, f.month) &&
          r.literal(" "))) {
        return false;
    }
    const bool day = r.literal(" ") ? r.digits(1, f.day) : r.digits(2, f.day);
    return day && r.literal(" ") && r.time(f.hour, f.minute, f.second) && r.literal(" ") &&
           r.digits(4, f.year) && r.at_end();
}

}  // namespace

std::string http_date(std::int64_t unix_seconds) {
    std::int64_t days = unix_seconds / 86400;
    std::int64_t secs = unix_seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    const civil c = civil_from_days(days);
    const auto wday = static_cast<std::size_t>((days % 7 + 11) % 7);  // 1970-01-01: Thursday
    std::string out;
    out.reserve(29);
    out.append(short_days[wday]).append(", ");
    append_2digits(out, c.day);
    out.append(" ").append(months[static_cast<std::size_t>(c.month - 1)]).append(" ");
    if (c.year < 0) {
        out.push_back('-');
    }
    const auto year = static_cast<std::uint64_t>(c.year < 0 ? -c.year : c.year);
    for (std::uint64_t pad = 1000; pad > 1 && year < pad; pad /= 10) {
        out.push_back('0');  // four digits at least: 0999
    }
    append_number(out, year);
    out.push_back(' ');
    append_2digits(out, static_cast<int>(secs / 3600));
    out.push_back(':');
    append_2digits(out, static_cast<int>(secs / 60 % 60));
    out.push_back(':');
    append_2digits(out, static_cast<int>(secs % 60));
    out.append(" GMT");
    return out;
}

std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept {
    text = trim_ows(text);
    date_fields f;
    if (!read_imf_fixdate(text, f) && !read_rfc850(text, f) && !read_asctime(text, f)) {
        return std::nullopt;
    }
    if (f.day < 1 || f.day > days_in_month(f.year, f.month + 1)) {
        return std::nullopt;
    }
    return days_from_civil(f.year, f.month + 1, f.day) * 86400 + f.hour * 3600 + f.minute * 60 +
           f.second;
}
}  // namespace gantry::protocol
