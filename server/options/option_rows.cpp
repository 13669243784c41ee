// All the option rows, subsystem by subsystem, in the order --help and docs/options.md show
// them.
#include "server/options/option_rows.hpp"

#include <algorithm>
#include <array>

namespace gantry::server {
namespace {

// Long names that are gantry's own rather than uWSGI's (their aliases are uWSGI's), for
// docs/coming-from-uwsgi.md.
constexpr std::array<std::string_view, 11> gantry_names = {
    "http-keepalive-timeout", "http-header-timeout", "body-timeout", "send-timeout",
    "max-connections",        "log-level",           "log-style",    "graceful-timeout",
    "check-config",           "print-config",        "metrics"};

}  // namespace

std::vector<option_def> make_option_rows() {
    std::vector<option_def> all;
    for (auto* make : {rows::app_rows, rows::net_rows, rows::static_rows, rows::pool_rows,
                       rows::reload_rows, rows::fifo_rows, rows::observe_rows, rows::cron_rows,
                       rows::ops_rows, rows::procname_rows, rows::meta_rows, rows::compat_rows}) {
        for (option_def& d : make()) {
            d.gantry_only =
                std::find(gantry_names.begin(), gantry_names.end(), d.name) != gantry_names.end();
            all.push_back(std::move(d));
        }
    }
    return all;
}

}  // namespace gantry::server
