// The process-title options, uWSGI's auto-procname family: what `ps` shows for the master,
// each worker and the cron task processes (see process/proc_title.hpp).
#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {
namespace {

// uWSGI's uwsgi_opt_set_str_spaced: the same prefix, followed by a space. --print-config
// writes it back as procname-prefix, trailing space included.
option_def prefix_spaced_row() {
    return {"procname-prefix-spaced",
            "",
            section::ops,
            value_type::text,
            false,
            "",
            "like procname-prefix, with a space after the prefix",
            [](options& o, std::string_view v) {
                non_empty(v);
                o.procname_prefix = std::string(v) + " ";
            },
            [](const options&) { return shown{}; }};
}

}  // namespace

std::vector<option_def> procname_rows() {
    using o = options;
    const auto ops = section::ops;
    return {
        flag("auto-procname", "", ops,
             "process titles in ps: \"gantry master\", \"gantry worker N\", \"gantry cron\"",
             &o::auto_procname),
        text("procname-prefix", "", ops, "put this before every process title (titles on)",
             &o::procname_prefix),
        prefix_spaced_row(),
        text("procname-append", "", ops, "put this after every process title (titles on)",
             &o::procname_append),
        text("procname", "", ops, "the title of every process (titles on)", &o::procname),
        text("procname-master", "", ops, "the master's title (titles on)", &o::procname_master),
    };
}

}  // namespace gantry::server::rows
