// The rows of the option table, made once (see option_table.hpp for what a row is). Each
// subsystem's rows are made in their own file, options/rows_<subsystem>.cpp, from the
// factories in row_factories.hpp; make_option_rows() puts them in --help order.
#pragma once

#include <vector>

#include "server/options/option_table.hpp"

namespace gantry::server {

std::vector<option_def> make_option_rows();

namespace rows {

std::vector<option_def> app_rows();       // the WSGI app: what to import and how
std::vector<option_def> net_rows();       // listeners and connections
std::vector<option_def> static_rows();    // static files: static-map and friends
std::vector<option_def> pool_rows();      // workers: how many, recycling, cheap mode
std::vector<option_def> reload_rows();    // touch-* files, py-autoreload, hook-master-start
std::vector<option_def> cron_rows();      // scheduled commands and calls
std::vector<option_def> observe_rows();   // --stats, --metrics
std::vector<option_def> fifo_rows();      // the master FIFO: commands written to a pipe
std::vector<option_def> procname_rows();  // process titles in ps
std::vector<option_def> ops_rows();       // pidfile, user, logging
std::vector<option_def> meta_rows();      // the configuration itself: files, --help
std::vector<option_def> compat_rows();    // uWSGI options accepted and ignored

}  // namespace rows

}  // namespace gantry::server
