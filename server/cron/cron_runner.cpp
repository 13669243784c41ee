#include "server/cron/cron_runner.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <boost/process/child.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <ctime>
#include <optional>

#include "server/cron/schedule.hpp"
#include "server/log/log.hpp"
#include "server/process/exit_status.hpp"
#include "server/process/fork_process.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server {
namespace bp = boost::process;

struct cron_runner::job {
    cron_job_spec spec;
    cron_schedule schedule;
    std::chrono::steady_clock::time_point next_due;  // @every entries
    std::optional<bp::child> command;
    pid_t task = 0;  // a Python call's process
    std::chrono::steady_clock::time_point started;
    std::int64_t started_unix = 0;
    bool killed = false;  // for its timeout, this run
    bool running() const { return command.has_value() || task != 0; }
};

cron_runner::cron_runner(boost::asio::io_context& io, embed::interpreter& python,
                         const std::vector<cron_job_spec>& jobs)
    : io_(io), python_(python) {
    const auto now = std::chrono::steady_clock::now();
    for (const cron_job_spec& spec : jobs) {
        std::optional<cron_schedule> schedule;
        try {
            schedule = cron_schedule::parse(spec.schedule);
        } catch (const schedule_error& e) {
            // --cron entries were checked with the options; this is a decorator's schedule.
            throw config_error(fmt::format("cron '{}': {}", spec.name, e.what()));
        }
        auto j = std::make_unique<job>(job{.spec = spec,
                                           .schedule = *schedule,
                                           .next_due = {},
                                           .command = std::nullopt,
                                           .task = 0,
                                           .started = {},
                                           .killed = false});
        j->next_due = now + j->schedule.interval();
        jobs_.push_back(std::move(j));
    }
}

cron_runner::~cron_runner() = default;

void cron_runner::tick(std::chrono::system_clock::time_point now) {
    const auto steady_now = std::chrono::steady_clock::now();
    for (auto& j : jobs_) {
        check_running(*j, steady_now);
    }
    // Calendar entries: once per minute, the first tick in it.
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const long long minute = t / 60;
    const bool new_minute = minute != last_minute_;
    if (new_minute && last_minute_ >= 0 && minute > last_minute_ + 1) {
        log::warning(
            "cron: {} minute(s) went by unchecked (the master was held up); entries "
            "due then are not run late",
            minute - last_minute_ - 1);
    }
    last_minute_ = minute;
    std::tm local{};
    localtime_r(&t, &local);
    for (auto& j : jobs_) {
        bool due = false;
        if (j->schedule.is_interval()) {
            due = steady_now >= j->next_due;
            if (due) {
                j->next_due = std::max(j->next_due + j->schedule.interval(), steady_now);
            }
        } else {
            due = new_minute && j->schedule.matches(local);
        }
        if (!due) {
            continue;
        }
        if (j->running()) {
            log::warning("cron '{}': still running from its last start; this run is skipped",
                         j->spec.name);
            continue;
        }
        start(*j);
    }
}

void cron_runner::start(job& j) {
    j.started = std::chrono::steady_clock::now();
    j.started_unix = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    j.killed = false;
    if (!j.spec.command.empty()) {
        try {
            // stdout and stderr are inherited: the command's output lands in gantry's log.
            // SIGPIPE is ignored in gantry; a shell pipeline needs it back.
            j.command.emplace(
                std::string("/bin/sh"), "-c", j.spec.command,
                bp::extend::on_exec_setup = [](auto&) {
                    signal(SIGPIPE, SIG_DFL);
                    sigset_t none;
                    sigemptyset(&none);
                    sigprocmask(SIG_SETMASK, &none, nullptr);
                });
        } catch (const std::exception& e) {
            log::error("cron '{}': cannot start: {}", j.spec.name, e.what());
            return;
        }
        log::info("cron '{}': started (pid {})", j.spec.name, j.command->id());
        return;
    }
    auto call = j.spec.python;
    const std::string name = j.spec.name;
    try {
        j.task = fork_process(io_, python_, [call, name] {
            const std::string error = call();
            if (!error.empty()) {
                log::error("cron '{}' raised:\n{}", name, error);
                return 1;
            }
            return 0;
        });
    } catch (const std::exception& e) {
        log::error("cron '{}': cannot fork a task process: {}", j.spec.name, e.what());
        return;
    }
    log::info("cron '{}': started (pid {})", j.spec.name, j.task);
}

void cron_runner::check_running(job& j, std::chrono::steady_clock::time_point now) {
    if (!j.running()) {
        return;
    }
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - j.started).count();
    bool finished = false;
    bool succeeded = false;
    std::string how;
    if (j.command) {
        std::error_code ec;
        if (!j.command->running(ec)) {
            finished = true;
            succeeded = j.command->exit_code() == 0;
            how = fmt::format("exited with code {}", j.command->exit_code());
        }
    } else {
        int status = 0;
        if (waitpid(j.task, &status, WNOHANG) == j.task) {
            finished = true;
            succeeded = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            how = describe_exit(status);
        }
    }
    if (finished) {
        if (succeeded) {
            log::info("cron '{}': {} after {} ms", j.spec.name, how, took);
        } else {
            log::warning("cron '{}': {} after {} ms", j.spec.name, how, took);
        }
        j.command.reset();
        j.task = 0;
        return;
    }
    if (j.spec.timeout > 0 && took > j.spec.timeout * 1000LL && !j.killed) {
        log::warning("cron '{}': still running after its timeout of {} s: killed", j.spec.name,
                     j.spec.timeout);
        j.killed = true;
        if (j.command) {
            std::error_code ec;
            j.command->terminate(ec);  // SIGKILL, and reaped
            j.command.reset();
        } else {
            kill(j.task, SIGKILL);  // reaped by the next check
        }
    }
}

void cron_runner::stop_all() {
    for (auto& j : jobs_) {
        if (j->command) {
            std::error_code ec;
            j->command->terminate(ec);
            j->command.reset();
        } else if (j->task != 0) {
            kill(j->task, SIGKILL);
            waitpid(j->task, nullptr, 0);
            j->task = 0;
        }
    }
}

std::vector<cron_status> cron_runner::status() const {
    std::vector<cron_status> out;
    for (const auto& j : jobs_) {
        out.push_back({.schedule = j->spec.schedule,
                       .name = j->spec.name,
                       .pid = j->command ? static_cast<int>(j->command->id()) : j->task,
                       .started_at = j->started_unix});
    }
    return out;
}

}  // namespace gantry::server
