// The worker's queue of connections with a request to serve: filled by the I/O thread (new
// and newly readable connections) and by request threads (pipelined requests), drained in
// arrival order by the request threads. First come, first served is what keeps a new
// client from waiting behind busy keep-alive ones.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include <sys/socket.h>

namespace gantry::server {

class http_connection;

// One unit of work: an HTTP connection with a request coming, or a fresh uwsgi connection.
struct work_item {
    std::unique_ptr<http_connection> http;
    int uwsgi_fd = -1;
    sockaddr_storage peer{};  // of a uwsgi connection, for its log lines

    bool empty() const noexcept { return !http && uwsgi_fd < 0; }
};

class work_queue {
public:
    void push(work_item item) {
        {
            const std::lock_guard lock(mutex_);
            items_.push_back(std::move(item));
        }
        ready_.notify_one();
    }

    // Blocks until there is work; after close(), an empty item once the queue is drained.
    work_item pop() {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !items_.empty() || closed_; });
        if (items_.empty()) {
            return {};
        }
        work_item item = std::move(items_.front());
        items_.pop_front();
        return item;
    }

    // The worker is stopping: what is queued is still served, then pop() returns empty.
    void close() {
        {
            const std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<work_item> items_;
    bool closed_ = false;
};

}  // namespace gantry::server
