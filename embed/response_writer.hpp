// start_response and write() of PEP 3333: checks what the application sends, builds the
// response head, and sends it with the first non-empty body chunk (one gather write).
// Exposed to Python as gantry.StartResponse; one per request.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "embed/byte_io.hpp"
#include "protocol/response_head.hpp"

namespace gantry::embed {

class response_writer {
public:
    explicit response_writer(byte_sink* sink) : sink_(sink) {}

    // start_response(status, response_headers, exc_info=None) -> write
    void start(pybind11::handle status, pybind11::handle headers, pybind11::handle exc_info);
    // Sends one body chunk (a bytes object); the head goes out with the first non-empty one.
    void write(pybind11::handle chunk);
    // The body is complete: sends the head if no chunk carried it.
    void finish();
    // Answers 500 when the application failed before anything was sent.
    void send_internal_error();

    bool headers_sent() const noexcept { return headers_sent_; }
    bool client_gone() const noexcept { return client_gone_; }
    int status() const noexcept { return head_.status_code(); }
    std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }
    void detach() noexcept { sink_ = nullptr; }

private:
    void add_headers(pybind11::handle headers);
    void send(std::string_view head, std::string_view body);

    byte_sink* sink_;
    protocol::response_head head_;
    bool headers_set_ = false;
    bool headers_sent_ = false;
    bool client_gone_ = false;
    std::uint64_t bytes_sent_ = 0;
};

void bind_response_writer(pybind11::module_& m);

}  // namespace gantry::embed
