// Process titles: what `ps`, /proc/PID/cmdline and /proc/PID/comm show for each gantry
// process, as uWSGI's auto-procname family of options sets them ("gantry master",
// "gantry worker 3", "gantry cron"). The titles are composed by pure functions; the one
// effect writes them over the memory of the process's argv, as setproctitle(3) does.
#pragma once

#include <string>
#include <string_view>

namespace gantry::server {

// The process-title options. As in uWSGI, any of the procname ones turns titles on too.
struct title_options {
    bool auto_titles = false;  // --auto-procname
    std::string prefix;        // before every title (--procname-prefix[-spaced])
    std::string append;        // after every title (--procname-append)
    std::string every;         // every process's title instead of gantry's (--procname)
    std::string master;        // the master's title (--procname-master)
};

// The master's title, or "" when titles are off (the command line is then left alone).
std::string master_title(const title_options& t);
// A child's title, `own` being gantry's name for it ("gantry worker 3"); "" when off.
std::string child_title(const title_options& t, std::string_view own);
// What PR_SET_NAME keeps of a title (/proc/PID/comm, `ps -o comm`, top): its first 15
// bytes, cut back so that no UTF-8 character is split.
std::string_view comm_of(std::string_view title);

// Takes over the memory that argv's and environ's strings occupy, to write titles there:
// environ is moved to copies on the heap first (so getenv() and the children's environment
// are unchanged), and so is program_invocation_name. Called once, first thing in main();
// argv's strings may be read only until the first set_process_title().
void adopt_title_area(int argc, char** argv);

// Shows `title` for this process; "" leaves everything as it is. Allocates nothing (it runs
// in a child just forked). Longer titles than the adopted area are cut.
void set_process_title(std::string_view title);

}  // namespace gantry::server
