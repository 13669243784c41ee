#include "embed/app_api.hpp"

#include <pybind11/eval.h>
#include <pybind11/pybind11.h>

#include "embed/python_error.hpp"

namespace py = pybind11;

namespace gantry::embed {
namespace {

// The Python half of the module: plain Python reads best for decorators and module objects.
constexpr const char* api_source = R"(
import os as _os
import signal as _signal
import sys as _sys
import types as _types


def _call_factory(module, expression):
    """--module pkg:create_app('prod', debug=True): call the factory with literal arguments,
    as gunicorn does; returns the WSGI app it makes."""
    import ast

    call = ast.parse(expression, mode="eval").body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise ValueError("not a call of a name: " + repr(expression))
    args = [ast.literal_eval(a) for a in call.args]
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    return getattr(module, call.func.id)(*args, **kwargs)


class FileWrapper:
    """wsgi.file_wrapper: a file sent by the server, with sendfile() when it can."""

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration


_info = {"worker_id": 0, "masterpid": 0}
numproc = 1
opt = {}
_postfork_hooks = []
_tasks = []  # (name, schedule, function, called with a signal number as uWSGI does)


def worker_id():
    """This worker's number, 1..numproc; 0 outside a worker."""
    return _info["worker_id"]


def masterpid():
    return _info["masterpid"]


def reload():
    """Asks the master for a graceful reload (SIGHUP)."""
    _os.kill(_info["masterpid"], _signal.SIGHUP)
    return True


def _name(f):
    return "%s.%s" % (getattr(f, "__module__", "?"), getattr(f, "__qualname__", repr(f)))


def postfork(f):
    """Runs f() in every worker right after it is forked."""
    _postfork_hooks.append(f)
    return f


def cron(schedule):
    """Runs f() on a cron schedule, in a process forked from the master."""
    def register(f):
        _tasks.append((_name(f), schedule, f, False))
        return f
    return register


def timer(seconds):
    """Runs f() every `seconds`, in a process forked from the master."""
    def register(f):
        _tasks.append((_name(f), "@every %ds" % int(seconds), f, False))
        return f
    return register


def _uwsgi_compatibility():
    uwsgi = _types.ModuleType("uwsgi", "Gantry's subset of uWSGI's module")
    for name in ("worker_id", "masterpid", "reload", "numproc", "opt"):
        setattr(uwsgi, name, globals()[name])

    decorators = _types.ModuleType("uwsgidecorators", "Gantry's subset of uwsgidecorators")
    decorators.postfork = postfork

    def ucron(minute=-1, hour=-1, day=-1, month=-1, dayweek=-1, **_):
        spec = " ".join(str(v) for v in (minute, hour, day, month, dayweek))
        def register(f):
            _tasks.append((_name(f), spec, f, True))
            return f
        return register

    def utimer(seconds, **_):
        def register(f):
            _tasks.append((_name(f), "@every %ds" % int(seconds), f, True))
            return f
        return register

    decorators.cron = ucron
    decorators.timer = utimer
    _sys.modules["uwsgi"] = uwsgi
    _sys.modules["uwsgidecorators"] = decorators


_uwsgi_compatibility()
)";

py::module_ gantry_module() {
    return py::module_::import("gantry");
}

std::string call_reporting(const py::object& f, const py::args& args = py::args()) {
    try {
        f(*args);
    } catch (const py::error_already_set& e) {
        return format_exception(e);
    }
    return {};
}

}  // namespace

void define_app_api(py::module_& m) {
    py::exec(api_source, m.attr("__dict__"));
}

void set_process_info(const process_info& info) {
    with_python([&] {
        py::module_ g = gantry_module();
        py::dict state = g.attr("_info");
        state["worker_id"] = info.worker_id;
        state["masterpid"] = info.master_pid;
        // As uWSGI's: a repeated option becomes a list of its values.
        py::dict opt;
        for (const auto& [key, value] : info.options) {
            const py::str k(key);
            if (!opt.contains(k)) {
                opt[k] = py::str(value);
            } else if (py::isinstance<py::list>(opt[k])) {
                opt[k].cast<py::list>().append(py::str(value));
            } else {
                opt[k] = py::list(py::make_tuple(opt[k], py::str(value)));
            }
        }
        py::module_ uwsgi = py::module_::import("uwsgi");
        for (py::module_* module : {&g, &uwsgi}) {
            module->attr("numproc") = info.numproc;
            module->attr("opt") = opt;
        }
    });
}

std::string run_postfork_hooks() {
    py::gil_scoped_acquire gil;
    std::string failures;
    for (py::handle hook : gantry_module().attr("_postfork_hooks")) {
        const std::string error = call_reporting(py::reinterpret_borrow<py::object>(hook));
        failures += error.empty() ? "" : error + "\n";
    }
    return failures;
}

std::vector<registered_task> registered_tasks() {
    return with_python([] {
        std::vector<registered_task> tasks;
        int index = 0;
        for (py::handle t : gantry_module().attr("_tasks")) {
            py::tuple task = py::reinterpret_borrow<py::tuple>(t);
            tasks.push_back({task[0].cast<std::string>(), task[1].cast<std::string>(), index++});
        }
        return tasks;
    });
}

std::string run_registered_task(int index) {
    return with_python([index] {
        py::tuple task = gantry_module().attr("_tasks")[py::int_(index)];
        // uwsgidecorators' functions take the number of the signal that fired them.
        return task[3].cast<bool>() ? call_reporting(task[2], py::make_tuple(0))
                                    : call_reporting(task[2]);
    });
}

std::string run_callable(const std::string& spec) {
    py::gil_scoped_acquire gil;
    const auto colon = spec.find(':');
    try {
        py::object module = py::module_::import(spec.substr(0, colon).c_str());
        return call_reporting(module.attr(spec.substr(colon + 1).c_str()));
    } catch (const py::error_already_set& e) {
        return format_exception(e);
    }
}

}  // namespace gantry::embed
