// The static files a worker serves (--static-map and friends): from a request path to an
// open regular file with everything its response head needs, without leaving the mapped
// directory. Each lookup opens the file with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
// relative to the mount's directory (opened once, O_PATH): a symlink that stays inside is
// followed, one that leads out is refused unless it leads into a --static-safe directory.
// Thread-safe and allocation-light: every request thread of the worker calls it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/static_response.hpp"
#include "protocol/static_target.hpp"
#include "server/static/static_settings.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {

// File name extension ("css", lower case) -> media type ("text/css").
using media_types = std::unordered_map<std::string, std::string>;

class static_files {
public:
    // Opens each mount's directory and reads the media types (/etc/mime.types, Debian's
    // media-types package; a built-in table of the common web types when it is missing).
    // Throws std::runtime_error naming the option and the directory when one cannot be
    // opened (a configuration error at start).
    explicit static_files(const static_settings& settings);
    ~static_files();
    static_files(const static_files&) = delete;
    static_files& operator=(const static_files&) = delete;

    enum class outcome {
        not_static,    // no mount matches: the app serves it
        fall_through,  // a mount matches but gantry serves nothing: not found, a skipped
                       // extension, a check-static directory without index: the app serves it
        serve,         // `file` is open: answer with it
        forbidden,     // 403: a symlink out of the mount, not a regular file, no permission,
                       // a static-map directory without an index
        bad_request,   // 400: the path was refused (see protocol::static_refusal)
    };

    struct found {
        unique_fd file;  // open O_RDONLY | O_CLOEXEC: the file or its compressed sibling
        protocol::file_facts facts;  // of that open file (fstat after open: no race)
        std::string etag;            // protocol::strong_etag(facts)
        std::string content_type;    // of the original file's name, "; charset=utf-8" for text
        std::string_view content_encoding;  // "", "gzip" or "br"
        bool vary_accept_encoding = false;  // a compressed sibling exists (sent or not)
        std::string cache_control;          // "max-age=N" from the expires rules, or ""
        std::int64_t expires = 0;           // Unix seconds for Expires, or 0
        std::string why;  // for forbidden / bad_request / fall_through: the log's reason
    };

    // `raw_path`: the request path as sent (REQUEST_URI before '?'), still %-encoded.
    // `accept_encoding`: the request's Accept-Encoding ("" if none).
    outcome lookup(std::string_view raw_path, std::string_view accept_encoding, found& out) const;

    bool any() const noexcept { return !mounts_.empty(); }

private:
    struct mount;
    struct rules;  // the compiled regexes and the resolved --static-safe directories
    std::vector<mount> mounts_;
    static_settings settings_;
    media_types types_;
    std::unique_ptr<const rules> rules_;

    outcome lookup_in(std::size_t i, const protocol::static_target& t,
                      std::string_view accept_encoding, found& out) const;
};

// The media type for a file name, from the table static_files loads ("" extension:
// application/octet-stream), with "; charset=utf-8" added for text/*, JavaScript, JSON, XML
// and SVG. Exposed for the tests.
std::string media_type_for(const media_types& types, std::string_view file_name);
// Reads a mime.types file ("type ext ext..." lines, '#' comments); empty if unreadable.
media_types read_mime_types(const std::string& path);

}  // namespace gantry::server
