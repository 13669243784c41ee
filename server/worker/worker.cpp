#include "server/worker/worker.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "embed/interpreter.hpp"
#include "server/http/http_poller.hpp"
#include "server/log/log.hpp"
#include "server/log/request_log.hpp"
#include "server/net/peer_address.hpp"
#include "server/net/socket_options.hpp"
#include "server/scoreboard/request_tracker.hpp"
#include "server/worker/acceptor.hpp"
#include "server/worker/connection_handler.hpp"
#include "server/worker/traceback_relay.hpp"
#include "server/worker/worker_control.hpp"

namespace gantry::server {
namespace {

// --max-requests, counted on the worker's scoreboard slot by every request thread: the
// request that reaches the limit is the last one this worker takes (another thread may
// still finish one it had begun).
class request_budget {
public:
    request_budget(std::uint64_t max_requests, worker_slot& slot, const doorbell& master)
        : max_(max_requests), slot_(slot), master_(master) {}

    // The next request is the last: its response tells a keep-alive client to close.
    bool last_next() const noexcept { return reached(1); }

    // After each request: at the limit, stop taking requests and wake the master.
    void spent() const noexcept {
        if (!reached(0)) {
            return;
        }
        int was = worker_slot::ready;
        if (slot_.status.compare_exchange_strong(was, worker_slot::retiring)) {
            worker_control::retire();
            master_.ring();  // its replacement is forked now, not at the master's next tick
        }
    }

private:
    // The limit is reached `ahead` requests from now, and a replacement can be forked (if
    // not, the worker serves on: see worker_slot::replaceable).
    bool reached(std::uint64_t ahead) const noexcept {
        return max_ != 0 && slot_.requests.load(std::memory_order_relaxed) + ahead >= max_ &&
               slot_.replaceable.load(std::memory_order_relaxed);
    }

    std::uint64_t max_;
    worker_slot& slot_;
    const doorbell& master_;
};

// One request thread's loop over uwsgi listeners, until the worker stops.
void serve(const worker_settings& settings, std::span<const listener> listeners,
           embed::wsgi_app& app, request_tracker tracker, const request_budget& budget,
           lingering_closer& closer, file_sender& sender) {
    acceptor accept(listeners);
    connection_handler handler(settings, app, tracker, closer, &sender);
    for (;;) {
        sockaddr_storage peer{};
        const listener* from = nullptr;
        unique_fd conn = accept.next(peer, from);
        if (!conn) {
            if (errno == EINVAL) {
                // The master shut the listeners down: gantry is stopping, and this worker's
                // SIGTERM may still be on its way. The graceful stop begins here.
                worker_control::retire();
            } else if (!worker_control::stopping()) {
                log::error("worker {}: cannot accept: {}", settings.id, std::strerror(errno));
            }
            return;
        }
        if (!from->passes_timeouts()) {
            set_io_timeout(conn.get(), static_cast<int>(settings.timeouts.stall.count()));
        }
        handler.serve(std::move(conn), lazy_peer{&peer});
        budget.spent();
    }
}

// With HTTP listeners, request threads take turns waiting on the poller's epoll set.
void serve_polled(const worker_settings& settings, http_poller& poller, embed::wsgi_app& app,
                  request_tracker tracker, const request_budget& budget, lingering_closer& closer,
                  file_sender& sender) {
    connection_handler uwsgi(settings, app, tracker, closer, &sender);
    for (;;) {
        std::error_code ec;
        work_item item = poller.next(ec);  // a fresh item each time: a closed connection is freed
        if (ec) {
            // Nothing can be served any more: the loop ends the worker, the master starts anew.
            log::error("worker {}: epoll_wait: {}", settings.id, ec.message());
            return;
        }
        if (item.empty()) {
            return;  // stopping, and the queue is drained
        }
        if (!item.http) {
            uwsgi.serve(std::move(item.uwsgi), lazy_peer{&item.peer});
            budget.spent();
            continue;
        }
        const http_connection::next after = item.http->serve_one(app, tracker, budget.last_next());
        budget.spent();
        switch (after) {
            case http_connection::next::close:
                break;
            case http_connection::next::wait_for_request:
                if (!worker_control::stopping()) {
                    poller.park(std::move(item.http));
                }
                break;
            case http_connection::next::serve_again:
                poller.requeue(std::move(item));  // pipelined: its next request is already here
                break;
            case http_connection::next::send_file: {
                const bool keep_alive = item.http->keep_alive_after_file();
                file_transfer rest = item.http->take_file();
                sender.send(std::move(item.http), std::move(rest), keep_alive);
                break;
            }
        }
    }
}

// Runs `loop(thread index)` on `threads` threads: this one and threads-1 more, each
// attached to Python; the process ends when they have all ended.
template <typename Loop>
[[noreturn]] void run_threads(int threads, Loop loop) {
    for (int i = 1; i < threads; ++i) {
        std::thread([loop, i] {
            const embed::python_thread attached;
            worker_control::loop_started();
            set_request_core(i);
            loop(i);
            worker_control::loop_ended();
        }).detach();
    }
    worker_control::loop_started();
    set_request_core(0);
    loop(0);
    worker_control::loop_ended();
}

}  // namespace

void run_worker(const worker_settings& settings, std::span<const listener> listeners,
                embed::wsgi_app& app, embed::interpreter& python, scoreboard& board,
                const doorbell& master) {
    python.dump_tracebacks_on(SIGUSR2, start_traceback_relay(settings.id));
    // Blocked since the fork (see fork_process): faulthandler's handler is in place now.
    sigset_t dump;
    sigemptyset(&dump);
    sigaddset(&dump, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &dump, nullptr);
    worker_slot& slot = board.worker(settings.slot);
    const auto tracker = [&](int thread) {
        return request_tracker(slot, board.thread(settings.slot, thread));
    };
    const request_budget budget(settings.max_requests, slot, master);
    lingering_closer closer;
    file_sender sender(closer, settings.timeouts, settings.id);
    const bool any_http = std::any_of(listeners.begin(), listeners.end(), [](const listener& l) {
        return l.speaks() == listener::protocol::http;
    });
    if (!any_http) {
        worker_control::start({});
        slot.status.store(worker_slot::ready);
        master.ring();
        run_threads(settings.threads, [&](int thread) {
            serve(settings, listeners, app, tracker(thread), budget, closer, sender);
        });
    }
    http_poller poller(listeners,
                       {.worker_id = settings.id,
                        .limit_post = settings.limit_post,
                        .timeouts = settings.timeouts,
                        .closer = &closer,
                        .statics = settings.statics,
                        .forwarded = &settings.forwarded},
                       settings.http_keepalive_timeout, settings.max_connections);
    // A keep-alive connection whose static file is sent waits for its next request again.
    sender.on_done([&poller](std::unique_ptr<http_connection> conn) {
        if (worker_control::stopping()) {
            return;  // closed as it goes
        }
        if (conn->after_file() == http_connection::next::serve_again) {
            poller.requeue(work_item{.http = std::move(conn), .uwsgi = {}, .peer = {}});
        } else {
            poller.park(std::move(conn));
        }
    });
    worker_control::start([&] { poller.stop(); });
    slot.status.store(worker_slot::ready);
    master.ring();
    run_threads(settings.threads, [&](int thread) {
        serve_polled(settings, poller, app, tracker(thread), budget, closer, sender);
    });
}

}  // namespace gantry::server
