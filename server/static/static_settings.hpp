// What the static-* options ask for, as the worker's static file side takes it.
#pragma once

#include <string>
#include <vector>

#include "protocol/static_target.hpp"

namespace gantry::server {

// One --static-expires-uri / --static-expires (regex, seconds) rule.
struct expires_rule {
    std::string pattern;  // an ECMAScript regex, searched (not anchored) as uWSGI does
    bool on_uri = false;  // static-expires-uri: matched against the request path; else
                          // static-expires: against the file's full path
    long long seconds = 0;
};

struct static_settings {
    std::vector<protocol::static_mount> mounts;  // --static-map, --static-map2, --check-static
    // Which mounts are --check-static ones (the document root): a directory without an
    // index falls through to the app there, while a static-map one answers 403.
    std::vector<bool> check_static;
    std::vector<std::string> index;  // --static-index: "index.html", tried in order
    std::vector<expires_rule> expires;
    bool gzip_all = false;  // --static-gzip-all: look for FILE.br / FILE.gz beside each file
    // --static-gzip-dir / --static-gzip-prefix: only under these
    std::vector<std::string> gzip_dirs;
    std::vector<std::string> gzip_patterns;  // --static-gzip: regexes of the full path
    std::vector<std::string> safe;           // --static-safe: directories a symlink may lead into
    std::vector<std::string> skip_ext;  // --static-skip-ext: ".py": never served, falls through

    bool any() const noexcept { return !mounts.empty(); }
};

struct options;
// What the options ask for: check-static mounts first, then static-map, then static-map2,
// as uWSGI tries them; URL prefixes without a trailing slash.
static_settings static_settings_of(const options& o);

}  // namespace gantry::server
