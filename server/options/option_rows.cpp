// All the option rows, subsystem by subsystem, in the order --help and docs/options.md show
// them.
#include "server/options/option_rows.hpp"

namespace gantry::server {

std::vector<option_def> make_option_rows() {
    std::vector<option_def> all;
    for (auto* make : {rows::app_rows, rows::net_rows, rows::pool_rows, rows::cron_rows,
                       rows::ops_rows, rows::procname_rows, rows::meta_rows, rows::compat_rows}) {
        for (option_def& d : make()) {
            all.push_back(std::move(d));
        }
    }
    return all;
}

}  // namespace gantry::server
