#include "embed/environ_builder.hpp"

#include <algorithm>
#include <optional>

namespace py = pybind11;

namespace gantry::embed {
namespace {

// Room for the template's entries and the vars of a request with a good few headers, so
// that filling a copy never resizes it (CPython keeps the size when it copies a dict).
constexpr Py_ssize_t environ_room = 40;

py::object interned(std::string_view s) {
    PyObject* o = PyUnicode_InternFromString(std::string(s).c_str());
    if (o == nullptr) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<py::object>(o);
}

py::object latin1(std::string_view s) {
    PyObject* o = latin1_str(s);
    if (o == nullptr) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<py::object>(o);
}

void set_item(PyObject* dict, PyObject* key, PyObject* value) {
    if (PyDict_SetItem(dict, key, value) != 0) {
        throw py::error_already_set();
    }
}

// The vars that tell whether the request came over TLS, as they go by; the last one wins.
struct scheme_vars {
    std::optional<std::string_view> https;
    std::optional<std::string_view> uwsgi_scheme;
    std::optional<std::string_view> request_scheme;

    bool is_https() const {
        if (https && (*https == "on" || *https == "1")) {
            return true;
        }
        if (uwsgi_scheme) {
            return *uwsgi_scheme == "https";
        }
        return request_scheme == std::optional<std::string_view>("https");
    }
};

}  // namespace

environ_builder::environ_builder(const environ_settings& settings)
    : template_(py::reinterpret_steal<py::dict>(_PyDict_NewPresized(environ_room))) {
    if (!template_) {
        throw py::error_already_set();
    }
    wsgi_input_ = interned("wsgi.input");
    wsgi_url_scheme_ = interned("wsgi.url_scheme");
    https_ = interned("https");
    template_[interned("wsgi.version")] = py::make_tuple(1, 0);
    template_[wsgi_url_scheme_] = interned("http");
    template_[interned("wsgi.errors")] = py::module_::import("sys").attr("stderr");
    template_[interned("wsgi.multithread")] = py::bool_(settings.multithread);
    template_[interned("wsgi.multiprocess")] = py::bool_(settings.multiprocess);
    template_[interned("wsgi.run_once")] = py::bool_(false);
    // The body is framed by CONTENT_LENGTH: reading past it gives b"", never a hang.
    template_[interned("wsgi.input_terminated")] = py::bool_(true);
    template_[interned("wsgi.file_wrapper")] = py::module_::import("gantry").attr("FileWrapper");
    script_name_ = py::reinterpret_borrow<py::object>(keys_.find("SCRIPT_NAME")->key);
    path_info_ = py::reinterpret_borrow<py::object>(keys_.find("PATH_INFO")->key);
    // nginx's uwsgi_params sends no SCRIPT_NAME; PEP 3333 wants one (empty: app at the root).
    template_[script_name_] = interned("");
}

py::dict environ_builder::build(const protocol::request_head& head, py::handle input,
                                std::string_view mount) {
    auto environ = py::reinterpret_steal<py::dict>(PyDict_Copy(template_.ptr()));
    if (!environ) {
        throw py::error_already_set();
    }
    scheme_vars scheme;
    for (std::size_t i = 0; i < head.vars.size(); ++i) {
        const protocol::var& v = head.vars[i];
        // The wsgi.* keys are the server's objects (review finding 18): a uwsgi var named
        // wsgi.url_scheme or wsgi.errors must not replace them. CGI names are upper case,
        // so the first byte settles it for every other var (an empty key is never sent).
        if (!v.key.empty() && v.key.front() == 'w' && v.key.starts_with("wsgi.")) {
            continue;
        }
        environ_keys::entry* e = keys_.find(v.key, i);
        switch (e != nullptr ? e->role : var_role::plain) {
            case var_role::never:
                continue;
            case var_role::https:
                scheme.https = v.value;
                break;
            case var_role::uwsgi_scheme:
                scheme.uwsgi_scheme = v.value;
                break;
            case var_role::request_scheme:
                scheme.request_scheme = v.value;
                break;
            case var_role::plain:
                break;
        }
        // Later duplicates overwrite earlier ones: the last one wins, as with nginx 1.22.
        if (e != nullptr) {
            PyObject* value = environ_keys::value(*e, v.value);
            if (value == nullptr) {
                throw py::error_already_set();
            }
            const auto owned = py::reinterpret_steal<py::object>(value);
            set_item(environ.ptr(), e->key, value);
        } else {
            set_item(environ.ptr(), latin1(v.key).ptr(), latin1(v.value).ptr());
        }
    }
    if (scheme.is_https()) {
        set_item(environ.ptr(), wsgi_url_scheme_.ptr(), https_.ptr());
    }
    if (!mount.empty()) {
        const std::string_view path = head.find("PATH_INFO").value_or("");
        const std::string_view front = head.find("SCRIPT_NAME").value_or("");
        set_item(environ.ptr(), script_name_.ptr(), latin1(std::string(front).append(mount)).ptr());
        set_item(environ.ptr(), path_info_.ptr(),
                 latin1(path.substr(std::min(mount.size(), path.size()))).ptr());
    }
    set_item(environ.ptr(), wsgi_input_.ptr(), input.ptr());
    return environ;
}

}  // namespace gantry::embed
