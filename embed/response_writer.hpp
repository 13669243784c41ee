// start_response and write() of PEP 3333: checks what the application sends, builds the
// response head, and sends it with the first non-empty body chunk (one gather write). How the
// body is delimited (Content-Length, chunked, close; no body to HEAD, 204, 304) and which
// headers may pass is the codec's: protocol/http_framing.hpp.
// Python sees it through the callables of embed/start_response.hpp.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>

#include "embed/byte_io.hpp"
#include "embed/io_gate.hpp"
#include "embed/wsgi_app.hpp"
#include "protocol/http_framing.hpp"
#include "protocol/response_head.hpp"

namespace gantry::embed {

class response_writer {
public:
    // Ready for a new response to `sink`. The head's buffer is kept: a writer serves many
    // requests, one at a time.
    void reset(byte_sink* sink, bool head_request, const response_framing& framing);

    // start_response(status, response_headers, exc_info=None) -> write
    void start(pybind11::handle status, pybind11::handle headers, pybind11::handle exc_info);
    // Sends one body chunk (a bytes object); the head goes out with the first non-empty one.
    // `last`: no other chunk follows (the app returned a list and this is its last item).
    void write(pybind11::handle chunk, bool last = false);
    // Sends `count` bytes of file `fd` from `offset` as body (wsgi.file_wrapper's fast path).
    void write_file(int fd, std::uint64_t offset, std::uint64_t count);
    // The body will be exactly `total` bytes (the app returned a list): lets an HTTP
    // response carry a Content-Length instead of being chunked.
    void expect_total(std::uint64_t total) noexcept { length_hint_ = total; }
    // The body is complete: sends the head if no chunk carried it, and the last chunk,
    // then tells the sink the response is complete.
    void finish();
    // Answers 500 when the application failed before anything was sent.
    void send_internal_error();

    bool headers_sent() const noexcept { return headers_sent_; }
    bool client_gone() const noexcept { return client_gone_; }
    int status() const noexcept { return framer_.status(); }
    std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }
    // The head that went out: its bytes and its header fields (for the request log).
    std::uint64_t head_bytes() const noexcept { return head_bytes_; }
    int header_count() const noexcept { return header_count_; }
    // The response was delimited and whole, and the client wants more: the connection may
    // stay open.
    bool keep_alive() const noexcept { return framer_.keep_alive(); }
    // What the app got wrong that was repaired (Content-Length, hop-by-hop headers), or "".
    std::string warning() const;
    // The request is over: later writes raise. A write another thread of the app is in is
    // waited for: the sink goes away after this.
    void detach() noexcept {
        sink_ = nullptr;
        gate_.drain();
    }

private:
    void add_headers(pybind11::handle headers);
    void add_header(PyObject* item);
    void require_started() const;
    // The head as it goes out, with what delimits the body added.
    std::string_view final_head(std::optional<std::uint64_t> known_total);
    void send(std::string_view head, std::string_view body, bool last = false);
    void check(const std::error_code& ec);
    // The sink, for one write by this thread; raises if the request is over or another
    // thread is writing. The caller leaves gate_ when the write is done.
    byte_sink* enter_sink(const char* what);

    io_gate gate_;  // the thread in a write, if any
    byte_sink* sink_ = nullptr;
    protocol::response_framer framer_;
    protocol::response_head head_;
    std::optional<std::uint64_t> length_hint_;
    bool headers_set_ = false;   // start_response was called (PEP 3333: once, unless exc_info)
    bool headers_sent_ = false;  // the head went out: exc_info now re-raises
    bool client_gone_ = false;
    std::uint64_t bytes_sent_ = 0;
    std::uint64_t head_bytes_ = 0;
    int header_count_ = 0;
};

}  // namespace gantry::embed
