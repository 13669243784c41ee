#include "embed/wsgi_app.hpp"

#include <pybind11/pybind11.h>
#include <sys/stat.h>

#include <algorithm>

#include "embed/app_loader.hpp"
#include "embed/environ_builder.hpp"
#include "embed/input_stream.hpp"
#include "embed/python_error.hpp"
#include "embed/response_writer.hpp"
#include "embed/start_response.hpp"
#include "protocol/http_response.hpp"

namespace py = pybind11;

namespace gantry::embed {
namespace {

struct mounted_app {
    std::string prefix;
    py::object app;
};

// A wrapped regular file goes out with sendfile() from its current position; false when
// the file-like object has no usable descriptor (then it is iterated like any other).
bool send_real_file(py::handle wrapper, response_writer& writer) {
    py::object file = wrapper.attr("filelike");
    // Text files have a fileno() too, but their bytes on disk are not what read() returns.
    if (!py::hasattr(file, "fileno") || py::hasattr(file, "encoding")) {
        return false;
    }
    int fd = -1;
    long long offset = 0;
    try {
        fd = file.attr("fileno")().cast<int>();
        offset = py::hasattr(file, "tell") ? file.attr("tell")().cast<long long>() : 0;
    } catch (const py::error_already_set&) {
        return false;  // io.UnsupportedOperation and friends: not a real file
    }
    struct stat st {};
    if (fd < 0 || offset < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return false;
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const auto from = static_cast<std::uint64_t>(offset);
    writer.write_file(fd, from, size > from ? size - from : 0);
    return true;
}

// A list or tuple (the common `return [body]`) is walked by index, without an iterator.
// The GIL is released while each item is sent, and another thread of the app may change a
// list it shares meanwhile (review finding 22): each item is held while it is sent, and the
// length is read again for the next.
void send_sequence(PyObject* seq, response_writer& writer) {
    std::uint64_t total = 0;
    for (py::ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); ++i) {
        PyObject* item = PySequence_Fast_GET_ITEM(seq, i);
        total += PyBytes_Check(item) ? static_cast<std::uint64_t>(PyBytes_GET_SIZE(item)) : 0;
    }
    writer.expect_total(total);
    for (py::ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); ++i) {
        const auto item = py::reinterpret_borrow<py::object>(PySequence_Fast_GET_ITEM(seq, i));
        writer.write(item, i == PySequence_Fast_GET_SIZE(seq) - 1);
    }
}

// Sends every chunk of the application's iterable.
void send_body(py::handle result, response_writer& writer, py::handle file_wrapper) {
    if (PyList_CheckExact(result.ptr()) || PyTuple_CheckExact(result.ptr())) {
        send_sequence(result.ptr(), writer);
        return;
    }
    // PEP 3333 wants an iterable of bytes; a bare bytes would be iterated as ints (a 500).
    // Other servers send it whole, so do we; a bytearray is copied, as the app could
    // resize it while it is sent without the GIL.
    if (PyBytes_Check(result.ptr())) {
        writer.expect_total(static_cast<std::uint64_t>(PyBytes_GET_SIZE(result.ptr())));
        writer.write(result, true);
        return;
    }
    if (PyByteArray_Check(result.ptr())) {
        const auto copy = py::reinterpret_steal<py::object>(PyBytes_FromStringAndSize(
            PyByteArray_AS_STRING(result.ptr()), PyByteArray_GET_SIZE(result.ptr())));
        if (!copy) {
            throw py::error_already_set();
        }
        writer.expect_total(static_cast<std::uint64_t>(PyBytes_GET_SIZE(copy.ptr())));
        writer.write(copy, true);
        return;
    }
    if (Py_TYPE(result.ptr()) == reinterpret_cast<PyTypeObject*>(file_wrapper.ptr()) &&
        send_real_file(result, writer)) {
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
    // A list, tuple or bytes has no close(); asking would raise and format an
    // AttributeError on the commonest path.
    if (!result || PyList_CheckExact(result.ptr()) || PyTuple_CheckExact(result.ptr()) ||
        PyBytes_CheckExact(result.ptr())) {
        return;
    }
    if (py::hasattr(result, "close")) {
        result.attr("close")();
    }
}

// A response of the server's own (404, 400), that closes the connection.
call_result answer_error(byte_sink& out, int status, bool head_request, outcome result) {
    const std::string response = protocol::http_error_response(status, head_request);
    std::error_code ec;
    const std::span<const std::byte> parts[] = {std::as_bytes(std::span(response))};
    out.write(parts, ec);
    call_result r;
    r.result = result;
    r.status = status;
    r.bytes_sent = ec ? 0 : response.size();
    return r;
}

bool serves(std::string_view prefix, std::string_view path) {
    return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

// Runs `f` when the scope ends, however it ends.
template <typename F>
class on_exit {
public:
    explicit on_exit(F f) : f_(std::move(f)) {}
    ~on_exit() { f_(); }
    on_exit(const on_exit&) = delete;
    on_exit& operator=(const on_exit&) = delete;

private:
    F f_;
};

}  // namespace

struct wsgi_app::impl {
    impl(const std::vector<app_mount>& mounts, const wsgi_settings& settings)
        : environ({.multithread = settings.multithread, .multiprocess = settings.multiprocess}),
          file_wrapper(py::module_::import("gantry").attr("FileWrapper")) {
        for (const app_mount& m : mounts) {
            apps.push_back({m.prefix, load_app(m.spec)});
        }
        // Longest prefix first, so that the first match is the most specific one.
        std::sort(apps.begin(), apps.end(), [](const mounted_app& a, const mounted_app& b) {
            return a.prefix.size() > b.prefix.size();
        });
    }

    const mounted_app* find(const protocol::request_head& head) const {
        if (apps.size() == 1 && apps[0].prefix.empty()) {
            return &apps[0];  // the common case: one app at the root, whatever the path
        }
        const std::string_view path = head.find("PATH_INFO").value_or("");
        for (const mounted_app& m : apps) {
            if (m.prefix.empty() || serves(m.prefix, path)) {
                return &m;
            }
        }
        return nullptr;
    }

    void call(const mounted_app& m, const protocol::request_head& head, py::handle input,
              PyObject* start_response, response_writer& writer) {
        py::dict env = environ.build(head, input, m.prefix);
        PyObject* args[] = {env.ptr(), start_response};
        auto result = py::reinterpret_steal<py::object>(PyObject_Vectorcall(
            m.app.ptr(), args, static_cast<std::size_t>(std::size(args)), nullptr));
        if (!result) {
            throw py::error_already_set();
        }
        try {
            send_body(result, writer, file_wrapper);
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

    std::vector<mounted_app> apps;
    environ_builder environ;
    py::object file_wrapper;
    start_response_pool start_responses;
    input_pool inputs;
};

wsgi_app::wsgi_app(const std::vector<app_mount>& mounts, const wsgi_settings& settings) {
    with_python([&] { impl_ = std::make_unique<impl>(mounts, settings); });
}

wsgi_app::~wsgi_app() {
    try {
        const py::gil_scoped_acquire gil;
        impl_.reset();
    } catch (...) {
        // Without the GIL the app's objects cannot be freed safely: leaving them is the lesser
        // harm, and only a process on its way out ends up here.
        static_cast<void>(impl_.release());
    }
}

call_result wsgi_app::handle(const protocol::request_head& head, byte_source& body, byte_sink& out,
                             const response_framing& framing) {
    const auto method = head.find("REQUEST_METHOD");
    if (!method || method->empty()) {
        // A uwsgi packet without one (an empty vars block, say) is no request an app can
        // answer; the HTTP parser always sets it.
        call_result r = answer_error(out, 400, false, outcome::ok);
        r.warning = "a request without REQUEST_METHOD; 400 sent";
        return r;
    }
    const bool head_request = method == "HEAD";
    const mounted_app* target = impl_->find(head);
    if (target == nullptr) {
        return answer_error(out, 404, head_request, outcome::no_app);
    }
    call_result r;
    py::gil_scoped_acquire gil;
    const auto length = head.chunked ? std::nullopt : std::optional(head.content_length);
    PyObject* const start_response = impl_->start_responses.acquire(&out, head_request, framing);
    const on_exit release_start_response([&] { impl_->start_responses.release(start_response); });
    input_object input = impl_->inputs.acquire(&body, length);
    const on_exit release_input([&] { impl_->inputs.release(std::move(input)); });
    response_writer& writer = start_response_pool::writer_of(start_response);
    input_stream& reader = *input.stream;
    try {
        impl_->call(*target, head, input.object, start_response, writer);
    } catch (py::error_already_set& e) {
        // The client's doing, not the app's: no traceback, and no 500 to a stalled client.
        if (!reader.failure().empty()) {
            r.result = outcome::body_failed;
            r.message = reader.failure();
        } else if (writer.client_gone()) {
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
    if (r.result == outcome::ok && !reader.failure().empty()) {
        r.warning = reader.failure();  // the app caught the read error and answered anyway
    } else if (r.result == outcome::ok) {
        r.warning = writer.warning();
    }
    r.status = writer.status();
    r.bytes_sent = writer.bytes_sent();
    r.head_bytes = writer.head_bytes();
    r.header_count = writer.header_count();
    r.keep_alive = r.result == outcome::ok && writer.keep_alive();
    return r;
}

}  // namespace gantry::embed
