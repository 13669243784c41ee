#include "embed/wsgi_app.hpp"

#include <pybind11/pybind11.h>

#include "embed/app_loader.hpp"
#include "embed/environ_builder.hpp"
#include "embed/input_stream.hpp"
#include "embed/python_error.hpp"
#include "embed/response_writer.hpp"

namespace py = pybind11;

namespace gantry::embed {
namespace {

// Sends every chunk of the application's iterable. A list or tuple (the common
// `return [body]`) is walked by index, without an iterator.
void send_body(py::handle result, response_writer& writer) {
    if (PyList_CheckExact(result.ptr()) || PyTuple_CheckExact(result.ptr())) {
        py::sequence items = py::reinterpret_borrow<py::sequence>(result);
        for (py::ssize_t i = 0; i < PySequence_Fast_GET_SIZE(result.ptr()); ++i) {
            writer.write(PySequence_Fast_GET_ITEM(result.ptr(), i));
        }
        return;
    }
    for (py::handle chunk : result) {
        writer.write(chunk);
    }
}

// PEP 3333: "If the iterable returned by the application has a close() method, the server
// or gateway must call that method upon completion of the current request, whether the
// request was completed normally, or terminated early due to an application error".
void close_result(py::handle result) {
    if (result && py::hasattr(result, "close")) {
        result.attr("close")();
    }
}

}  // namespace

struct wsgi_app::impl {
    impl(const app_spec& spec, const wsgi_settings& settings)
        : app(load_app(spec)),
          environ({.multithread = settings.multithread, .multiprocess = settings.multiprocess}) {}

    void call(const protocol::request_head& head, py::handle input, py::handle start_response,
              response_writer& writer) {
        py::dict env = environ.build(head, input);
        py::object result = app(env, start_response);
        try {
            send_body(result, writer);
            writer.finish();
        } catch (py::error_already_set&) {
            try {
                close_result(result);
            } catch (py::error_already_set&) {
                // the first failure is the one worth reporting
            }
            throw;
        }
        close_result(result);
    }

    py::object app;
    environ_builder environ;
};

wsgi_app::wsgi_app(const app_spec& spec, const wsgi_settings& settings) {
    py::gil_scoped_acquire gil;
    impl_ = std::make_unique<impl>(spec, settings);
}

wsgi_app::~wsgi_app() {
    py::gil_scoped_acquire gil;
    impl_.reset();
}

call_result wsgi_app::handle(const protocol::request_head& head, byte_source& body,
                             byte_sink& out) {
    py::gil_scoped_acquire gil;
    call_result r;
    py::object input = py::cast(input_stream(&body, head.content_length));
    py::object start_response = py::cast(response_writer(&out));
    auto& writer = start_response.cast<response_writer&>();
    try {
        impl_->call(head, input, start_response, writer);
    } catch (py::error_already_set& e) {
        if (writer.client_gone()) {
            r.result = outcome::client_gone;
            r.message = e.what();
        } else if (writer.headers_sent()) {
            r.result = outcome::response_aborted;
            r.message = format_exception(e);
        } else {
            r.result = outcome::app_error;
            r.message = format_exception(e);
            try {
                writer.send_internal_error();
            } catch (py::error_already_set&) {
                // the client is gone too; the app's error is the one to log
            }
        }
    }
    r.status = writer.status();
    r.bytes_sent = writer.bytes_sent();
    input.cast<input_stream&>().detach();
    writer.detach();
    return r;
}

}  // namespace gantry::embed
