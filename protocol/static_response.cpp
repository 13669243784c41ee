// The HTTP rules of a static file response (RFC 9110), with no I/O and no clock: the
// caller passes the file's facts, the request's headers and the time. The HTTP-date's
// functions are in http_date.cpp.
#include "protocol/static_response.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "protocol/ascii.hpp"
#include "protocol/http_response.hpp"

namespace gantry::protocol {
namespace {

constexpr std::uint64_t max_u64 = std::numeric_limits<std::uint64_t>::max();

// Takes the text up to the next `sep` (or the end) off the front of `s`.
std::string_view take_until(std::string_view& s, char sep) noexcept {
    const std::size_t at = s.find(sep);
    const std::string_view head = s.substr(0, at);
    s.remove_prefix(at == std::string_view::npos ? s.size() : at + 1);
    return head;
}

void append_number(std::string& out, std::uint64_t v, int base = 10) {
    std::array<char, 24> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, base);
    out.append(buf.data(), r.ptr);
}

// ---- Entity tags (RFC 9110 8.8.3): entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE.

std::string_view strip_weak(std::string_view tag) noexcept {
    return tag.starts_with("W/") ? tag.substr(2) : tag;
}

// Calls `hit(tag, weak)` for each entity-tag of a list, `tag` with its quotes and without
// "W/"; true as soon as one call is. A malformed element is skipped, the rest still count;
// an unterminated tag ends the list.
template <class Hit>
bool any_tag(std::string_view list, Hit hit) noexcept {
    std::size_t i = 0;
    while (i < list.size()) {
        if (list[i] == ',' || is_ows(list[i])) {
            ++i;
            continue;
        }
        const bool weak = list.substr(i, 2) == "W/";
        i += weak ? 2 : 0;
        if (i < list.size() && list[i] == '"') {
            const std::size_t close = list.find('"', i + 1);
            if (close == std::string_view::npos) {
                return false;
            }
            if (hit(list.substr(i, close + 1 - i), weak)) {
                return true;
            }
            i = close + 1;
        } else {
            const std::size_t comma = list.find(',', i);
            i = comma == std::string_view::npos ? list.size() : comma;
        }
    }
    return false;
}

// Whether the If-None-Match list holds `etag` by the weak comparison (W/ ignored on
// either side), or is "*".
bool none_match_hits(std::string_view list, std::string_view etag) noexcept {
    return trim_ows(list) == "*" ||
           any_tag(list, [&](std::string_view tag, bool) { return tag == strip_weak(etag); });
}

// Whether the If-Match list (RFC 9110 13.1.1) holds `etag` by the strong comparison (a weak
// tag on either side never matches), or is "*" (the file exists).
bool match_hits(std::string_view list, std::string_view etag) noexcept {
    return trim_ows(list) == "*" ||
           (!etag.starts_with("W/") &&
            any_tag(list, [&](std::string_view tag, bool weak) { return !weak && tag == etag; }));
}

// If-Range (RFC 9110 13.1.5): an entity-tag that equals `etag` by the strong comparison
// (a weak one never does), or an HTTP-date that equals the mtime exactly.
bool if_range_holds(std::string_view value, const file_facts& f, std::string_view etag) noexcept {
    value = trim_ows(value);
    if (value.starts_with("W/") || etag.starts_with("W/")) {
        return false;
    }
    if (value.starts_with('"')) {
        return value == etag;
    }
    const auto date = parse_http_date(value);
    return date && *date == f.mtime_sec;
}

// ---- Accept-Encoding (RFC 9110 12.5.3): 1#( codings [ weight ] ), weight = OWS ";" OWS
// "q=" qvalue.

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ): whether it is above zero.
// A malformed one counts as zero: a coding the client did not clearly accept is not sent.
bool qvalue_above_zero(std::string_view q) noexcept {
    if (q.empty() || (q[0] != '0' && q[0] != '1')) {
        return false;
    }
    const std::string_view fraction = q.substr(1);
    if (!fraction.empty() && (fraction[0] != '.' || fraction.size() > 4)) {
        return false;
    }
    const std::string_view digits = fraction.empty() ? fraction : fraction.substr(1);
    bool nonzero = q[0] == '1';
    for (const char c : digits) {
        if (c < '0' || c > '9' || (q[0] == '1' && c != '0')) {
            return false;
        }
        nonzero = nonzero || c != '0';
    }
    return nonzero;
}

// The parameters after a coding ("; q=0.5; x=y"): whether its weight is above zero (no q:
// it is 1).
bool weight_above_zero(std::string_view params) noexcept {
    while (!params.empty()) {
        std::string_view param = take_until(params, ';');
        const std::string_view name = trim_ows(take_until(param, '='));
        if (iequals_ascii(name, "q")) {
            return qvalue_above_zero(trim_ows(param));
        }
    }
    return true;
}

// ---- Range (RFC 9110 14.1.2): "bytes=" 1#( first-pos "-" [ last-pos ] / "-" suffix ).

// 1*DIGIT, saturating at the largest value (a position past any file).
bool read_position(std::string_view s, std::uint64_t& v) noexcept {
    if (s.empty()) {
        return false;
    }
    v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
        const auto d = static_cast<std::uint64_t>(c - '0');
        v = v > (max_u64 - d) / 10 ? max_u64 : v * 10 + d;
    }
    return true;
}

struct range_spec {
    bool suffix = false;
    bool has_last = false;
    std::uint64_t first = 0;  // or the suffix length
    std::uint64_t last = 0;
};

// The one range-spec of a "bytes=" value; false for other units, several ranges or bad
// syntax, which all mean: ignore Range. Empty list elements are skipped (RFC 9110 5.6.1.2).
bool read_single_range(std::string_view value, range_spec& r) noexcept {
    value = trim_ows(value);
    if (value.size() < 6 || !iequals_ascii(value.substr(0, 6), "bytes=")) {
        return false;
    }
    value.remove_prefix(6);
    std::string_view spec;
    int count = 0;
    while (!value.empty()) {
        const std::string_view element = trim_ows(take_until(value, ','));
        if (!element.empty()) {
            spec = element;
            ++count;
        }
    }
    if (count != 1) {
        return false;
    }
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) {
        return false;
    }
    r.suffix = dash == 0;
    if (r.suffix) {
        return read_position(spec.substr(1), r.first);
    }
    r.has_last = dash + 1 < spec.size();
    return read_position(spec.substr(0, dash), r.first) &&
           (!r.has_last || read_position(spec.substr(dash + 1), r.last)) &&
           (!r.has_last || r.last >= r.first);
}

// RFC 9110 14.1.3 and 15.5.17: the range of a file of `size` bytes, 206 or 416. A file of
// no bytes satisfies no range (the RFC's exception, a non-zero suffix, would need a
// Content-Range of nothing, which cannot be written).
static_decision apply_range(const range_spec& r, std::uint64_t size) noexcept {
    if (size == 0 || (r.suffix && r.first == 0) || (!r.suffix && r.first >= size)) {
        return {416, {}};
    }
    if (r.suffix) {
        const std::uint64_t length = std::min(r.first, size);
        return {206, {size - length, length}};
    }
    const std::uint64_t last = r.has_last ? std::min(r.last, size - 1) : size - 1;
    return {206, {r.first, last - r.first + 1}};
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

std::string strong_etag(const file_facts& f) {
    // The mtime in nanoseconds wraps for dates past 2262 and is negative before 1970: as
    // an unsigned number it is still a distinct value for each, which is all a tag needs.
    const auto mtime_ns = static_cast<std::uint64_t>(f.mtime_sec) * 1'000'000'000U +
                          static_cast<std::uint64_t>(f.mtime_nsec);
    std::string tag = "\"";
    append_number(tag, f.inode, 16);
    tag.push_back('-');
    append_number(tag, f.size, 16);
    tag.push_back('-');
    append_number(tag, mtime_ns, 16);
    tag.push_back('"');
    return tag;
}

bool accepts_coding(std::string_view accept_encoding, std::string_view coding) noexcept {
    // RFC 9110 8.4.1.3: "x-gzip" is "gzip".
    const auto names = [&](std::string_view token) {
        return iequals_ascii(token, coding) ||
               (iequals_ascii(coding, "gzip") && iequals_ascii(token, "x-gzip"));
    };
    bool named_yes = false;
    bool named_no = false;
    bool star_yes = false;
    bool star_no = false;
    while (!accept_encoding.empty()) {
        std::string_view element = take_until(accept_encoding, ',');
        const std::string_view token = trim_ows(take_until(element, ';'));
        const bool yes = weight_above_zero(element);
        if (names(token)) {
            (yes ? named_yes : named_no) = true;
        } else if (token == "*") {
            (yes ? star_yes : star_no) = true;
        }
    }
    if (named_no) {
        return false;
    }
    return named_yes || (star_yes && !star_no);
}

static_decision decide_static(const static_conditions& c, const file_facts& f,
                              std::string_view etag) noexcept {
    const static_decision whole{200, {0, f.size}};
    // RFC 9110 13.2.2: steps 1 and 2, the preconditions a client sets before changing or
    // resuming something (a file here is never changed through gantry, but a download
    // resumed by hand still asks "is it the one I had?").
    if (!c.if_match.empty()) {
        if (!match_hits(c.if_match, etag)) {
            return {412, {}};
        }
    } else if (!c.if_unmodified_since.empty()) {
        const auto since = parse_http_date(c.if_unmodified_since);
        if (since && f.mtime_sec > *since) {
            return {412, {}};
        }
    }
    // Steps 3 and 4.
    if (!c.if_none_match.empty()) {
        if (none_match_hits(c.if_none_match, etag)) {
            return {304, {}};
        }
    } else if (!c.if_modified_since.empty()) {
        const auto since = parse_http_date(c.if_modified_since);
        if (since && f.mtime_sec <= *since) {
            return {304, {}};
        }
    }
    // Step 5, and RFC 9110 14.2: Range is for GET; HEAD answers with the head GET would get.
    range_spec r;
    if (c.range.empty() || (!c.if_range.empty() && !if_range_holds(c.if_range, f, etag)) ||
        !read_single_range(c.range, r)) {
        return whole;
    }
    return apply_range(r, f.size);
}

std::string static_response_head(const static_head& h, std::int64_t now) {
    const bool not_modified = h.status == 304;
    const bool unsatisfiable = h.status == 416;
    // 412 and 416: an error with no content, nothing of the file but its validators.
    const bool no_content = unsatisfiable || h.status == 412;
    const bool has_body = !not_modified && !no_content;
    std::string out;
    out.reserve(384);
    out.append(h.http11 ? "HTTP/1.1 " : "HTTP/1.0 ");
    append_number(out, static_cast<std::uint64_t>(std::clamp(h.status, 100, 999)));
    out.append(" ").append(http_reason(h.status)).append("\r\n");
    append_header(out, "Date", http_date(now));
    // A 304 has no content of its own (RFC 9110 15.4.5); a 416's empty content is not the
    // file, so neither says the file's type or coding.
    if (has_body && !h.content_type.empty()) {
        append_header(out, "Content-Type", h.content_type);
    }
    if (!not_modified) {
        out.append("Content-Length: ");
        append_number(out, no_content ? 0 : h.body.length);
        out.append("\r\n");
    }
    append_header(out, "Last-Modified", http_date(h.last_modified));
    if (!h.etag.empty()) {
        append_header(out, "ETag", h.etag);
    }
    if (!not_modified) {
        append_header(out, "Accept-Ranges", "bytes");
    }
    if (h.status == 206) {
        out.append("Content-Range: bytes ");
        append_number(out, h.body.first);
        out.push_back('-');
        append_number(out, h.body.first + h.body.length - 1);
        out.push_back('/');
        append_number(out, h.file_size);
        out.append("\r\n");
    } else if (unsatisfiable) {
        out.append("Content-Range: bytes */");
        append_number(out, h.file_size);
        out.append("\r\n");
    }
    // A 412 or 416 is an error: caching it for the file's max-age would hide the file.
    if (!no_content && !h.cache_control.empty()) {
        append_header(out, "Cache-Control", h.cache_control);
    }
    if (!no_content && h.expires != 0) {
        append_header(out, "Expires", http_date(h.expires));
    }
    if (h.vary_accept_encoding) {
        append_header(out, "Vary", "Accept-Encoding");
    }
    if (has_body && !h.content_encoding.empty()) {
        append_header(out, "Content-Encoding", h.content_encoding);
    }
    if (!h.keep_alive) {
        append_header(out, "Connection", "close");
    } else if (!h.http11) {
        append_header(out, "Connection", "keep-alive");
    }
    out.append("\r\n");
    return out;
}

}  // namespace gantry::protocol
