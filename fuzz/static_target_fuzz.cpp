// libFuzzer target: the static file rules of the protocol layer. resolve_static_target on
// an arbitrary path under two mounts, checking what its header promises of `relative`;
// then decide_static, static_response_head, parse_http_date and accepts_coding on arbitrary
// header values, checking the decision against the file and the head against the decision.
//
// Input: two control bytes, then newline-separated fields: path, If-None-Match,
// If-Modified-Since, Range, If-Range, Accept-Encoding, If-Match, If-Unmodified-Since
// (missing ones are empty). Byte 0:
// bit 0 the first mount ("/static/") is static-map2, bit 1 the second one is, bit 2 the
// second is "/" instead of "/a/b", bit 3 a HEAD. Byte 1: the file's size (bit 7: shifted
// left 32 bits, a file past 4 GiB).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/static_response.hpp"
#include "protocol/static_target.hpp"

namespace {

using namespace gantry::protocol;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

std::string_view next_field(std::string_view& rest) {
    const std::size_t nl = rest.find('\n');
    const std::string_view field = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    return field;
}

// What the header promises: no "..", "." or empty segment, no NUL, no backslash, no
// leading or trailing slash.
void check_relative(std::string_view relative) {
    check(relative.find('\0') == std::string_view::npos);
    check(relative.find('\\') == std::string_view::npos);
    check(!relative.starts_with('/') && !relative.ends_with('/'));
    std::string_view rest = relative;
    while (!rest.empty()) {
        const std::size_t slash = rest.find('/');
        const std::string_view segment = rest.substr(0, slash);
        check(!segment.empty() && segment != "." && segment != "..");
        rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
    }
}

void fuzz_target(std::string_view path, const std::vector<static_mount>& mounts) {
    const static_target t = resolve_static_target(path, mounts);
    check(!describe(t.refused).empty());
    if (t.refused != static_refusal::none) {
        check(t.relative.empty());
        return;
    }
    check(t.mount < mounts.size());
    check(t.trailing_slash == path.ends_with('/'));
    check_relative(t.relative);
    if (mounts[t.mount].keep_prefix) {
        return;
    }
    // Written back under the mount's prefix (only '%' needs escaping), the same file; under
    // that mount alone, since an earlier one may take the rewritten path ("/" then "/static").
    std::string again = mounts[t.mount].url_prefix + "/";
    for (const char c : t.relative) {
        again += c == '%' ? std::string("%25") : std::string(1, c);
    }
    const static_target u = resolve_static_target(again, {&mounts[t.mount], 1});
    check(u.refused == static_refusal::none && u.mount == 0 && u.relative == t.relative);
}

void fuzz_response(const static_conditions& c, const file_facts& f) {
    const std::string etag = strong_etag(f);
    const static_decision d = decide_static(c, f, etag);
    static_conditions other = c;
    other.head = !c.head;
    const static_decision e = decide_static(other, f, etag);
    check(d.status == e.status && d.body.first == e.body.first && d.body.length == e.body.length);
    switch (d.status) {
        case 200:
            check(d.body.first == 0 && d.body.length == f.size);
            break;
        case 206:
            check(d.body.length > 0 && d.body.first < f.size &&
                  d.body.length <= f.size - d.body.first);
            break;
        case 304:
        case 412:
        case 416:
            check(d.body.first == 0 && d.body.length == 0);
            break;
        default:
            check(false);
    }
    check(!c.range.empty() || d.status == 200 || d.status == 304 || d.status == 412);
    // A 412 only when a precondition was sent.
    check(d.status != 412 || !c.if_match.empty() || !c.if_unmodified_since.empty());

    static_head h;
    h.status = d.status;
    h.content_type = "text/plain; charset=utf-8";
    h.etag = etag;
    h.last_modified = f.mtime_sec;
    h.file_size = f.size;
    h.body = d.body;
    const std::string head = static_response_head(h, f.mtime_sec + 1);
    check(head.starts_with("HTTP/1.1 " + std::to_string(d.status) + " "));
    check(head.find("\r\n\r\n") == head.size() - 4);
    // A 304 has no Content-Length; a 412 or 416 has 0, which is its body's length too.
    const bool framed =
        head.find("Content-Length: " + std::to_string(d.body.length) + "\r\n") != std::string::npos;
    check(framed == (d.status != 304));
}

void fuzz_date(std::string_view text) {
    const auto t = parse_http_date(text);
    if (t) {
        // Every date it reads has a four-digit year: written back and read, the same second.
        check(parse_http_date(http_date(*t)) == t);
    }
}

void fuzz_coding(std::string_view accept_encoding) {
    const bool gzip = accepts_coding(accept_encoding, "gzip");
    check(gzip == accepts_coding(accept_encoding, "GZIP"));
    accepts_coding(accept_encoding, "br");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::uint8_t flags = data[0];
    const std::uint64_t file_size =
        (data[1] & 0x80) != 0 ? std::uint64_t{data[1] & 0x7fU} << 32 : data[1];
    std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);

    const std::vector<static_mount> mounts = {
        {"/static/", "/srv/static", (flags & 1) != 0},
        {(flags & 4) != 0 ? "/" : "/a/b", "/srv/root", (flags & 2) != 0},
    };
    fuzz_target(next_field(rest), mounts);

    static_conditions c;
    c.head = (flags & 8) != 0;
    c.if_none_match = next_field(rest);
    c.if_modified_since = next_field(rest);
    c.range = next_field(rest);
    c.if_range = next_field(rest);
    const std::string_view accept_encoding = next_field(rest);
    c.if_match = next_field(rest);
    c.if_unmodified_since = next_field(rest);
    const file_facts f{file_size, 784111777, 0, 0x1a2b};
    fuzz_response(c, f);
    fuzz_date(c.if_modified_since);
    fuzz_date(c.if_range);
    fuzz_date(c.if_unmodified_since);
    fuzz_coding(accept_encoding);
    return 0;
}
