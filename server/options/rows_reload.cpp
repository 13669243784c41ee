// The reload triggers: files whose change acts like a signal to the master (uWSGI's
// touch-*), the development reloader (py-autoreload), and what SIGINT means
// (hook-master-start).
#include <signal.h>

#include "server/options/master_hook.hpp"
#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {
namespace {

constexpr std::string_view reload_section = "Reload triggers";
constexpr std::string_view graceful_sigint_hook = "unix_signal:2 gracefully_kill_them_all";

option_def touch_row(std::string_view name, std::string_view doc,
                     std::vector<std::string> options::*f) {
    return list(name, "", reload_section, doc, f, value_type::path);
}

void store_hook(options& o, std::string_view value) {
    if (graceful_stop_signal_of_hook(value) == SIGINT) {
        o.graceful_sigint = true;
    }
}

shown show_hook(const options& o) {
    return o.graceful_sigint ? shown{quoted(graceful_sigint_hook)} : shown{};
}

}  // namespace

std::vector<option_def> reload_rows() {
    using o = options;
    option_def autoreload =
        duration("py-autoreload", reload_section, "off",
                 "development: every this many seconds, reload when a file of an imported "
                 "module changed",
                 &o::py_autoreload, 86400);
    autoreload.aliases = "python-autoreload py-auto-reload python-auto-reload";
    return {
        touch_row("touch-reload", "reload gracefully (as SIGHUP) when this file changes",
                  &o::touch_reload),
        touch_row("touch-chain-reload",
                  "reload one worker at a time (as SIGUSR2) when this file changes",
                  &o::touch_chain_reload),
        touch_row("touch-workers-reload",
                  "replace the workers (the master keeps its app) when this file changes",
                  &o::touch_workers_reload),
        touch_row("touch-logreopen", "reopen the log file (as SIGUSR1) when this file changes",
                  &o::touch_logreopen),
        touch_row("touch-logrotate",
                  "rotate the log file when this file changes (for now: reopen it)",
                  &o::touch_logrotate),
        autoreload,
        {"hook-master-start", "", reload_section, value_type::text, true, "",
         "only 'unix_signal:2 gracefully_kill_them_all' (SIGINT stops gracefully) and "
         "'unix_signal:15 ...' (already so)",
         store_hook, show_hook},
    };
}

}  // namespace gantry::server::rows
