// The process's one CPython interpreter. Configured once, with Python's own signal handlers
// off (the master owns signals). Between calls the GIL is released, so every embed entry
// point may be called from any thread without holding it.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace gantry::embed {

struct interpreter_config {
    // Prepended to sys.path, in order (--pythonpath entries, then the working directory).
    std::vector<std::string> python_path;
    // A checked PEP 405 venv folder (see venv.hpp), or "": Python starts as its bin/python
    // would, with sys.prefix the venv and its site-packages on sys.path.
    std::string virtualenv;
    // PyConfig.optimization_level: 1 as `python -O` (asserts off), 2 as `-OO` (docstrings too).
    int optimization_level = 0;
};

class interpreter {
public:
    explicit interpreter(const interpreter_config& config);
    ~interpreter();
    interpreter(const interpreter&) = delete;
    interpreter& operator=(const interpreter&) = delete;

    // Bracket fork() so that Python's locks and thread states stay consistent in both
    // processes (PyOS_BeforeFork and friends). Called by the one place that forks.
    void before_fork();
    void after_fork_in_parent();
    void after_fork_in_child();

    // Moves everything imported so far out of the cyclic GC's reach, so that collections
    // in the workers do not touch (and un-share) the pages the master filled before forking.
    void freeze_gc();

    // On `signal`, Python writes the traceback of every thread to descriptor `fd`
    // (faulthandler): harakiri shows where a stuck request is before the worker is killed.
    void dump_tracebacks_on(int signal, int fd);

    // How many Python threads are running: more than one before the fork means the app
    // started threads at import, and those do not survive into the workers.
    int running_threads();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Registers the calling (non-main) thread with the interpreter for as long as it lives, so
// that each request's GIL acquisition reuses one Python thread state instead of making one.
class python_thread {
public:
    python_thread();
    ~python_thread();
    python_thread(const python_thread&) = delete;
    python_thread& operator=(const python_thread&) = delete;

private:
    int gil_state_;
    void* saved_;
};

}  // namespace gantry::embed
