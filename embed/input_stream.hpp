// wsgi.input: the request body, read from the connection as the application asks for it
// (never buffered whole), CONTENT_LENGTH bytes at most, with the GIL released while waiting.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>

#include "embed/byte_io.hpp"

namespace gantry::embed {

class input_stream {
public:
    // `content_length` is empty when the body's end is only known when the source says so
    // (a chunked HTTP request): reads then stop at the source's end of stream.
    input_stream(byte_source* source, std::optional<std::uint64_t> content_length)
        : source_(source),
          remaining_(content_length.value_or(UINT64_MAX)),
          length_known_(content_length.has_value()) {}

    // PEP 3333 / io.RawIOBase semantics: a negative size (or none) reads to the end of the
    // body; at the end, b"".
    pybind11::bytes read(pybind11::ssize_t size = -1);
    pybind11::bytes readline(pybind11::ssize_t size = -1);
    pybind11::list readlines(pybind11::ssize_t hint = -1);

    // Why reading the body failed (the client's fault), or "" if it did not.
    const std::string& failure() const noexcept { return failure_; }

    // The request is over: later reads (from an app that kept the object) see end of stream.
    void detach() noexcept {
        source_ = nullptr;
        remaining_ = 0;
    }

private:
    std::size_t buffered() const noexcept { return buf_.size() - pos_; }
    // Reads `n` more bytes of body straight into `into`, releasing the GIL; fewer only at the
    // end of a body of unknown length. Returns how many.
    std::size_t read_body(char* into, std::size_t n);
    // The rest of a body of unknown length.
    pybind11::bytes read_to_end();
    // Appends the next piece of the body to the line buffer; false at the end of the body.
    bool fill();

    byte_source* source_;
    std::uint64_t remaining_;  // body bytes not yet taken from the source
    bool length_known_;
    std::string buf_;  // read ahead for readline(); consumed from pos_
    std::size_t pos_ = 0;
    std::string failure_;
};

void bind_input_stream(pybind11::module_& m);

}  // namespace gantry::embed
