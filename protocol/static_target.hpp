// Which file a request names under the --static-map / --static-map2 mounts, decided from the
// request path alone: decoded exactly once, and refused when decoding could lead it out of
// the mount (a ".." or "." segment, an encoded slash, a NUL, bad %-escapes). No I/O: the
// server opens the file relative to the mount's directory (see server/static/).
//
// The path is read one segment at a time: a segment is what lies between two raw slashes,
// and empty ones ("a//b") are skipped, as nginx's merge_slashes does; that is the only
// rewriting. Each segment is %-decoded on its own, once ("%252e" is the name "%2e"), so an
// encoded slash can never turn one segment into two.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace gantry::protocol {

// One --static-map URL=DIR (or --static-map2) rule.
struct static_mount {
    std::string url_prefix;    // "/static" ("/static/" is the same; "/" or "" map the whole site)
    std::string dir;           // the directory, carried for the server; not read here
    bool keep_prefix = false;  // static-map2: the whole URL path is looked up under dir
};

enum class static_refusal {
    none,
    not_mapped,     // no mount's prefix starts the path (at a segment boundary)
    dot_segment,    // a "." or ".." segment, before or after decoding
    encoded_slash,  // %2F or %5C: a segment that decodes to two; a raw backslash too
    nul,            // a NUL byte, raw or %00
    bad_escape,     // a % not followed by two hex digits
};

struct static_target {
    static_refusal refused = static_refusal::not_mapped;
    std::size_t mount = 0;  // the index of the first mount (in the order given) that matched
    // The path under the mount's directory, decoded, without a leading slash: "css/a.css";
    // "" for the directory itself. Never holds "..", ".", "//" segments, NUL or a backslash.
    std::string relative;
    bool trailing_slash = false;  // the URL ended with "/": a directory's index is asked for
};

// `raw_path`: the request target's path as the client sent it (REQUEST_URI up to '?' or
// '#'), still %-encoded. Mounts are tried in order; a prefix matches "/static" and
// "/static/..." but not "/staticfoo", segment by segment against the decoded path
// ("/st%61tic/a" matches too; a segment that fails to decode never matches). The first
// mount whose prefix matches decides: what follows its prefix (the whole path for
// static-map2) is then decoded, and a refusal there is reported with that mount's index.
// A path no prefix matches is not_mapped whatever it holds ("/app/../x": the app's).
static_target resolve_static_target(std::string_view raw_path,
                                    std::span<const static_mount> mounts);

// For the log: "a '..' segment" and the like.
std::string_view describe(static_refusal r) noexcept;

}  // namespace gantry::protocol
