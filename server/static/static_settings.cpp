#include "server/static/static_settings.hpp"

#include "server/options/options.hpp"

namespace gantry::server {
namespace {

// "/static/" and "/static" are one prefix; "/" stays (the whole site).
std::string prefix_of(std::string url) {
    while (url.size() > 1 && url.ends_with('/')) {
        url.pop_back();
    }
    return url;
}

}  // namespace

static_settings static_settings_of(const options& o) {
    static_settings s;
    for (const std::string& dir : o.check_static) {
        s.mounts.push_back({"/", dir, false});
        s.check_static.push_back(true);
    }
    for (const bool keep_prefix : {false, true}) {
        for (const options::static_map& m : o.static_maps) {
            if (m.keep_prefix == keep_prefix) {
                s.mounts.push_back({prefix_of(m.url), m.dir, keep_prefix});
                s.check_static.push_back(false);
            }
        }
    }
    s.index = o.static_index;
    for (const options::static_expiry& e : o.static_expires) {
        s.expires.push_back({e.pattern, e.on_uri, e.seconds});
    }
    s.gzip_all = o.static_gzip_all;
    s.gzip_dirs = o.static_gzip_dirs;
    s.gzip_patterns = o.static_gzip;
    s.safe = o.static_safe;
    s.skip_ext = o.static_skip_ext;
    return s;
}

}  // namespace gantry::server
