// start_response and the write() it returns (PEP 3333) as plain CPython callables over a
// response_writer: no pybind11 object and no argument dispatcher on the request path. They
// are recycled from one request to the next when the application kept no reference to
// them; one it kept raises when called after its request, and never reaches a later one.
#pragma once

#include <Python.h>

#include <vector>

#include "embed/byte_io.hpp"
#include "embed/response_writer.hpp"
#include "embed/wsgi_app.hpp"

namespace gantry::embed {

class start_response_pool {
public:
    start_response_pool() = default;
    ~start_response_pool();  // needs the GIL
    start_response_pool(const start_response_pool&) = delete;
    start_response_pool& operator=(const start_response_pool&) = delete;

    // A start_response for one request (a new reference) and its writer, reset for `sink`.
    // Needs the GIL, as does everything here.
    PyObject* acquire(byte_sink* sink, bool head_request, const response_framing& framing);
    static response_writer& writer_of(PyObject* start_response) noexcept;
    // The request is over: `start_response` and its write() raise from now on, and are
    // kept for the next request if nothing else holds them. Takes the reference back.
    void release(PyObject* start_response) noexcept;

private:
    std::vector<PyObject*> spare_;
};

// Readies the Python types and adds them to the `gantry` module.
void define_start_response(PyObject* module);

}  // namespace gantry::embed
