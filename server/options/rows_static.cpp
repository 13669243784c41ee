// Static files as uWSGI's options name them: mounts (static-map URL=DIR, static-map2,
// check-static), the index, expiry rules, compressed siblings, where symlinks may lead.
// What the worker does with them: server/static/static_files.hpp.
#include <algorithm>
#include <regex>
#include <stdexcept>

#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {
namespace {

using o = options;
constexpr std::string_view statics = "Static files";

// "/URL=DIR" (DIR made absolute by the loader, from --chdir).
void store_map(options& opts, std::string_view v, bool keep_prefix) {
    const auto eq = v.find('=');
    if (eq == std::string_view::npos || eq + 1 == v.size()) {
        throw std::invalid_argument("expected URL=DIR (/static=/srv/app/static)");
    }
    const std::string_view url = v.substr(0, eq);
    if (!url.starts_with('/')) {
        throw std::invalid_argument("expected a URL path starting with '/' before the '='");
    }
    opts.static_maps.push_back({std::string(url), std::string(v.substr(eq + 1)), keep_prefix});
}

option_def map_row(std::string_view name, bool keep_prefix, std::string_view doc) {
    return {name,
            "",
            statics,
            value_type::text,
            true,
            "",
            doc,
            [keep_prefix](options& opts, std::string_view v) { store_map(opts, v, keep_prefix); },
            [keep_prefix](const options& opts) {
                shown out;
                for (const options::static_map& m : opts.static_maps) {
                    if (m.keep_prefix == keep_prefix) {
                        out.push_back(quoted(m.url + "=" + m.dir));
                    }
                }
                return out;
            }};
}

void check_regex(std::string_view pattern) {
    try {
        std::regex(pattern.begin(), pattern.end(), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        throw std::invalid_argument(fmt::format("'{}' is not a regex ({})", pattern, e.what()));
    }
}

// "REGEX SECONDS", split at the first space as uWSGI does.
void store_expires(options& opts, std::string_view v, bool on_uri) {
    const auto space = v.find(' ');
    if (space == std::string_view::npos || space == 0) {
        throw std::invalid_argument("expected REGEX SECONDS (\\.css$ 86400)");
    }
    const std::string_view pattern = v.substr(0, space);
    std::string_view seconds = v.substr(space + 1);
    seconds.remove_prefix(std::min(seconds.find_first_not_of(' '), seconds.size()));
    check_regex(pattern);
    opts.static_expires.push_back(
        {std::string(pattern), parse_number(seconds, 0, 10LL * 366 * 24 * 3600), on_uri});
}

option_def expires_row(std::string_view name, bool on_uri, std::string_view doc) {
    return {name,
            "",
            statics,
            value_type::text,
            true,
            "",
            doc,
            [on_uri](options& opts, std::string_view v) { store_expires(opts, v, on_uri); },
            [on_uri](const options& opts) {
                shown out;
                for (const options::static_expiry& e : opts.static_expires) {
                    if (e.on_uri == on_uri) {
                        out.push_back(quoted(fmt::format("{} {}", e.pattern, e.seconds)));
                    }
                }
                return out;
            }};
}

}  // namespace

std::vector<option_def> static_rows() {
    option_def gzip = list("static-gzip", "", statics,
                           "serve FILE.br or FILE.gz beside a file whose path this regex finds, "
                           "when the client accepts it",
                           &o::static_gzip);
    gzip.store = [](options& opts, std::string_view v) {
        non_empty(v);
        check_regex(v);
        opts.static_gzip.emplace_back(v);
    };
    return {
        map_row("static-map", false,
                "serve the files of DIR under /URL: --static-map /static=/srv/app/static "
                "(several; a relative DIR is from --chdir)"),
        map_row("static-map2", true,
                "like static-map, but the whole URL path is looked up under DIR "
                "(/static/a.css is DIR/static/a.css)"),
        list("check-static", "static-check", statics,
             "serve a file of this directory when the URL path names one, else the app answers",
             &o::check_static, value_type::path),
        list("static-index", "", statics,
             "for a URL that names a directory, serve this file in it (index.html; several: "
             "tried in order)",
             &o::static_index),
        expires_row("static-expires-uri", true,
                    "\"REGEX SECONDS\": Cache-Control max-age and Expires for a static file "
                    "whose URL path the regex finds"),
        expires_row("static-expires", false,
                    "\"REGEX SECONDS\": the same for a file whose full path the regex finds"),
        flag("static-gzip-all", "", statics,
             "serve FILE.br or FILE.gz (when not older than FILE) to clients that accept it",
             &o::static_gzip_all),
        list("static-gzip-dir", "static-gzip-prefix", statics,
             "like static-gzip-all, for files whose path starts so", &o::static_gzip_dirs,
             value_type::path),
        gzip,
        list("static-safe", "", statics,
             "a directory a symlink in a static directory may lead into (others are refused)",
             &o::static_safe, value_type::path),
        list("static-skip-ext", "", statics,
             "never serve files ending so (.py): the app gets the request", &o::static_skip_ext),
    };
}

}  // namespace gantry::server::rows
