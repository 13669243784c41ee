#include "embed/response_writer.hpp"

#include <array>

#include "embed/python_error.hpp"

namespace py = pybind11;

namespace gantry::embed {
namespace {

constexpr std::string_view protocol_version = "HTTP/1.1";

constexpr std::string_view internal_error_response =
    "HTTP/1.1 500 Internal Server Error\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 22\r\n"
    "\r\n"
    "Internal Server Error\n";

[[noreturn]] void raise(PyObject* type, const std::string& message) {
    PyErr_SetString(type, message.c_str());
    throw py::error_already_set();
}

// PEP 3333: status and headers are native strings holding only latin-1 code points.
std::string_view latin1(py::handle s, const char* what, py::object& keep) {
    if (!PyUnicode_Check(s.ptr())) {
        raise(PyExc_TypeError,
              std::string(what) + " must be str, not " + Py_TYPE(s.ptr())->tp_name);
    }
    PyObject* encoded = PyUnicode_AsLatin1String(s.ptr());
    if (encoded == nullptr) {
        PyErr_Clear();
        raise(PyExc_ValueError, std::string(what) + " must hold only latin-1 characters: " +
                                    py::repr(s).cast<std::string>());
    }
    keep = py::reinterpret_steal<py::object>(encoded);
    return {PyBytes_AS_STRING(encoded), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded))};
}

}  // namespace

void response_writer::start(py::handle status, py::handle headers, py::handle exc_info) {
    if (!exc_info.is_none()) {
        if (headers_sent_) {
            // PEP 3333: "if exc_info is provided, and the HTTP headers have already been
            // sent, start_response must raise an error, and should re-raise using the
            // exc_info tuple."
            if (!PyTuple_Check(exc_info.ptr()) || PyTuple_GET_SIZE(exc_info.ptr()) != 3) {
                raise(PyExc_TypeError, "exc_info must be a (type, value, traceback) tuple");
            }
            PyObject* parts[3];
            for (int i = 0; i < 3; ++i) {
                parts[i] = PyTuple_GET_ITEM(exc_info.ptr(), i);
                Py_INCREF(parts[i]);
            }
            PyErr_Restore(parts[0], parts[1], parts[2]);
            throw py::error_already_set();
        }
    } else if (headers_set_) {
        raise(PyExc_AssertionError, "start_response called a second time without exc_info");
    }
    py::object keep;
    const std::string_view status_text = latin1(status, "status", keep);
    if (head_.start(protocol_version, status_text)) {
        headers_set_ = false;
        raise(PyExc_ValueError,
              "invalid status " + py::repr(status).cast<std::string>() + " (want e.g. \"200 OK\")");
    }
    add_headers(headers);
    headers_set_ = true;
}

void response_writer::add_headers(py::handle headers) {
    if (!PyList_Check(headers.ptr()) && !PyTuple_Check(headers.ptr())) {
        raise(PyExc_TypeError, std::string("response_headers must be a list, not ") +
                                   Py_TYPE(headers.ptr())->tp_name);
    }
    for (py::handle item : headers) {
        if (!PyTuple_Check(item.ptr()) || PyTuple_GET_SIZE(item.ptr()) != 2) {
            raise(PyExc_TypeError, "each response header must be a (name, value) tuple, not " +
                                       py::repr(item).cast<std::string>());
        }
        py::object keep_name;
        py::object keep_value;
        const auto name = latin1(PyTuple_GET_ITEM(item.ptr(), 0), "header name", keep_name);
        const auto value = latin1(PyTuple_GET_ITEM(item.ptr(), 1), "header value", keep_value);
        if (head_.add(name, value)) {
            raise(PyExc_ValueError, "invalid response header " +
                                        py::repr(item).cast<std::string>() +
                                        " (names are tokens; values may not hold CR, LF or NUL)");
        }
    }
}

void response_writer::write(py::handle chunk) {
    if (!PyBytes_Check(chunk.ptr())) {
        raise(PyExc_TypeError, std::string("response body chunks must be bytes, not ") +
                                   Py_TYPE(chunk.ptr())->tp_name);
    }
    if (!headers_set_) {
        raise(PyExc_AssertionError, "response body sent before start_response was called");
    }
    const auto size = static_cast<std::size_t>(PyBytes_GET_SIZE(chunk.ptr()));
    if (size == 0) {
        return;  // headers wait for the first non-empty chunk
    }
    const std::string_view body(PyBytes_AS_STRING(chunk.ptr()), size);
    send(headers_sent_ ? std::string_view() : head_.finish(), body);
}

void response_writer::finish() {
    if (!headers_set_) {
        raise(PyExc_AssertionError, "the application returned without calling start_response");
    }
    if (!headers_sent_) {
        send(head_.finish(), {});
    }
}

void response_writer::send_internal_error() {
    headers_set_ = true;
    head_.start(protocol_version, "500 Internal Server Error");
    send(internal_error_response, {});
}

void response_writer::send(std::string_view head, std::string_view body) {
    if (sink_ == nullptr) {
        raise_os_error("write() called after the request ended");
    }
    const std::array<std::span<const std::byte>, 2> parts{
        std::as_bytes(std::span(head.data(), head.size())),
        std::as_bytes(std::span(body.data(), body.size()))};
    std::error_code ec;
    {
        py::gil_scoped_release nogil;
        sink_->write(parts, ec);
    }
    headers_sent_ = true;
    if (ec) {
        client_gone_ = true;
        raise_os_error("client went away: " + ec.message());
    }
    bytes_sent_ += head.size() + body.size();
}

void bind_response_writer(py::module_& m) {
    py::class_<response_writer>(m, "StartResponse", "start_response of PEP 3333")
        .def(
            "__call__",
            [](py::object self, py::handle status, py::handle headers, py::handle exc_info) {
                self.cast<response_writer&>().start(status, headers, exc_info);
                return self.attr("write");
            },
            py::arg("status"), py::arg("response_headers"), py::arg("exc_info") = py::none())
        .def("write", &response_writer::write, py::arg("data"));
}

}  // namespace gantry::embed
