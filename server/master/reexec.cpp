#include "server/master/reexec.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "server/log/log.hpp"

namespace gantry::server {
namespace {

constexpr const char* variable = "GANTRY_HANDOVER";

void keep_across_exec(int fd) {
    fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) & ~FD_CLOEXEC);
}

// "chain board listeners workers": numbers, '|'-separated lists; socket names last in
// each listener entry, since they may hold ':' but never '|' or '\n'.
std::string encode(const handover& h) {
    std::string out = fmt::format("{} {} {} {}\n", h.chain ? 1 : 0, h.scoreboard_fd,
                                  h.scoreboard_workers, h.scoreboard_threads);
    for (const auto& w : h.workers) {
        out += fmt::format("{} {} {} {}|", w.pid, w.id, w.slot, w.generation);
    }
    out += "\n";
    for (const auto& [name, fd] : h.listeners) {
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
        std::istringstream(item) >> w.pid >> w.id >> w.slot >> w.generation;
        h.workers.push_back(w);
    }
    std::getline(in, line);
    std::istringstream listeners(line);
    for (std::string item; std::getline(listeners, item, '|');) {
        const auto space = item.find(' ');
        h.listeners.emplace_back(item.substr(space + 1), std::atoi(item.substr(0, space).c_str()));
    }
    return h;
}

}  // namespace

std::optional<handover> take_handover() {
    const char* text = std::getenv(variable);
    if (text == nullptr) {
        return std::nullopt;
    }
    handover h = decode(text);
    unsetenv(variable);
    return h;
}

void reexec_master(const std::vector<std::string>& argv, const std::string& cwd,
                   const handover& h) {
    for (const auto& entry : h.listeners) {
        keep_across_exec(entry.second);
    }
    keep_across_exec(h.scoreboard_fd);
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
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    execv("/proc/self/exe", args.data());
    const int err = errno;
    sigprocmask(SIG_SETMASK, &old, nullptr);
    unsetenv(variable);
    log::error("reload: exec failed: {}", std::strerror(err));
}

}  // namespace gantry::server
