// The load half of the master: cheap mode, --idle and the adaptive pool (--cheaper).
#include <fcntl.h>
#include <signal.h>

#include "server/log/log.hpp"
#include "server/master/master.hpp"

namespace gantry::server {

int master::initial_workers() const {
    if (settings_.cheaper == 0) {
        return settings_.processes;
    }
    return settings_.cheaper_initial != 0 ? settings_.cheaper_initial : settings_.cheaper;
}

void master::enter_cheap(const std::string& why) {
    cheap_ = true;
    target_ = 0;
    announced_generation_ = 0;  // say "ready" again when the pool comes back
    for (worker& w : workers_) {
        stop_worker(w, SIGTERM, stop_cause::cheap, why, settings_.graceful_timeout);
    }
    log::info("cheap mode ({}): no workers until a connection comes", why);
    // Ready all the same: the listeners are open and the first connection brings workers (a
    // --cheap start would otherwise never tell systemd it started).
    systemd_.ready(fmt::format("cheap mode ({}): no workers until a connection comes", why));
    for (int fd : settings_.listen_fds) {
        auto watcher = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
        watcher->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                            [this](const boost::system::error_code& ec) {
                                if (!ec && cheap_ && !stopping_) {
                                    wake_from_cheap();
                                }
                            });
        watchers_.push_back(std::move(watcher));
    }
}

void master::wake_from_cheap() {
    cheap_ = false;
    for (auto& watcher : watchers_) {
        watcher->release();  // the listener stays open: it belongs to the workers too
    }
    watchers_.clear();
    // Asio's wait left the listeners non-blocking; workers expect them as they were made.
    for (int fd : settings_.listen_fds) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    }
    target_ = initial_workers();
    last_activity_ = clock::now();
    cheaper_state_ = {};
    log::info("a connection is waiting: spawning {} worker(s)", target_);
    step(false);  // the one path through which the pool changes
}

// --idle: no request (finished or running) for that long sends the pool back to cheap.
void master::check_idle() {
    if (settings_.idle == 0 || cheap_) {
        return;
    }
    std::uint64_t requests = 0;
    bool busy = false;
    for (const worker& w : workers_) {
        requests += board_.worker(w.slot).requests.load();
        busy |= board_.oldest_request_ms(w.slot, nullptr) != 0;
    }
    const auto now = clock::now();
    if (busy || requests != seen_requests_) {
        seen_requests_ = requests;
        last_activity_ = now;
        return;
    }
    if (now - last_activity_ >= std::chrono::seconds(settings_.idle)) {
        seen_requests_ = 0;
        enter_cheap(fmt::format("no request for {} s", settings_.idle));
    }
}

void master::check_cheaper() {
    if (settings_.cheaper == 0 || cheap_) {
        return;
    }
    pool_snapshot seen;
    worker* highest = nullptr;
    for (worker& w : workers_) {
        if (w.generation != generation_) {
            return;  // a reload is under way: the pool is in flux
        }
        if (!w.live()) {
            continue;
        }
        ++seen.workers;
        seen.busy += board_.oldest_request_ms(w.slot, nullptr) != 0 ? 1 : 0;
        if (highest == nullptr || w.id > highest->id) {
            highest = &w;
        }
    }
    const cheaper_decision d =
        decide_pool(seen,
                    {.min = settings_.cheaper,
                     .max = settings_.processes,
                     .step = settings_.cheaper_step,
                     .overload = std::chrono::seconds(settings_.cheaper_overload)},
                    cheaper_state_, clock::now());
    if (d.spawn > 0) {
        log::info("all {} worker(s) busy for {} s: growing to {}", seen.workers,
                  settings_.cheaper_overload, target_ + d.spawn);
        target_ += d.spawn;
    }
    // Only the last worker goes, and only when idle: a busy worker is never stopped.
    if (d.stop_idle && highest != nullptr && highest->id == target_ &&
        board_.oldest_request_ms(highest->slot, nullptr) == 0) {
        --target_;
        stop_worker(*highest, SIGTERM, stop_cause::shrink,
                    fmt::format("idle for {} s, the pool shrinks to {}", settings_.cheaper_overload,
                                target_),
                    settings_.graceful_timeout);
    }
}

}  // namespace gantry::server
