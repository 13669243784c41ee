#include "embed/response_writer.hpp"

#include <fmt/format.h>

#include <array>

#include "embed/python_error.hpp"
#include "protocol/http_response.hpp"

namespace py = pybind11;

namespace gantry::embed {
namespace {

constexpr std::string_view protocol_version = "HTTP/1.1";

[[noreturn]] void raise(PyObject* type, const std::string& message) {
    PyErr_SetString(type, message.c_str());
    throw py::error_already_set();
}

std::string repr_of(py::handle o) {
    return py::repr(o).cast<std::string>();
}

// PEP 3333: status and headers are native strings holding only latin-1 code points. CPython
// keeps such a string one byte per character, which is its latin-1 encoding: it is read in
// place, with no bytes object made.
std::string_view latin1(py::handle s, const char* what) {
    PyObject* o = s.ptr();
    if (!PyUnicode_Check(o)) {
        raise(PyExc_TypeError, fmt::format("{} must be str, not {}", what, Py_TYPE(o)->tp_name));
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(o) != 0) {
        throw py::error_already_set();
    }
#endif
    if (PyUnicode_KIND(o) != PyUnicode_1BYTE_KIND) {
        raise(PyExc_ValueError,
              fmt::format("{} must hold only latin-1 characters: {}", what, repr_of(s)));
    }
    return {reinterpret_cast<const char*>(PyUnicode_1BYTE_DATA(o)),
            static_cast<std::size_t>(PyUnicode_GET_LENGTH(o))};
}

// "Connection, Transfer-Encoding" for the bits of response_framer::dropped().
std::string hop_by_hop_names(unsigned dropped) {
    std::string names;
    for (std::size_t i = 0; i < protocol::hop_by_hop_headers.size(); ++i) {
        if ((dropped & (1U << i)) != 0) {
            names.append(names.empty() ? "" : ", ").append(protocol::hop_by_hop_headers[i]);
        }
    }
    return names;
}

}  // namespace

void response_writer::reset(byte_sink* sink, bool head_request, const response_framing& framing) {
    sink_ = sink;
    framer_.reset(framing, head_request);
    head_.clear();
    length_hint_.reset();
    headers_set_ = false;
    headers_sent_ = false;
    client_gone_ = false;
    bytes_sent_ = 0;
    head_bytes_ = 0;
    header_count_ = 0;
}

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
    headers_set_ = false;
    const std::string_view status_text = latin1(status, "status");
    const std::error_code bad_status = head_.start(protocol_version, status_text);
    framer_.start(head_.status_code());
    if (bad_status) {
        raise(PyExc_ValueError,
              fmt::format("invalid status {} (want e.g. \"200 OK\")", repr_of(status)));
    }
    add_headers(headers);
    headers_set_ = true;
}

void response_writer::add_headers(py::handle headers) {
    PyObject* list = headers.ptr();
    if (!PyList_Check(list) && !PyTuple_Check(list)) {
        raise(PyExc_TypeError,
              fmt::format("response_headers must be a list, not {}", Py_TYPE(list)->tp_name));
    }
    // By index: no Python code runs in this loop that could change the list's length.
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(list); ++i) {
        add_header(PySequence_Fast_GET_ITEM(list, i));
    }
}

void response_writer::add_header(PyObject* item) {
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
        raise(PyExc_TypeError,
              "each response header must be a (name, value) tuple, not " + repr_of(item));
    }
    const auto name = latin1(PyTuple_GET_ITEM(item, 0), "header name");
    const auto value = latin1(PyTuple_GET_ITEM(item, 1), "header value");
    const protocol::header_verdict verdict = framer_.check(name, value);
    const bool valid = verdict == protocol::header_verdict::pass
                           ? !head_.add(name, value)
                           : protocol::response_head::valid_name(name) &&
                                 protocol::response_head::valid_value(value);
    if (!valid) {
        raise(PyExc_ValueError,
              "invalid response header " + repr_of(item) +
                  " (names are tokens; values may not hold control characters but tab)");
    }
    if (verdict == protocol::header_verdict::invalid_length) {
        raise(PyExc_ValueError, "invalid Content-Length header " + repr_of(item));
    }
    if (verdict == protocol::header_verdict::conflicting_length) {
        // RFC 9110 8.6: no recipient could tell where such a body ends.
        raise(PyExc_ValueError, fmt::format("a second Content-Length {} differs from the first, {}",
                                            repr_of(item), *framer_.declared_length()));
    }
}

void response_writer::require_started() const {
    if (!headers_set_) {
        raise(PyExc_AssertionError, "response body sent before start_response was called");
    }
}

void response_writer::write(py::handle chunk, bool last) {
    if (!PyBytes_Check(chunk.ptr())) {
        raise(PyExc_TypeError, fmt::format("response body chunks must be bytes, not {}",
                                           Py_TYPE(chunk.ptr())->tp_name));
    }
    require_started();
    const auto size = static_cast<std::size_t>(PyBytes_GET_SIZE(chunk.ptr()));
    if (size == 0) {
        return;  // PEP 3333: headers wait for the first non-empty chunk
    }
    const std::string_view body(PyBytes_AS_STRING(chunk.ptr()), framer_.admit(size));
    if (body.empty() && headers_sent_) {
        return;
    }
    send(headers_sent_ ? std::string_view() : final_head(length_hint_), body, last);
}

void response_writer::write_file(int fd, std::uint64_t offset, std::uint64_t count) {
    require_started();
    const std::uint64_t n = framer_.admit(count);
    if (!headers_sent_) {
        send(final_head(n), {});  // nothing was sent before: the file is the whole body
    }
    if (n == 0) {
        return;
    }
    const protocol::chunk_size_line size_line = framer_.chunk_start(n);
    std::error_code ec;
    byte_sink* const sink = enter_sink("file sent");  // nothing may throw until `leave`
    {
        py::gil_scoped_release nogil;
        const io_gate::leave_on_exit leave(gate_);
        const std::span<const std::byte> before[] = {std::as_bytes(std::span(size_line.view()))};
        sink->write(before, ec);
        if (!ec) {
            sink->send_file(fd, offset, n, ec);
        }
        const std::span<const std::byte> after[] = {std::as_bytes(std::span(framer_.chunk_end(n)))};
        if (!ec) {
            sink->write(after, ec);
        }
    }
    check(ec);
    bytes_sent_ += n;
}

void response_writer::finish() {
    require_started();
    if (!headers_sent_) {
        send(final_head(0), {}, true);
    } else if (const std::string_view end = framer_.last_chunk(); !end.empty()) {
        send(end, {}, true);  // as a "head": a body piece would be framed as a chunk
    }
    if (sink_ != nullptr) {
        sink_->response_complete();
    }
}

std::string_view response_writer::final_head(std::optional<std::uint64_t> known_total) {
    framer_.finish_head(head_, known_total);
    return head_.finish();
}

void response_writer::send_internal_error() {
    headers_set_ = true;
    framer_.start(500);
    send(protocol::http_error_response(500, framer_.head_request()), {});
}

std::string response_writer::warning() const {
    std::string out;
    const auto declared = framer_.declared_length();
    const std::uint64_t offered = framer_.offered();
    if (declared && framer_.body_allowed() && offered != *declared) {
        out =
            fmt::format("the application sent {} body bytes for a Content-Length of {}{}", offered,
                        *declared, offered > *declared ? "; the excess was not sent" : "");
    }
    if (framer_.dropped() != 0) {
        out.append(out.empty() ? "" : "; ")
            .append(fmt::format("the application's hop-by-hop header(s) {} were dropped "
                                "(PEP 3333: they are the server's alone)",
                                hop_by_hop_names(framer_.dropped())));
    }
    return out;
}

byte_sink* response_writer::enter_sink(const char* what) {
    // A local for the write: detach() may clear sink_ while the GIL is released (review
    // finding 22).
    byte_sink* const sink = sink_;
    if (sink == nullptr) {
        raise_os_error(fmt::format("{} after the request ended", what));
    }
    if (!gate_.try_enter()) {
        raise(PyExc_RuntimeError,
              fmt::format("{} while another thread is writing the response", what));
    }
    return sink;
}

void response_writer::send(std::string_view head, std::string_view body, bool last) {
    const protocol::chunk_size_line size_line = framer_.chunk_start(body.size());
    const std::string_view chunk_end = framer_.chunk_end(body.size());
    const std::array<std::span<const std::byte>, 4> parts{
        std::as_bytes(std::span(head.data(), head.size())),
        std::as_bytes(std::span(size_line.view())),
        std::as_bytes(std::span(body.data(), body.size())),
        std::as_bytes(std::span(chunk_end.data(), chunk_end.size()))};
    std::error_code ec;
    byte_sink* const sink = enter_sink("write() called");  // nothing may throw until `leave`
    {
        py::gil_scoped_release nogil;
        const io_gate::leave_on_exit leave(gate_);
        if (last) {
            sink->write_last(parts, ec);
        } else {
            sink->write(parts, ec);
        }
    }
    if (!headers_sent_) {
        head_bytes_ = head.size();
        header_count_ = head_.fields();
    }
    headers_sent_ = true;
    check(ec);
    bytes_sent_ += head.size() + body.size();
}

void response_writer::check(const std::error_code& ec) {
    if (ec) {
        client_gone_ = true;
        raise_os_error("client went away: " + ec.message());
    }
}

}  // namespace gantry::embed
