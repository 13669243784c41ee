// The master FIFO (uWSGI's --master-fifo): named pipes the master reads one-byte commands
// from. See server/master/master_fifo.hpp.
#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {

std::vector<option_def> fifo_rows() {
    return {
        list("master-fifo", "", "Master FIFO",
             "make this named pipe (mode 0600) and act on each byte written to it: r/R reload, "
             "c chain reload, q graceful stop, Q immediate stop, +/- one worker more/fewer, "
             "l reopen logs, L rotate logs, w/W reload workers, C cheap mode, s stats to the log",
             &options::master_fifo, value_type::path),
    };
}

}  // namespace gantry::server::rows
