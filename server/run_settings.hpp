// Each subsystem's settings, read off the options: the interpreter's, the apps to mount,
// process titles, cron jobs, touch files, the master's. Pure translation, no I/O, so that
// run.cpp is only the order things start in.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "embed/interpreter.hpp"
#include "embed/wsgi_app.hpp"
#include "server/master/master.hpp"
#include "server/net/listener.hpp"
#include "server/observe/observe_sockets.hpp"
#include "server/options/options.hpp"
#include "server/process/proc_title.hpp"

namespace gantry::server {

embed::interpreter_config python_config(const options& o);
// --module / --wsgi-file is the app at the root; each --mount adds one under its prefix.
std::vector<embed::app_mount> mounts_of(const options& o);
title_options title_options_of(const options& o);
// gantry.opt / uwsgi.opt: the effective options, as --print-config writes them.
std::vector<std::pair<std::string, std::string>> option_values(const options& o);
std::vector<touch_file> touch_files_of(const options& o);
// `app_imported`: the master imported the app, so its @gantry.cron functions are known.
master_settings master_settings_of(const options& o, const std::vector<listener>& listeners,
                                   const observe_sockets& observers, bool app_imported);

}  // namespace gantry::server
