#include "server/master/master.hpp"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "server/log/log.hpp"
#include "server/log/log_file.hpp"
#include "server/master/fifo_command.hpp"
#include "server/observe/stats_json.hpp"

namespace gantry::server {
namespace {

using namespace std::chrono_literals;

// How often the master looks at the pool unprompted: for what is truly periodic (harakiri,
// RSS, age, cron, idle, cheaper, the respawn back-off). What workers report (ready, retiring)
// and child exits wake it at once. The design says 1 s; a quarter of that keeps harakiri and
// the back-off close to their figures, for a few system calls per worker each time.
constexpr auto tick_period = 250ms;
// After SIGINT/SIGQUIT workers end at once; this is only a backstop.
constexpr auto immediate_stop_timeout = 3s;

const char* signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev != nullptr ? abbrev : "?";
}

}  // namespace

master::master(const master_settings& settings, embed::interpreter& python, scoreboard& board,
               const doorbell& bell, worker_main main, reexec replace_self)
    : settings_(settings),
      python_(python),
      board_(board),
      bell_(bell),
      worker_main_(std::move(main)),
      reexec_(std::move(replace_self)),
      signals_(io_),
      tick_(io_),
      bell_watch_(io_, bell.fd()),
      target_(initial_workers()),
      random_(static_cast<std::uint32_t>(getpid())),
      cron_(io_, python, settings.cron_jobs),
      touches_(io_, settings.touch_files,
               [this](touch_action action, const std::string& path) {
                   pending_touches_.emplace_back(action, path);
                   step(false);
               }),
      systemd_(io_),
      fifos_(io_, settings.master_fifos, [this](std::size_t index, unsigned char byte) {
          // Acted on at once, before the next byte is read: one that execs the master leaves
          // the rest in the pipe for the new one.
          on_fifo(index, byte);
          step(false);
      }) {
    for (int sig :
         {SIGINT, SIGTERM, SIGQUIT, SIGCHLD, SIGHUP, SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU}) {
        signals_.add(sig);
    }
}

master::~master() {
    // Asio would close what it watches: the doorbell and the listeners own theirs.
    static_cast<void>(bell_watch_.release());
    for (auto& watcher : watchers_) {
        static_cast<void>(watcher->release());
    }
}

int master::run() {
    wait_for_signal();
    wait_for_tick();
    wait_for_doorbell();
    touches_.start();
    fifos_.start();
    start_observers();
    // Handlers are in place: signals held back across a reload's exec may come in now.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    last_activity_ = clock::now();
    systemd_.start_watchdog();
    if (!worker_main_ && !workers_.empty()) {  // a reload that could not import the app
        systemd_.ready(fmt::format("reload failed: {} worker(s) of the previous master serve on",
                                   workers_.size()));
    }
    if (settings_.cheap) {
        enter_cheap("--cheap");
    }
    manage_pool();
    io_.run();
    cron_.stop_all();
    log::info("gantry stopped");
    return exit_code_;
}

void master::wait_for_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
        if (ec) {
            return;
        }
        pending_signals_.push_back(sig);
        wait_for_signal();
        step(false);
    });
}

void master::wait_for_tick() {
    tick_.expires_after(tick_period);
    tick_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        wait_for_tick();
        step(true);
    });
}

void master::wait_for_doorbell() {
    bell_watch_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                           [this](const boost::system::error_code& ec) {
                               if (ec) {
                                   return;
                               }
                               bell_.clear();
                               wait_for_doorbell();
                               step(false);
                           });
}

void master::step(bool tick) {
    while (!pending_signals_.empty()) {
        const int sig = pending_signals_.front();
        pending_signals_.pop_front();
        handle_signal(sig);
    }
    while (!pending_touches_.empty()) {
        const auto [action, path] = pending_touches_.front();
        pending_touches_.pop_front();
        on_touch(action, path);
    }
    note_worker_states();
    reap_workers();
    kill_overdue();
    check_harakiri();
    if (stopping_) {
        if (workers_.empty()) {
            io_.stop();
        }
        return;
    }
    if (tick) {
        if (log_file_oversized()) {
            rotate_logs("--log-maxsize");
        }
        touches_.poll(clock::now());
        cron_.tick(std::chrono::system_clock::now());
        check_recycling();  // paced by the tick: at most one recycle begins per period
        check_idle();
        check_cheaper();
        sample_listen_queues();
        report_status();
    }
    manage_pool();
}

void master::handle_signal(int sig) {
    switch (sig) {
        case SIGCHLD:
            break;  // reap_workers() runs next in every step
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
            on_stop(sig);
            break;
        case SIGHUP:
        case SIGUSR2:
            begin_reload(sig == SIGUSR2,
                         sig == SIGUSR2 ? "SIGUSR2: chain reload" : "SIGHUP: reload");
            break;
        case SIGTTIN:
            on_grow("SIGTTIN");
            break;
        case SIGTTOU:
            on_shrink("SIGTTOU");
            break;
        case SIGUSR1:
            on_reopen_logs("SIGUSR1");
            break;
        default:
            break;
    }
}

void master::on_stop(int sig) {
    if (sig == SIGTERM || (sig == SIGINT && settings_.graceful_sigint)) {
        log::info("SIG{}: graceful stop (up to {} s)", signal_name(sig),
                  settings_.graceful_timeout.count());
        begin_stop(SIGTERM, settings_.graceful_timeout);
    } else {
        log::info("SIG{}: stopping now", signal_name(sig));
        begin_stop(SIGINT, immediate_stop_timeout);
    }
}

void master::on_grow(std::string_view why) {
    if (free_slot() < 0 || target_ >= board_.workers() / 2) {
        log::warning("{}: already at the most workers this gantry can hold ({})", why, target_);
        return;
    }
    log::info("{}: {} -> {} workers", why, target_, target_ + 1);
    ++target_;
}

void master::on_shrink(std::string_view why) {
    if (target_ <= 1) {
        log::warning("{}: keeping the last worker", why);
        return;
    }
    log::info("{}: {} -> {} workers", why, target_, target_ - 1);
    if (worker* w = find_live(target_, generation_)) {
        stop_worker(*w, SIGTERM, stop_cause::shrink, fmt::format("the pool shrank ({})", why),
                    settings_.graceful_timeout);
    }
    --target_;
}

void master::on_reopen_logs(std::string_view why) {
    log::info("{}: reopening log files", why);
    reopen_log_file();
    tell_workers_to_reopen_logs();
}

void master::rotate_logs(std::string_view why) {
    log::info("{}: rotating the log file", why);
    if (rotate_log_file()) {
        tell_workers_to_reopen_logs();
    }
}

void master::tell_workers_to_reopen_logs() {
    for (const worker& w : workers_) {
        kill(w.pid, SIGUSR1);
    }
}

void master::on_touch(touch_action action, const std::string& path) {
    if (stopping_) {
        return;
    }
    const std::string why = fmt::format("{} {} changed", option_of(action), path);
    switch (action) {
        case touch_action::reload:
            begin_reload(false, why + ": reload");
            break;
        case touch_action::chain_reload:
            begin_reload(true, why + ": chain reload");
            break;
        case touch_action::workers_reload:
            begin_workers_reload(why);
            break;
        case touch_action::logreopen:
            on_reopen_logs(why);
            break;
        case touch_action::logrotate:
            rotate_logs(why);
            break;
    }
}

void master::report_status() {
    if (cheap_) {
        systemd_.periodic_status("cheap mode: no workers until a connection comes");
        return;
    }
    if (announced_generation_ != generation_) {
        return;  // starting or reloading: the RELOADING status stands until READY
    }
    int ready = 0;
    int busy = 0;
    std::uint64_t requests = 0;
    for (const worker& w : workers_) {
        if (!w.live()) {
            continue;
        }
        const worker_slot& slot = board_.worker(w.slot);
        ready += slot.status.load() == worker_slot::ready ? 1 : 0;
        busy += board_.oldest_request_ms(w.slot, nullptr) != 0 ? 1 : 0;
        requests += slot.requests.load();
    }
    std::uint64_t lifetime = 0;
    for (const std::uint64_t n : sum_counters(board_).by_status) {
        lifetime += n;
    }
    systemd_.periodic_status(fmt::format(
        "{} of {} worker(s) ready on {}, {} busy, {} request(s) served by them, {} in all", ready,
        target_, settings_.listening_on, busy, requests, lifetime));
}

void master::on_fifo(std::size_t index, unsigned char byte) {
    const std::string& path = fifos_.path(index);
    const fifo_command command = fifo_command_of(byte);
    if (command == fifo_command::blank) {
        return;
    }
    if (command == fifo_command::unknown) {
        if (!unknown_fifo_bytes_.test(byte)) {
            unknown_fifo_bytes_.set(byte);
            log::warning("master-fifo {}: {} is not a command gantry has (it has {})", path,
                         printable_byte(byte), fifo_commands_known);
        }
        return;
    }
    // "master-fifo /run/app.fifo: 'l'" starts every line the command logs.
    const std::string who = fmt::format("master-fifo {}: {}", path, printable_byte(byte));
    const std::string how = fmt::format("{}: {}", who, describe(command));
    if (stopping_ && command != fifo_command::immediate_stop) {
        log::info("{}: ignored, gantry is stopping", how);
        return;
    }
    switch (command) {
        case fifo_command::reload:
        case fifo_command::chain_reload:
            begin_reload(command == fifo_command::chain_reload, how);
            break;
        case fifo_command::graceful_stop:
            log::info("{} (up to {} s)", how, settings_.graceful_timeout.count());
            begin_stop(SIGTERM, settings_.graceful_timeout);
            break;
        case fifo_command::immediate_stop:
            log::info("{}", how);
            begin_stop(SIGINT, immediate_stop_timeout);
            break;
        case fifo_command::grow:
            on_grow(who);
            break;
        case fifo_command::shrink:
            on_shrink(who);
            break;
        case fifo_command::reopen_logs:
            on_reopen_logs(who);
            break;
        case fifo_command::rotate_logs:
            rotate_logs(who);
            break;
        case fifo_command::workers_reload:
            begin_workers_reload(who);
            break;
        case fifo_command::go_cheap:
            if (!cheap_) {
                enter_cheap(how);
            }
            break;
        case fifo_command::log_stats:
            log::info("{}: {}", how, stats_json(view(), {.cores = settings_.stats_cores}));
            break;
        case fifo_command::select_fifo:
            select_fifo(who, static_cast<std::size_t>(byte - '0'));
            break;
        case fifo_command::blank:
        case fifo_command::unknown:
            break;
    }
}

void master::select_fifo(std::string_view who, std::size_t n) {
    if (n >= fifos_.size()) {
        log::warning("{}: there is no FIFO {} (FIFO 0 to {} were given); ignored", who, n,
                     fifos_.size() - 1);
        return;
    }
    active_fifo_ = n;
    log::info("{}: the active master FIFO is now {} (gantry reads every FIFO at all times)", who,
              fifos_.path(n));
}

// A stopping gantry takes no new connection: a listening socket shut down refuses the next
// SYN (or unix connect) at once, in every process that shares it, so that a front such as
// nginx moves on to another server while the requests under way finish. Those already in
// the accept queue are reset (TCP) or closed at exit (unix). A socket systemd passed stays
// listening: it is systemd's, and the next gantry takes over what waits on it.
void master::refuse_new_connections() {
    std::string names;
    for (const auto& l : settings_.listeners) {
        if (l.from_systemd || ::shutdown(l.fd, SHUT_RDWR) != 0) {
            continue;
        }
        names += names.empty() ? l.name : ", " + l.name;
    }
    if (!names.empty()) {
        log::info("stopped listening on {}: new connections are refused", names);
    }
}

void master::begin_stop(int signal_to_workers, std::chrono::seconds timeout) {
    stopping_ = true;
    systemd_.stopping(fmt::format("stopping {} worker(s)", workers_.size()));
    for (worker& w : workers_) {
        // Whatever it was stopping for, it now stops for good (a harakiri victim stays one).
        if (w.stopping != stop_cause::harakiri) {
            w.stopping = stop_cause::shutdown;
            w.stop_note = "gantry is stopping";
        }
        stop_worker(w, signal_to_workers, stop_cause::shutdown, w.stop_note, timeout);
    }
    refuse_new_connections();  // after the workers were told: fewer see it first
}

}  // namespace gantry::server
