#include "server/process/exit_status.hpp"

#include <string.h>
#include <sys/wait.h>

#include <fmt/format.h>

namespace gantry::server {

std::string describe_exit(int wait_status) {
    if (WIFEXITED(wait_status)) {
        return fmt::format("exited with code {}", WEXITSTATUS(wait_status));
    }
    if (WIFSIGNALED(wait_status)) {
        const int sig = WTERMSIG(wait_status);
        const char* abbrev = sigabbrev_np(sig);
        return fmt::format("killed by signal {} (SIG{}){}", sig, abbrev ? abbrev : "?",
                           WCOREDUMP(wait_status) ? ", core dumped" : "");
    }
    return fmt::format("changed state ({:#x})", wait_status);
}

}  // namespace gantry::server
