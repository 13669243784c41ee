// What an application can ask of gantry from Python: `import gantry` (and, for apps
// written for uWSGI, `import uwsgi` / `uwsgidecorators`) gives worker_id(), numproc,
// masterpid(), reload(), opt, and the decorators postfork, cron(schedule) and timer(seconds).
// The server fills in the facts and runs what the decorators registered.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pybind11 {
class module_;
}

namespace gantry::embed {

struct process_info {
    int worker_id = 0;  // 0 in the master and in task processes
    int master_pid = 0;
    int numproc = 1;
    std::vector<std::pair<std::string, std::string>> options;  // gantry.opt
};

// Needs the interpreter; takes the GIL itself, like every function here.
void set_process_info(const process_info& info);

// Calls every @postfork function, in a new worker. Returns the tracebacks of those that
// raised (the worker carries on), "" when all went well.
std::string run_postfork_hooks();

// A function registered with @gantry.cron / @gantry.timer (or uwsgidecorators) at import.
struct registered_task {
    std::string name;      // module.function, for the log
    std::string schedule;  // a cron SPEC, or "@every Ns" for a timer
    int index = 0;
};
std::vector<registered_task> registered_tasks();

// In a task process: runs registered task `index`, or the callable named "pkg.mod:function".
// Returns "" or the traceback.
std::string run_registered_task(int index);
std::string run_callable(const std::string& spec);

// Adds the API to the `gantry` module and registers the uwsgi compatibility modules.
void define_app_api(pybind11::module_& m);

}  // namespace gantry::embed
