// The slow end of a static file response: what a client does not take at once is sent from
// one thread of the worker's own (started on first use) with sendfile(2) as the socket
// drains, never from a request thread. A slow download costs a descriptor and a deadline
// (--send-timeout in all, --socket-timeout without progress), like a lingering close.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/net/io_budget.hpp"
#include "server/net/lingering_closer.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {

class http_connection;

// What is left to send of a static response: the rest of its head, then a range of a file.
struct file_transfer {
    std::string head;
    std::size_t head_sent = 0;
    unique_fd file;
    std::uint64_t offset = 0;  // the next byte of the file to send
    std::uint64_t left = 0;    // bytes of the file still to send

    bool done() const noexcept { return head_sent == head.size() && left == 0; }
};

// Sends what the socket takes now without waiting (`fd` must be O_NONBLOCK): the head, then
// the file. False on an error that ends the response (the client went away, the file
// shrank under it): `err` says which (0: the file ended early).
bool send_now(int fd, file_transfer& t, int& err) noexcept;

class file_sender {
public:
    // Where a keep-alive HTTP connection goes once its file is sent: back to the poller.
    using give_back = std::function<void(std::unique_ptr<http_connection>)>;

    file_sender(lingering_closer& closer, const io_timeouts& timeouts, int worker_id);
    // Stops the thread (within one sweep, 250 ms); what is still being sent is cut.
    ~file_sender();
    file_sender(const file_sender&) = delete;
    file_sender& operator=(const file_sender&) = delete;

    // Set once, before the first send(); without it keep-alive connections are closed.
    void on_done(give_back back) { back_ = std::move(back); }

    // Takes the connection (its socket O_NONBLOCK) and finishes `t` on it; a keep-alive
    // one is given back after, the others closed through the lingering closer.
    void send(std::unique_ptr<http_connection> http, file_transfer t, bool keep_alive) noexcept;
    void send(unique_fd uwsgi, file_transfer t) noexcept;

    // Responses sent here at once, per worker; past it a new one is cut with a warning.
    static constexpr std::size_t max_sending = 4096;

private:
    using clock = std::chrono::steady_clock;
    struct sending {
        std::unique_ptr<http_connection> http;
        unique_fd uwsgi;
        file_transfer transfer;
        bool keep_alive = false;
        clock::time_point until;       // --send-timeout for the whole response
        clock::time_point stalled_at;  // --socket-timeout since the last progress
        int fd() const noexcept;
    };

    void add(sending s) noexcept;
    bool start_locked() noexcept;
    void run() noexcept;
    void progress(int fd, clock::time_point now) noexcept;
    void finish(sending s, bool complete) noexcept;
    void sweep(clock::time_point now) noexcept;

    lingering_closer& closer_;
    io_timeouts timeouts_;
    int worker_id_;
    give_back back_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;  // guards everything below
    unique_fd epoll_fd_;
    std::thread thread_;
    std::size_t count_ = 0;
    std::vector<std::unique_ptr<sending>> by_fd_;  // indexed by descriptor
};

}  // namespace gantry::server
