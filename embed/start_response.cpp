#include "embed/start_response.hpp"

#include <pybind11/pybind11.h>

#include <cstddef>
#include <exception>
#include <new>
#include <span>

namespace py = pybind11;

namespace gantry::embed {
namespace {

// Enough for every request thread of a worker; more would only hold memory.
constexpr std::size_t max_spare = 64;

struct write_object;

struct start_response_object {
    PyObject ob_base;
    vectorcallfunc vectorcall;
    write_object* write;      // owned: what every call returns
    response_writer* writer;  // owned
    bool live;                // false outside the request it was handed out for
};

struct write_object {
    PyObject ob_base;
    vectorcallfunc vectorcall;
    // Borrowed. Cleared whenever the owner may go away while this object lives on.
    start_response_object* owner;
};

// Matches a vectorcall's arguments to `names`, positional first, then by keyword, as Python
// does for `def f(a, b, c=None)`; false with a TypeError set.
bool bind_args(const char* function, PyObject* const* args, std::size_t nargsf, PyObject* kwnames,
               std::span<const char* const> names, std::size_t required, std::span<PyObject*> out) {
    const auto given = static_cast<std::size_t>(PyVectorcall_NARGS(nargsf));
    if (given > names.size()) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %zu arguments (%zu given)", function,
                     names.size(), given);
        return false;
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        out[i] = i < given ? args[i] : nullptr;
    }
    const Py_ssize_t keywords = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t k = 0; k < keywords; ++k) {
        PyObject* name = PyTuple_GET_ITEM(kwnames, k);
        std::size_t slot = 0;
        while (slot < names.size() && PyUnicode_CompareWithASCIIString(name, names[slot]) != 0) {
            ++slot;
        }
        if (slot == names.size()) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", function,
                         name);
            return false;
        }
        if (out[slot] != nullptr) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", function,
                         names[slot]);
            return false;
        }
        out[slot] = args[given + static_cast<std::size_t>(k)];
    }
    for (std::size_t i = 0; i < required; ++i) {
        if (out[i] == nullptr) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", function,
                         names[i]);
            return false;
        }
    }
    return true;
}

// Runs `f`, turning a C++ exception into the Python error a callable must return with.
template <typename F>
PyObject* guarded(F&& f) noexcept {
    try {
        return f();
    } catch (py::error_already_set& e) {
        e.restore();
    } catch (const std::bad_alloc&) {
        PyErr_NoMemory();
    } catch (const std::exception& e) {
        PyErr_SetString(PyExc_RuntimeError, e.what());
    }
    return nullptr;
}

PyObject* call_start_response(PyObject* self, PyObject* const* args, std::size_t nargsf,
                              PyObject* kwnames) {
    static constexpr const char* names[] = {"status", "response_headers", "exc_info"};
    PyObject* bound[3];
    if (!bind_args("start_response", args, nargsf, kwnames, names, 2, bound)) {
        return nullptr;
    }
    auto* sr = reinterpret_cast<start_response_object*>(self);
    if (!sr->live) {
        PyErr_SetString(PyExc_OSError, "start_response called after the request ended");
        return nullptr;
    }
    return guarded([&] {
        sr->writer->start(bound[0], bound[1], bound[2] != nullptr ? bound[2] : Py_None);
        return Py_NewRef(reinterpret_cast<PyObject*>(sr->write));
    });
}

PyObject* call_write(PyObject* self, PyObject* const* args, std::size_t nargsf, PyObject* kwnames) {
    static constexpr const char* names[] = {"data"};
    PyObject* bound[1];
    if (!bind_args("write", args, nargsf, kwnames, names, 1, bound)) {
        return nullptr;
    }
    start_response_object* sr = reinterpret_cast<write_object*>(self)->owner;
    if (sr == nullptr || !sr->live) {
        PyErr_SetString(PyExc_OSError, "write() called after the request ended");
        return nullptr;
    }
    return guarded([&] {
        sr->writer->write(bound[0]);
        return Py_NewRef(Py_None);
    });
}

void dealloc_start_response(PyObject* self) {
    auto* sr = reinterpret_cast<start_response_object*>(self);
    delete sr->writer;
    if (sr->write != nullptr) {
        sr->write->owner = nullptr;
        Py_DECREF(reinterpret_cast<PyObject*>(sr->write));
    }
    Py_TYPE(self)->tp_free(self);
}

void dealloc_write(PyObject* self) {
    Py_TYPE(self)->tp_free(self);
}

// A static type, as CPython's own callables have: no instances from Python, no GC (these
// objects refer to no Python object but each other).
PyTypeObject callable_type(const char* name, Py_ssize_t size, destructor dealloc,
                           Py_ssize_t vectorcall_offset, const char* doc) {
    PyTypeObject t{};
    Py_SET_REFCNT(reinterpret_cast<PyObject*>(&t), 1);
    t.tp_name = name;
    t.tp_basicsize = size;
    t.tp_dealloc = dealloc;
    t.tp_vectorcall_offset = vectorcall_offset;
    t.tp_call = PyVectorcall_Call;
    t.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL;
    t.tp_doc = doc;
    return t;
}

PyTypeObject start_response_type =
    callable_type("gantry.StartResponse", sizeof(start_response_object), dealloc_start_response,
                  offsetof(start_response_object, vectorcall),
                  "start_response(status, response_headers, exc_info=None) of PEP 3333");

PyTypeObject write_type = callable_type(
    "gantry.Write", sizeof(write_object), dealloc_write, offsetof(write_object, vectorcall),
    "write(data): the write callable start_response returns (PEP 3333)");

start_response_object* make_start_response() {
    auto* sr = PyObject_New(start_response_object, &start_response_type);
    if (sr == nullptr) {
        throw py::error_already_set();
    }
    sr->vectorcall = call_start_response;
    sr->write = nullptr;
    sr->writer = nullptr;
    sr->live = false;
    auto steal = py::reinterpret_steal<py::object>(reinterpret_cast<PyObject*>(sr));
    sr->write = PyObject_New(write_object, &write_type);
    if (sr->write == nullptr) {
        throw py::error_already_set();
    }
    sr->write->vectorcall = call_write;
    sr->write->owner = sr;
    sr->writer = new response_writer();
    return reinterpret_cast<start_response_object*>(steal.release().ptr());
}

}  // namespace

start_response_pool::~start_response_pool() {
    for (PyObject* sr : spare_) {
        Py_DECREF(sr);
    }
}

PyObject* start_response_pool::acquire(byte_sink* sink, bool head_request,
                                       const response_framing& framing) {
    if (spare_.capacity() == 0) {
        spare_.reserve(max_spare);  // so that release() never allocates
    }
    start_response_object* sr = nullptr;
    if (spare_.empty()) {
        sr = make_start_response();
    } else {
        sr = reinterpret_cast<start_response_object*>(spare_.back());
        spare_.pop_back();
    }
    sr->writer->reset(sink, head_request, framing);
    sr->live = true;
    return reinterpret_cast<PyObject*>(sr);
}

response_writer& start_response_pool::writer_of(PyObject* start_response) noexcept {
    return *reinterpret_cast<start_response_object*>(start_response)->writer;
}

void start_response_pool::release(PyObject* start_response) noexcept {
    auto* sr = reinterpret_cast<start_response_object*>(start_response);
    sr->live = false;
    sr->writer->detach();
    // Nobody else holds the start_response, and only it holds its write(): neither can be
    // called any more, so the next request may have them.
    if (Py_REFCNT(start_response) == 1 && Py_REFCNT(sr->write) == 1 &&
        spare_.size() < spare_.capacity()) {
        spare_.push_back(start_response);
        return;
    }
    sr->write->owner = nullptr;
    Py_DECREF(start_response);
}

void define_start_response(PyObject* module) {
    if (PyType_Ready(&start_response_type) != 0 || PyType_Ready(&write_type) != 0) {
        throw py::error_already_set();
    }
    Py_INCREF(&start_response_type);
    if (PyModule_AddObject(module, "StartResponse",
                           reinterpret_cast<PyObject*>(&start_response_type)) != 0) {
        Py_DECREF(&start_response_type);
        throw py::error_already_set();
    }
}

}  // namespace gantry::embed
