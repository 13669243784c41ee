#include "embed/input_stream.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include <pybind11/stl.h>

#include "embed/python_error.hpp"

namespace py = pybind11;

namespace gantry::embed {
namespace {

constexpr std::size_t read_ahead = 64 * 1024;
// read() grows its bytes by this much at most, as the body arrives: a CONTENT_LENGTH is the
// client's claim, not memory to set aside (review finding 17). A body up to this size is
// still read into one allocation of exactly its size.
constexpr std::size_t read_step = 1024 * 1024;
// Enough for every request thread of a worker; more would only hold memory.
constexpr std::size_t max_spare = 64;

}  // namespace

void input_stream::reset(byte_source* source, std::optional<std::uint64_t> content_length) {
    source_ = source;
    remaining_ = content_length.value_or(UINT64_MAX);
    length_known_ = content_length.has_value();
    if (buf_.capacity() > 4 * read_ahead) {
        std::string().swap(buf_);  // a long line once should not hold memory for good
    }
    buf_.clear();
    pos_ = 0;
    failure_.clear();
}

void input_stream::detach() noexcept {
    source_ = nullptr;
    remaining_ = 0;
    gate_.drain();
}

std::size_t input_stream::read_body(char* into, std::size_t n) {
    // A local: detach() may clear source_ while the GIL is released (review finding 22).
    byte_source* const source = source_;
    if (source == nullptr) {
        raise_os_error("wsgi.input read after the request ended");
    }
    if (!gate_.try_enter()) {
        PyErr_SetString(PyExc_RuntimeError, "wsgi.input is being read by another thread");
        throw py::error_already_set();
    }
    std::error_code ec;
    std::size_t got = 0;
    {
        py::gil_scoped_release nogil;
        const io_gate::leave_on_exit leave(gate_);
        while (got < n && !ec) {
            const std::size_t k =
                source->read_some(std::span(reinterpret_cast<std::byte*>(into) + got, n - got), ec);
            if (k == 0 && !ec) {
                break;
            }
            got += k;
        }
    }
    remaining_ -= std::min<std::uint64_t>(got, remaining_);  // 0 if detached meanwhile
    if (ec == std::errc::timed_out) {
        failure_ = "the client stopped sending the request body (timed out)";
    } else if (ec) {
        failure_ = "error reading the request body: " + ec.message();
    } else if (got < n && length_known_) {
        failure_ = "the client closed the connection before sending the whole body";
    }
    if (!failure_.empty()) {
        remaining_ = 0;
        raise_os_error(failure_);
    }
    if (got < n) {
        remaining_ = 0;  // the end of a body of unknown length
    }
    return got;
}

bool input_stream::fill() {
    if (remaining_ == 0) {
        return false;
    }
    buf_.erase(0, pos_);
    pos_ = 0;
    const std::size_t old_size = buf_.size();
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(read_ahead, remaining_));
    buf_.resize(old_size + n);
    std::size_t got = 0;
    try {
        got = read_body(buf_.data() + old_size, n);
    } catch (...) {
        buf_.resize(old_size);
        throw;
    }
    buf_.resize(old_size + got);
    return got > 0;
}

py::bytes input_stream::read(py::ssize_t size) {
    std::uint64_t want = size < 0 ? UINT64_MAX : static_cast<std::uint64_t>(size);
    if (length_known_ || remaining_ == 0) {
        want = std::min<std::uint64_t>(want, buffered() + remaining_);
    }
    want = std::min<std::uint64_t>(want, PY_SSIZE_T_MAX);
    auto capacity = static_cast<std::size_t>(std::min<std::uint64_t>(want, buffered() + read_step));
    PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<py::ssize_t>(capacity));
    if (raw == nullptr) {
        throw py::error_already_set();
    }
    std::size_t got = std::min(buffered(), capacity);
    std::memcpy(PyBytes_AS_STRING(raw), buf_.data() + pos_, got);
    pos_ += got;
    // remaining_ becomes 0 at the end of a body of unknown length, or a short one.
    while (got < want && remaining_ > 0) {
        if (got == capacity) {
            capacity = static_cast<std::size_t>(std::min<std::uint64_t>(want, got + read_step));
            if (_PyBytes_Resize(&raw, static_cast<py::ssize_t>(capacity)) != 0) {
                throw py::error_already_set();  // raw was freed
            }
        }
        try {
            got += read_body(PyBytes_AS_STRING(raw) + got, capacity - got);
        } catch (...) {
            Py_DECREF(raw);
            throw;
        }
    }
    if (got < capacity && _PyBytes_Resize(&raw, static_cast<py::ssize_t>(got)) != 0) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<py::bytes>(raw);
}

py::bytes input_stream::readline(py::ssize_t size) {
    const std::size_t limit = size < 0 ? SIZE_MAX : static_cast<std::size_t>(size);
    std::size_t scanned = 0;
    for (;;) {
        const std::size_t end = pos_ + std::min(buffered(), limit);
        const std::size_t nl = buf_.find('\n', pos_ + scanned);
        if (nl != std::string::npos && nl < end) {
            py::bytes line(buf_.data() + pos_, nl + 1 - pos_);
            pos_ = nl + 1;
            return line;
        }
        if (buffered() >= limit || remaining_ == 0) {
            py::bytes line(buf_.data() + pos_, end - pos_);
            pos_ = end;
            return line;
        }
        scanned = buffered();
        fill();
    }
}

py::list input_stream::readlines(py::ssize_t hint) {
    py::list lines;
    std::size_t total = 0;
    for (;;) {
        py::bytes line = readline();
        const auto n = static_cast<std::size_t>(PyBytes_GET_SIZE(line.ptr()));
        if (n == 0) {
            break;
        }
        lines.append(std::move(line));
        total += n;
        if (hint > 0 && total >= static_cast<std::size_t>(hint)) {
            break;
        }
    }
    return lines;
}

input_object input_pool::acquire(byte_source* source, std::optional<std::uint64_t> content_length) {
    if (spare_.capacity() == 0) {
        spare_.reserve(max_spare);  // so that release() never allocates
    }
    if (spare_.empty()) {
        input_object in;
        // Made in place: its gate can be neither copied nor moved.
        in.object = py::cast(std::make_unique<input_stream>(source, content_length));
        in.stream = &in.object.cast<input_stream&>();
        return in;
    }
    input_object in = std::move(spare_.back());
    spare_.pop_back();
    in.stream->reset(source, content_length);
    return in;
}

void input_pool::release(input_object&& input) noexcept {
    input.stream->detach();
    if (Py_REFCNT(input.object.ptr()) == 1 && spare_.size() < spare_.capacity()) {
        spare_.push_back(std::move(input));
        return;
    }
    input.object = py::object();
}

void bind_input_stream(py::module_& m) {
    using opt_size = std::optional<py::ssize_t>;
    py::class_<input_stream>(m, "Input", "wsgi.input: the request body, streamed")
        // None means "no limit", as for io objects.
        .def(
            "read", [](input_stream& self, opt_size n) { return self.read(n.value_or(-1)); },
            py::arg("size") = py::none())
        .def(
            "readline",
            [](input_stream& self, opt_size n) { return self.readline(n.value_or(-1)); },
            py::arg("size") = py::none())
        .def(
            "readlines",
            [](input_stream& self, opt_size n) { return self.readlines(n.value_or(-1)); },
            py::arg("hint") = py::none())
        .def("__iter__", [](py::object self) { return self; })
        .def("__next__", [](input_stream& self) {
            py::bytes line = self.readline();
            if (PyBytes_GET_SIZE(line.ptr()) == 0) {
                throw py::stop_iteration();
            }
            return line;
        });
}

}  // namespace gantry::embed
