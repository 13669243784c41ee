#include "server/master/reexec.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "server/log/log.hpp"

namespace gantry::server {
namespace {

constexpr const char* variable = "GANTRY_HANDOVER";

void set_close_on_exec(int fd, bool on) {
    const int flags = fcntl(fd, F_GETFD);
    fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
}

// What a reload executes: this very binary (/proc/self/exe), unless a package upgrade
// replaced it on disk (the link then ends in " (deleted)"): then the new file at the same
// path, so that `apt upgrade` + reload runs the new gantry, as uWSGI's re-exec of argv[0]
// does. The hand-over between the two is tolerant of versions (see decode() and the
// scoreboard's layout check).
std::string binary_to_exec() {
    std::error_code ec;
    const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    constexpr std::string_view deleted = " (deleted)";
    if (ec || !self.ends_with(deleted)) {
        return "/proc/self/exe";
    }
    const std::string replaced = self.substr(0, self.size() - deleted.size());
    if (access(replaced.c_str(), X_OK) != 0) {
        return "/proc/self/exe";
    }
    log::info("reload: {} was replaced on disk; the new binary takes over", replaced);
    return replaced;
}

// Every descriptor the hand-over names: the listeners and the scoreboard.
void set_close_on_exec(const handover& h, bool on) {
    for (const auto& entry : h.listeners) {
        set_close_on_exec(entry.second, on);
    }
    for (const auto& entry : h.observers) {
        set_close_on_exec(entry.second, on);
    }
    set_close_on_exec(h.scoreboard_fd, on);
}

// The hand-over's descriptors, inheritable for the exec alone: if it fails they are made
// close-on-exec again, or every later exec (a cron job's /bin/sh) would inherit the
// listeners and the scoreboard.
class inheritable_for_exec {
public:
    explicit inheritable_for_exec(const handover& h) : h_(h) { set_close_on_exec(h_, false); }
    ~inheritable_for_exec() { set_close_on_exec(h_, true); }
    inheritable_for_exec(const inheritable_for_exec&) = delete;
    inheritable_for_exec& operator=(const inheritable_for_exec&) = delete;

private:
    const handover& h_;
};

// "chain board listeners workers": numbers, '|'-separated lists; socket names last in
// each listener entry, since they may hold ':' but never '|' or '\n'.
std::string encode(const handover& h) {
    std::string out = fmt::format("{} {} {} {}\n", h.chain ? 1 : 0, h.scoreboard_fd,
                                  h.scoreboard_workers, h.scoreboard_threads);
    for (const auto& w : h.workers) {
        const bool deadline = w.kill_at != std::chrono::steady_clock::time_point::max();
        out += fmt::format("{} {} {} {} {} {} {}|", w.pid, w.id, w.slot, w.generation,
                           w.max_requests, static_cast<int>(w.stopping),
                           deadline ? w.kill_at.time_since_epoch().count() : -1);
    }
    out += "\n";
    for (const auto& [name, fd] : h.listeners) {
        out += fmt::format("{} {}|", fd, name);
    }
    out += "\n";
    for (const auto& [name, fd] : h.observers) {
        out += fmt::format("{} {}|", fd, name);
    }
    return out;
}

handover decode(const std::string& text) {
    handover h;
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    int chain = 0;
    std::istringstream(line) >> chain >> h.scoreboard_fd >> h.scoreboard_workers >>
        h.scoreboard_threads;
    h.chain = chain != 0;
    std::getline(in, line);
    std::istringstream workers(line);
    for (std::string item; std::getline(workers, item, '|');) {
        worker_process w;
        // The later fields may be missing (a hand-over from an older gantry): max_requests
        // then stays 0 (the log names no limit when such a worker retires), and the worker
        // is a live one.
        int stopping = 0;
        std::int64_t kill_at = -1;
        std::istringstream(item) >> w.pid >> w.id >> w.slot >> w.generation >> w.max_requests >>
            stopping >> kill_at;
        if (stopping > 0 && stopping <= static_cast<int>(stop_cause::cheap)) {
            w.stopping = static_cast<stop_cause>(stopping);
            if (kill_at >= 0) {
                w.kill_at = std::chrono::steady_clock::time_point(
                    std::chrono::steady_clock::duration(kill_at));
            }
        }
        h.workers.push_back(w);
    }
    for (auto* list : {&h.listeners, &h.observers}) {  // an older gantry sends no observers line
        std::getline(in, line);
        std::istringstream items(line);
        for (std::string item; std::getline(items, item, '|');) {
            const auto space = item.find(' ');
            list->emplace_back(item.substr(space + 1), std::atoi(item.substr(0, space).c_str()));
        }
    }
    return h;
}

bool is_listening_socket(int fd) {
    int on = 0;
    socklen_t len = sizeof on;
    return fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on != 0;
}

// Without waiting for it or reaping it.
bool is_our_child(pid_t pid) {
    siginfo_t info{};
    return pid > 0 &&
           waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

// A scoreboard this gantry made: a memfd that cannot shrink under the mapping.
bool is_scoreboard(int fd) {
    const int seals = fd >= 0 ? fcntl(fd, F_GET_SEALS) : -1;
    return seals >= 0 && (seals & F_SEAL_SHRINK) != 0;
}

// The environment is whoever started gantry's to write: a descriptor is adopted only if it
// is a listening socket, a pid only if it is our child (they are signalled later, with the
// master's credentials). What does not check out is left alone: not closed, not signalled.
bool trusted(handover& h) {
    if (!is_scoreboard(h.scoreboard_fd)) {
        log::warning(
            "GANTRY_HANDOVER: descriptor {} is not a gantry scoreboard; ignoring the "
            "hand-over and starting afresh",
            h.scoreboard_fd);
        return false;
    }
    const auto not_listening = [](const std::pair<std::string, int>& l) {
        if (is_listening_socket(l.second)) {
            return false;
        }
        log::warning("GANTRY_HANDOVER: descriptor {} for {} is not a listening socket; ignored",
                     l.second, l.first);
        return true;
    };
    std::erase_if(h.listeners, not_listening);
    std::erase_if(h.observers, not_listening);
    std::erase_if(h.workers, [](const worker_process& w) {
        if (is_our_child(w.pid)) {
            return false;
        }
        log::warning("GANTRY_HANDOVER: pid {} is not a child of this process; ignored", w.pid);
        return true;
    });
    return true;
}

}  // namespace

std::optional<handover> take_handover() {
    const char* text = std::getenv(variable);
    if (text == nullptr) {
        return std::nullopt;
    }
    handover h = decode(text);
    unsetenv(variable);
    if (!trusted(h)) {
        return std::nullopt;
    }
    // Taken over by this process: close-on-exec again from now on, claimed or not.
    set_close_on_exec(h, true);
    return h;
}

void reexec_master(const std::vector<std::string>& argv, const std::string& cwd,
                   const handover& h) {
    setenv(variable, encode(h).c_str(), 1);
    if (chdir(cwd.c_str()) != 0) {
        log::error("reload: cannot go back to {}: {}", cwd, std::strerror(errno));
    }
    // Signals stay blocked across the exec: one that comes while the new image starts is
    // pending until its master has handlers (master::run unblocks), not a default death.
    sigset_t all;
    sigfillset(&all);
    sigset_t old;
    sigprocmask(SIG_BLOCK, &all, &old);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    int err = 0;
    {
        const inheritable_for_exec handed_on(h);
        execv(binary_to_exec().c_str(), args.data());
        err = errno;
    }
    sigprocmask(SIG_SETMASK, &old, nullptr);
    unsetenv(variable);
    log::error("reload: exec failed: {}", std::strerror(err));
}

}  // namespace gantry::server
