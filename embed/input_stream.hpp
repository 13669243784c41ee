// wsgi.input: the request body, read from the connection as the application asks for it
// (never buffered whole), CONTENT_LENGTH bytes at most, with the GIL released while waiting.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "embed/byte_io.hpp"
#include "embed/io_gate.hpp"

namespace gantry::embed {

class input_stream {
public:
    // `content_length` is empty when the body's end is only known when the source says so
    // (a chunked HTTP request): reads then stop at the source's end of stream.
    input_stream(byte_source* source, std::optional<std::uint64_t> content_length) {
        reset(source, content_length);
    }

    // Ready for another request's body, reusing the read-ahead buffer unless it grew large.
    void reset(byte_source* source, std::optional<std::uint64_t> content_length);

    // PEP 3333 / io.RawIOBase semantics: a negative size (or none) reads to the end of the
    // body; at the end, b"".
    pybind11::bytes read(pybind11::ssize_t size = -1);
    pybind11::bytes readline(pybind11::ssize_t size = -1);
    pybind11::list readlines(pybind11::ssize_t hint = -1);

    // Why reading the body failed (the client's fault), or "" if it did not.
    const std::string& failure() const noexcept { return failure_; }

    // The request is over: later reads (from an app that kept the object) see end of stream.
    // A read another thread of the app is in is waited for: the source goes away after this.
    void detach() noexcept;

private:
    std::size_t buffered() const noexcept { return buf_.size() - pos_; }
    // Reads `n` more bytes of body straight into `into`, releasing the GIL; fewer only at the
    // end of a body of unknown length. Returns how many.
    std::size_t read_body(char* into, std::size_t n);
    // Appends the next piece of the body to the line buffer; false at the end of the body.
    bool fill();

    io_gate gate_;  // the thread in read_body(), if any
    byte_source* source_ = nullptr;
    std::uint64_t remaining_ = 0;  // body bytes not yet taken from the source
    bool length_known_ = false;
    std::string buf_;  // read ahead for readline(); consumed from pos_
    std::size_t pos_ = 0;
    std::string failure_;
};

// A wsgi.input object (gantry.Input) and the stream inside it.
struct input_object {
    pybind11::object object;
    input_stream* stream = nullptr;
};

// wsgi.input objects, recycled from one request to the next when the application kept no
// reference to them (through the environ, say); one it kept stays at the end of its body.
class input_pool {
public:
    // A wsgi.input reading `content_length` bytes from `source`. Needs the GIL, as does
    // everything here.
    input_object acquire(byte_source* source, std::optional<std::uint64_t> content_length);
    // The request is over: the stream reads nothing more.
    void release(input_object&& input) noexcept;

private:
    std::vector<input_object> spare_;
};

void bind_input_stream(pybind11::module_& m);

}  // namespace gantry::embed
