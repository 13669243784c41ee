#include "server/log/request_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace gantry::server::log {
namespace {

using enum request_var;

constexpr std::pair<std::string_view, request_var> known[] = {
    {"addr", addr},
    {"user", user},
    {"method", method},
    {"uri", uri},
    {"proto", proto},
    {"host", host},
    {"referer", referer},
    {"uagent", uagent},
    {"status", status},
    {"size", size},
    {"rsize", rsize},
    {"hsize", hsize},
    {"headers", headers},
    {"cl", cl},
    {"vars", vars},
    {"pktsize", pktsize},
    {"modifier1", modifier1},
    {"modifier2", modifier2},
    {"msecs", msecs},
    {"micros", micros},
    {"secs", secs},
    {"time", time},
    {"tmsecs", tmsecs},
    {"tmicros", tmicros},
    {"ltime", ltime},
    {"ftime", ftime},
    {"ctime", ctime},
    {"epoch", epoch},
    {"pid", pid},
    {"wid", wid},
    {"core", core},
    {"vsz", vsz},
    {"rss", rss},
    {"vszM", vsz_mb},
    {"rssM", rss_mb},
};

// uWSGI variables that mean nothing in gantry, with why: refused rather than written as a
// constant or "-" that would look like a measurement.
constexpr std::pair<std::string_view, std::string_view> meaningless[] = {
    {"switches", "gantry has no async cores to switch between"},
    {"werr", "gantry logs a failed write as its own warning line, not as a request line"},
    {"rerr", "gantry logs a failed read as its own warning line, not as a request line"},
    {"ioerr", "gantry logs a failed read or write as its own warning line, not as a request line"},
};

format_piece variable(std::string_view name) {
    if (name.empty()) {
        throw std::invalid_argument("empty variable %() in the template");
    }
    if (name.starts_with("var.") && name.size() > 4) {
        return {var, std::string(name.substr(4))};
    }
    for (const auto& [known_name, id] : known) {
        if (known_name == name) {
            return {id, {}};
        }
    }
    for (const auto& [refused, why] : meaningless) {
        if (refused == name) {
            throw std::invalid_argument(fmt::format("%({}) is not supported: {}", name, why));
        }
    }
    if (name.starts_with("metric.")) {
        throw std::invalid_argument(
            fmt::format("%({}) is not supported: gantry has no uWSGI metrics", name));
    }
    // Any other name is a uWSGI "logvar", which the app or an internal route sets.
    throw std::invalid_argument(fmt::format(
        "unknown variable %({}) (gantry knows the request variables of uWSGI's log-format, "
        "and %(var.NAME) for any request var; uWSGI logvars set by the app are not supported)",
        name));
}

}  // namespace

request_format::request_format(std::string_view tmpl) {
    std::string text;  // the literal piece being gathered
    std::size_t i = 0;
    while (i < tmpl.size()) {
        if (tmpl.compare(i, 2, "%(") != 0) {
            text += tmpl[i++];
            continue;
        }
        const std::size_t close = tmpl.find(')', i + 2);
        if (close == std::string_view::npos) {
            throw std::invalid_argument(
                fmt::format("unclosed %( at \"{}\" in the template", tmpl.substr(i)));
        }
        format_piece piece = variable(tmpl.substr(i + 2, close - i - 2));
        if (!text.empty()) {
            pieces_.push_back({request_var::literal, std::move(text)});
            text.clear();
        }
        pieces_.push_back(std::move(piece));
        i = close + 1;
    }
    if (!text.empty()) {
        pieces_.push_back({request_var::literal, std::move(text)});
    }
}

bool request_format::uses(request_var v) const noexcept {
    return std::any_of(pieces_.begin(), pieces_.end(),
                       [v](const format_piece& p) { return p.what == v; });
}

}  // namespace gantry::server::log
