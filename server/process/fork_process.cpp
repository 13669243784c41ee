#include "server/process/fork_process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstdlib>
#include <system_error>

#include "embed/interpreter.hpp"
#include "server/log/log.hpp"

namespace gantry::server {
namespace {

// The master's handlers (Asio's) would report a child's signals to the master's loop.
void reset_signals_in_child() {
    for (int sig :
         {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU}) {
        signal(sig, SIG_DFL);
    }
}

}  // namespace

const sigset_t& child_blocked_signals() {
    static const sigset_t set = [] {
        sigset_t s;
        sigemptyset(&s);
        for (int sig : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2}) {
            sigaddset(&s, sig);
        }
        return s;
    }();
    return set;
}

namespace {

[[noreturn]] void run_child(pid_t parent, const std::function<int()>& child_main) {
    // A worker must not outlive a master that was killed outright.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
        std::_Exit(1);
    }
    int code = 1;
    try {
        code = child_main();
    } catch (const std::exception& e) {
        log::error("child process failed: {}", e.what());
    }
    std::_Exit(code);
}

}  // namespace

pid_t fork_process(boost::asio::io_context& io, embed::interpreter& python,
                   const std::function<int()>& child_main) {
    // No signal may run a handler between fork() and the child's reset_signals_in_child().
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    const pid_t parent = getpid();
    io.notify_fork(boost::asio::io_context::fork_prepare);
    python.before_fork();
    const pid_t pid = fork();
    if (pid == 0) {
        python.after_fork_in_child();
        io.notify_fork(boost::asio::io_context::fork_child);
        reset_signals_in_child();
        // The signals the master sends stay blocked (pending, not lost) until the child has
        // set up its own handling: a lazy app may take seconds to import before that.
        sigprocmask(SIG_SETMASK, &child_blocked_signals(), nullptr);
        run_child(parent, child_main);
    }
    const int err = errno;
    python.after_fork_in_parent();
    io.notify_fork(boost::asio::io_context::fork_parent);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) {
        throw std::system_error(err, std::generic_category(), "fork");
    }
    return pid;
}

}  // namespace gantry::server
