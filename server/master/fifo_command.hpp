// The master FIFO's command table (uWSGI's core/fifo.c uwsgi_fifo_table): what one byte
// written to a --master-fifo asks of the master. Pure, so that the table is tested alone;
// master.cpp carries the commands out.
#pragma once

#include <string>
#include <string_view>

namespace gantry::server {

enum class fifo_command {
    reload,          // r, R: graceful reload (SIGHUP)
    chain_reload,    // c: one worker at a time (SIGUSR2)
    graceful_stop,   // q: SIGTERM
    immediate_stop,  // Q: SIGINT
    grow,            // +: one worker more (SIGTTIN)
    shrink,          // -: one worker fewer (SIGTTOU)
    reopen_logs,     // l: SIGUSR1
    rotate_logs,     // L: rename the --logto file and open a new one
    workers_reload,  // w, W: new workers forked from this master (touch-workers-reload)
    go_cheap,        // C: cheap mode now (the pool back when a connection comes)
    log_stats,       // s: the --stats document, in the log
    select_fifo,     // 0-9: make the Nth FIFO the active one
    blank,           // whitespace (`echo r > fifo` writes "r\n"): ignored without a word
    unknown,         // anything else: logged once, ignored
};

fifo_command fifo_command_of(unsigned char byte);

// What the command does, in words for the log ("chain reload").
std::string_view describe(fifo_command c);

// The commands gantry has, for the log line that refuses an unknown one.
inline constexpr std::string_view fifo_commands_known = "r R c q Q + - l L w W C s 0-9";

// A byte as the log shows it: 'r', or '\x07' when it is not printable.
std::string printable_byte(unsigned char byte);

}  // namespace gantry::server
