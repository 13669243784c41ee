// Request path -> mount and relative file name. The path is walked one segment at a time
// (a segment is what lies between two raw slashes; empty ones, from "//", are skipped as
// nginx's merge_slashes does), and each segment is %-decoded once, on its own, so an
// encoded slash can never make one segment into two.
#include "protocol/static_target.hpp"

#include "protocol/ascii.hpp"

namespace gantry::protocol {
namespace {

// Splits a path into its non-empty segments: next() gives them in order.
class segments {
public:
    explicit segments(std::string_view path) noexcept : rest_(path) {}

    // The next segment, or false at the end. Leading slashes (any number) are skipped.
    bool next(std::string_view& segment) noexcept {
        while (!rest_.empty() && rest_.front() == '/') {
            rest_.remove_prefix(1);
        }
        if (rest_.empty()) {
            return false;
        }
        const std::size_t end = rest_.find('/');
        segment = rest_.substr(0, end);
        rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end);
        return true;
    }

    // What next() has not returned yet (starting with the slashes before the next segment).
    std::string_view rest() const noexcept { return rest_; }

private:
    std::string_view rest_;
};

// Decodes one raw segment, calling `put(char)` for each decoded byte; returns the first
// reason to refuse it. A backslash, raw or encoded, is refused like an encoded slash: some
// file APIs (and every Windows one) take it for a separator.
template <typename Put>
static_refusal decode_segment(std::string_view raw, Put&& put) noexcept {
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            const int hi = i + 2 < raw.size() ? hex_value(raw[i + 1]) : -1;
            const int lo = hi >= 0 ? hex_value(raw[i + 2]) : -1;
            if (lo < 0) {
                return static_refusal::bad_escape;
            }
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
            if (c == '/') {
                return static_refusal::encoded_slash;
            }
        }
        if (c == '\0') {
            return static_refusal::nul;
        }
        if (c == '\\') {
            return static_refusal::encoded_slash;
        }
        if (!put(c)) {
            return static_refusal::not_mapped;  // only from segment_is: a mismatch
        }
    }
    return static_refusal::none;
}

bool is_dot_segment(std::string_view decoded) noexcept {
    return decoded == "." || decoded == "..";
}

// Whether the raw segment decodes, without refusal, to exactly `literal` (a segment of a
// mount's prefix, taken as written). No allocation: decoded bytes are compared as they come.
bool segment_is(std::string_view raw, std::string_view literal) noexcept {
    std::size_t n = 0;
    const static_refusal r = decode_segment(raw, [&](char c) noexcept {
        if (n == literal.size() || literal[n] != c) {
            return false;
        }
        ++n;
        return true;
    });
    return r == static_refusal::none && n == literal.size() && !is_dot_segment(literal);
}

// When `prefix` (a mount's URL prefix: "/static", "/static/", "/" or "") starts `path` at
// segment boundaries: what of the path follows the prefix, else nothing.
bool match_prefix(std::string_view path, std::string_view prefix, std::string_view& rest) noexcept {
    segments want(prefix);
    segments have(path);
    std::string_view w;
    std::string_view h;
    while (want.next(w)) {
        if (!have.next(h) || !segment_is(h, w)) {
            return false;
        }
    }
    rest = have.rest();
    return true;
}

// Appends the decoded segments of `raw` to `out`, joined by single slashes; the first
// refusal stops it.
static_refusal append_decoded(std::string_view raw, std::string& out) {
    segments each(raw);
    std::string_view seg;
    while (each.next(seg)) {
        if (!out.empty()) {
            out.push_back('/');
        }
        const std::size_t start = out.size();
        const static_refusal r = decode_segment(seg, [&](char c) {
            out.push_back(c);
            return true;
        });
        if (r != static_refusal::none) {
            return r;
        }
        if (is_dot_segment(std::string_view(out).substr(start))) {
            return static_refusal::dot_segment;
        }
    }
    return static_refusal::none;
}

}  // namespace

static_target resolve_static_target(std::string_view raw_path,
                                    std::span<const static_mount> mounts) {
    static_target t;
    if (raw_path.empty() || raw_path.front() != '/') {
        return t;  // "*" or an absolute-form target: nothing a mount can name
    }
    std::string_view rest;
    std::size_t i = 0;
    while (i < mounts.size() && !match_prefix(raw_path, mounts[i].url_prefix, rest)) {
        ++i;
    }
    if (i == mounts.size()) {
        return t;
    }
    t.mount = i;
    t.trailing_slash = raw_path.back() == '/';
    t.relative.reserve(raw_path.size());
    // static-map2 looks the whole path up under its directory; the prefix's segments have
    // decoded cleanly already (they matched), so decoding them again refuses nothing.
    t.refused = append_decoded(mounts[i].keep_prefix ? raw_path : rest, t.relative);
    if (t.refused != static_refusal::none) {
        t.relative.clear();
    }
    return t;
}

std::string_view describe(static_refusal r) noexcept {
    switch (r) {
        case static_refusal::none:
            return "none";
        case static_refusal::not_mapped:
            return "no static mount";
        case static_refusal::dot_segment:
            return "a '.' or '..' segment";
        case static_refusal::encoded_slash:
            return "an encoded slash or a backslash";
        case static_refusal::nul:
            return "a NUL byte";
        case static_refusal::bad_escape:
            return "a bad %-escape";
    }
    return "unknown";
}

}  // namespace gantry::protocol
