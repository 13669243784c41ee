#include "embed/interpreter.hpp"

#include <pybind11/embed.h>

#include "embed/app_api.hpp"
#include "embed/input_stream.hpp"
#include "embed/python_error.hpp"
#include "embed/start_response.hpp"
#include "embed/venv.hpp"

namespace py = pybind11;

// The `gantry` module holds the types the bridge hands to applications. It lives in this
// file so that linking the interpreter always links its registration.
PYBIND11_EMBEDDED_MODULE(gantry, m) {
    m.doc() = "Gantry: the WSGI bridge's types and the API apps may call.";
    gantry::embed::bind_input_stream(m);
    gantry::embed::define_start_response(m.ptr());
    gantry::embed::define_app_api(m);
}

namespace gantry::embed {

struct interpreter::impl {
    std::unique_ptr<py::scoped_interpreter> python;
    PyThreadState* saved = nullptr;  // this thread's state while the GIL is released
};

namespace {

PyConfig make_config(const interpreter_config& settings) {
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    // Signals belong to the master's loop; Python's handlers would swallow SIGINT.
    config.install_signal_handlers = 0;
    config.parse_argv = 0;
    // print() from the app reaches the log at once, as operators expect.
    config.buffered_stdio = 0;
    // sys.executable and sys.prefix as for the interpreter we were built against.
    PyConfig_SetBytesString(&config, &config.program_name, GANTRY_PYTHON_EXECUTABLE);
    if (!settings.virtualenv.empty()) {
        // PEP 405 as getpath implements it: an executable with pyvenv.cfg one level above its
        // folder makes sys.prefix the venv, the `home` there the base installation, and then
        // site.py adds the venv's site-packages (and the system's only when pyvenv.cfg says
        // include-system-site-packages). `home` (Py_SetPythonHome, uWSGI's way) would turn
        // that detection off, so it stays unset.
        PyConfig_SetBytesString(&config, &config.executable,
                                venv_python(settings.virtualenv).c_str());
    }
    // PYTHONOPTIMIZE in the environment may still raise it, as for `python`.
    config.optimization_level = settings.optimization_level;
    return config;
}

}  // namespace

interpreter::interpreter(const interpreter_config& config) : impl_(std::make_unique<impl>()) {
    PyConfig py_config = make_config(config);
    impl_->python = std::make_unique<py::scoped_interpreter>(&py_config, 0, nullptr, false);
    try {
        py::list sys_path = py::module_::import("sys").attr("path");
        for (auto it = config.python_path.rbegin(); it != config.python_path.rend(); ++it) {
            sys_path.insert(0, py::str(*it));
        }
        py::module_::import("gantry");
    } catch (const py::error_already_set& e) {
        throw std::runtime_error("cannot set up Python: " + format_exception(e));
    }
    impl_->saved = PyEval_SaveThread();
}

interpreter::~interpreter() {
    PyEval_RestoreThread(impl_->saved);
    impl_->python.reset();
}

void interpreter::before_fork() {
    PyEval_RestoreThread(impl_->saved);
    PyOS_BeforeFork();
}

void interpreter::after_fork_in_parent() {
    PyOS_AfterFork_Parent();
    impl_->saved = PyEval_SaveThread();
}

void interpreter::after_fork_in_child() {
    PyOS_AfterFork_Child();
    impl_->saved = PyEval_SaveThread();
}

void interpreter::freeze_gc() {
    with_python([] { py::module_::import("gc").attr("freeze")(); });
}

void interpreter::dump_tracebacks_on(int signal, int fd) {
    with_python([&] {
        py::module_::import("faulthandler")
            .attr("register")(signal, py::arg("file") = fd, py::arg("all_threads") = true,
                              py::arg("chain") = false);
    });
}

int interpreter::running_threads() {
    return with_python([] {
        py::dict modules = py::module_::import("sys").attr("modules");
        if (!modules.contains("threading")) {
            return 1;
        }
        return modules["threading"].attr("active_count")().cast<int>();
    });
}

python_thread::python_thread() {
    gil_state_ = PyGILState_Ensure();
    saved_ = PyEval_SaveThread();
}

python_thread::~python_thread() {
    PyEval_RestoreThread(static_cast<PyThreadState*>(saved_));
    PyGILState_Release(static_cast<PyGILState_STATE>(gil_state_));
}

}  // namespace gantry::embed
