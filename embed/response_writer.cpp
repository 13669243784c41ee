#include "embed/response_writer.hpp"

#include <fmt/format.h>
#include <strings.h>
#include <array>
#include <charconv>

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

bool is_content_length(std::string_view name) {
    return name.size() == 14 && strncasecmp(name.data(), "Content-Length", 14) == 0;
}

std::optional<std::uint64_t> parse_length(std::string_view v) {
    std::uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc{} || ptr != v.data() + v.size()) {
        return std::nullopt;
    }
    return n;
}

}  // namespace

void response_writer::reset(byte_sink* sink, bool head_request, const response_framing& framing) {
    sink_ = sink;
    head_only_ = head_request;
    delimit_ = framing.delimit;
    keep_alive_ = framing.keep_alive;
    chunked_ok_ = framing.chunked_ok;
    chunked_ = false;
    length_hint_.reset();
    declared_length_.reset();
    body_offered_ = 0;
    headers_set_ = false;
    headers_sent_ = false;
    client_gone_ = false;
    bytes_sent_ = 0;
    // An empty status is refused, and leaves the head empty with no status code (as a new
    // one), keeping its buffer.
    static_cast<void>(head_.start({}, {}));
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
    declared_length_.reset();
    const std::string_view status_text = latin1(status, "status");
    if (head_.start(protocol_version, status_text)) {
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
        PyObject* item = PySequence_Fast_GET_ITEM(list, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            raise(PyExc_TypeError,
                  "each response header must be a (name, value) tuple, not " + repr_of(item));
        }
        const auto name = latin1(PyTuple_GET_ITEM(item, 0), "header name");
        const auto value = latin1(PyTuple_GET_ITEM(item, 1), "header value");
        if (head_.add(name, value)) {
            raise(PyExc_ValueError, "invalid response header " + repr_of(item) +
                                        " (names are tokens; values may not hold CR, LF or NUL)");
        }
        if (is_content_length(name)) {
            declared_length_ = parse_length(value);
            if (!declared_length_) {
                raise(PyExc_ValueError, "invalid Content-Length header " + repr_of(item));
            }
        }
    }
}

void response_writer::require_started() const {
    if (!headers_set_) {
        raise(PyExc_AssertionError, "response body sent before start_response was called");
    }
}

std::uint64_t response_writer::allowed(std::uint64_t size) noexcept {
    const std::uint64_t before = body_offered_;
    body_offered_ += size;
    if (head_only_) {
        return 0;
    }
    if (!declared_length_) {
        return size;
    }
    return before >= *declared_length_ ? 0 : std::min(size, *declared_length_ - before);
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
    const std::string_view body(PyBytes_AS_STRING(chunk.ptr()), allowed(size));
    if (body.empty() && headers_sent_) {
        return;
    }
    send(headers_sent_ ? std::string_view() : final_head(length_hint_), body, last);
}

void response_writer::write_file(int fd, std::uint64_t offset, std::uint64_t count) {
    require_started();
    const std::uint64_t n = allowed(count);
    if (!headers_sent_) {
        // Nothing was sent before: the file is the whole body.
        send(final_head(head_only_ ? std::nullopt : std::optional(n)), {});
    }
    if (n == 0) {
        return;
    }
    if (sink_ == nullptr) {
        raise_os_error("file sent after the request ended");
    }
    const std::string size_line = chunked_ ? fmt::format("{:x}\r\n", n) : std::string();
    std::error_code ec;
    {
        py::gil_scoped_release nogil;
        const std::span<const std::byte> before[] = {std::as_bytes(std::span(size_line))};
        sink_->write(before, ec);
        if (!ec) {
            sink_->send_file(fd, offset, n, ec);
        }
        const std::span<const std::byte> after[] = {
            std::as_bytes(std::span(std::string_view(chunked_ ? "\r\n" : "")))};
        if (!ec) {
            sink_->write(after, ec);
        }
    }
    check(ec);
    bytes_sent_ += n;
}

void response_writer::finish() {
    require_started();
    if (!headers_sent_) {
        send(final_head(0), {}, true);
    } else if (chunked_) {
        chunked_ = false;  // the terminator is not itself framed
        send("0\r\n\r\n", {}, true);
    }
    if (sink_ != nullptr) {
        sink_->response_complete();
    }
}

std::string_view response_writer::final_head(std::optional<std::uint64_t> known_total) {
    if (!delimit_) {
        return head_.finish();
    }
    const int status = head_.status_code();
    const bool no_body = head_only_ || status < 200 || status == 204 || status == 304;
    if (keep_alive_ && !declared_length_ && !no_body) {
        if (known_total) {
            head_.add("Content-Length", fmt::format("{}", *known_total));
            declared_length_ = known_total;
        } else if (chunked_ok_) {
            head_.add("Transfer-Encoding", "chunked");
            chunked_ = true;
        } else {
            keep_alive_ = false;  // an HTTP/1.0 body of unknown length ends at close
        }
    }
    if (!keep_alive_) {
        head_.add("Connection", "close");
    } else if (!chunked_ok_) {
        head_.add("Connection", "keep-alive");  // HTTP/1.0 clients look for it
    }
    return head_.finish();
}

void response_writer::send_internal_error() {
    headers_set_ = true;
    head_.start(protocol_version, "500 Internal Server Error");
    send(internal_error_response, {});
}

std::string response_writer::length_mismatch() const {
    if (!declared_length_ || head_only_ || body_offered_ == *declared_length_) {
        return {};
    }
    if (body_offered_ > *declared_length_) {
        return fmt::format(
            "the application sent {} body bytes for a Content-Length of {}; "
            "the excess was not sent",
            body_offered_, *declared_length_);
    }
    return fmt::format("the application sent {} body bytes for a Content-Length of {}",
                       body_offered_, *declared_length_);
}

void response_writer::send(std::string_view head, std::string_view body, bool last) {
    if (sink_ == nullptr) {
        raise_os_error("write() called after the request ended");
    }
    char size_line[20] = "";
    std::size_t size_len = 0;
    if (chunked_ && !body.empty()) {
        size_len = fmt::format_to_n(size_line, sizeof size_line, "{:x}\r\n", body.size()).size;
    }
    const std::string_view chunk_end = size_len > 0 ? "\r\n" : "";
    const std::array<std::span<const std::byte>, 4> parts{
        std::as_bytes(std::span(head.data(), head.size())),
        std::as_bytes(std::span(size_line, size_len)),
        std::as_bytes(std::span(body.data(), body.size())),
        std::as_bytes(std::span(chunk_end.data(), chunk_end.size()))};
    std::error_code ec;
    {
        py::gil_scoped_release nogil;
        if (last) {
            sink_->write_last(parts, ec);
        } else {
            sink_->write(parts, ec);
        }
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
