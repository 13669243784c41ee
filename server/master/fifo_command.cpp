#include "server/master/fifo_command.hpp"

#include <fmt/format.h>

namespace gantry::server {

fifo_command fifo_command_of(unsigned char byte) {
    if (byte >= '0' && byte <= '9') {
        return fifo_command::select_fifo;
    }
    switch (byte) {
        case 'r':
        case 'R':  // uWSGI's reap_them_all: a brutal reload; gantry's reload is always graceful
            return fifo_command::reload;
        case 'c':
            return fifo_command::chain_reload;
        case 'q':
            return fifo_command::graceful_stop;
        case 'Q':
            return fifo_command::immediate_stop;
        case '+':
            return fifo_command::grow;
        case '-':
            return fifo_command::shrink;
        case 'l':
            return fifo_command::reopen_logs;
        case 'L':
            return fifo_command::rotate_logs;
        case 'w':
        case 'W':  // uWSGI's brutal one; gantry's waits for the new workers, as 'w' does
            return fifo_command::workers_reload;
        case 'C':
            return fifo_command::go_cheap;
        case 's':
            return fifo_command::log_stats;
        case '\n':
        case '\r':
        case ' ':
        case '\t':
            return fifo_command::blank;
        default:
            return fifo_command::unknown;
    }
}

std::string_view describe(fifo_command c) {
    switch (c) {
        case fifo_command::reload:
            return "reload";
        case fifo_command::chain_reload:
            return "chain reload";
        case fifo_command::graceful_stop:
            return "graceful stop";
        case fifo_command::immediate_stop:
            return "immediate stop";
        case fifo_command::grow:
            return "one worker more";
        case fifo_command::shrink:
            return "one worker fewer";
        case fifo_command::reopen_logs:
            return "reopen logs";
        case fifo_command::rotate_logs:
            return "rotate logs";
        case fifo_command::workers_reload:
            return "reload workers";
        case fifo_command::go_cheap:
            return "cheap mode";
        case fifo_command::log_stats:
            return "stats";
        case fifo_command::select_fifo:
            return "select FIFO";
        case fifo_command::blank:
            return "nothing";
        case fifo_command::unknown:
            return "unknown";
    }
    return "unknown";
}

std::string printable_byte(unsigned char byte) {
    if (byte >= 0x20 && byte < 0x7f) {
        return fmt::format("'{}'", static_cast<char>(byte));
    }
    return fmt::format("'\\x{:02x}'", byte);
}

}  // namespace gantry::server
