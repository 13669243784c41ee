#include "server/process/proc_title.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>  // program_invocation_name (GNU)
#include <cstring>

namespace gantry::server {
namespace {

// The adopted memory: [begin, args_end) held argv's strings, [args_end, end) the environ
// strings that followed them without a gap. Process-wide, like argv itself.
struct title_area {
    char* begin = nullptr;
    char* args_end = nullptr;
    char* end = nullptr;
    char** heap_environ = nullptr;  // kept here so that it stays reachable (leak checkers)
};
title_area area;

char* after(char* s) {
    return s + std::strlen(s) + 1;
}

bool titles_on(const title_options& t) {
    return t.auto_titles || !t.prefix.empty() || !t.append.empty() || !t.every.empty() ||
           !t.master.empty();
}

std::string wrapped(const title_options& t, std::string_view name) {
    std::string out = t.prefix;
    out += name;
    out += t.append;
    return out;
}

// PR_SET_NAME names the calling thread; called from a process's main thread, it is the
// process's comm, and the threads it starts later inherit it.
void set_comm(std::string_view title) {
    char name[16] = {};
    const std::string_view comm = comm_of(title);
    std::memcpy(name, comm.data(), comm.size());
    prctl(PR_SET_NAME, name, 0, 0, 0);
}

}  // namespace

// core/master.c: procname-master, else procname, else "uWSGI master".
std::string master_title(const title_options& t) {
    if (!titles_on(t)) {
        return {};
    }
    if (!t.master.empty()) {
        return wrapped(t, t.master);
    }
    return wrapped(t, t.every.empty() ? std::string_view("gantry master") : t.every);
}

// core/utils.c uwsgi_fork(): procname, else the process's own name.
std::string child_title(const title_options& t, std::string_view own) {
    if (!titles_on(t)) {
        return {};
    }
    return wrapped(t, t.every.empty() ? own : t.every);
}

std::string_view comm_of(std::string_view title) {
    constexpr std::size_t most = 15;  // TASK_COMM_LEN less the NUL
    if (title.size() <= most) {
        return title;
    }
    std::size_t n = most;
    // A continuation byte (10xxxxxx) at the cut: its character began before; drop it whole.
    while (n > 0 && (static_cast<unsigned char>(title[n]) & 0xC0) == 0x80) {
        --n;
    }
    return title.substr(0, n);
}

void adopt_title_area(int argc, char** argv) {
    if (area.begin != nullptr || argc < 1 || argv[0] == nullptr) {
        return;
    }
    char* end = argv[0];
    for (int i = 0; i < argc && argv[i] == end; ++i) {
        end = after(argv[i]);
    }
    char* const args_end = end;
    std::size_t count = 0;
    while (environ[count] != nullptr) {
        ++count;
    }
    // environ's strings are about to be overwritten: the process (and every child it starts)
    // reads its environment from copies from now on. Never freed: environ lives as long.
    char** copy = new char*[count + 1];
    bool next_to_args = true;
    for (std::size_t i = 0; i < count; ++i) {
        next_to_args = next_to_args && environ[i] == end;
        if (next_to_args) {
            end = after(environ[i]);
        }
        copy[i] = strdup(environ[i]);
    }
    copy[count] = nullptr;
    environ = copy;
    area = {.begin = argv[0], .args_end = args_end, .end = end, .heap_environ = copy};
    // glibc's program name (err(3), error(3)) points into argv[0].
    program_invocation_name = strdup(program_invocation_name);
    char* slash = std::strrchr(program_invocation_name, '/');
    program_invocation_short_name = slash != nullptr ? slash + 1 : program_invocation_name;
}

void set_process_title(std::string_view title) {
    if (title.empty()) {
        return;
    }
    set_comm(title);
    if (area.begin == nullptr) {
        return;
    }
    const auto room = static_cast<std::size_t>(area.end - area.begin) - 1;  // for the NUL
    const std::size_t n = std::min(title.size(), room);
    std::memcpy(area.begin, title.data(), n);
    char* const stop = area.begin + n;
    *stop = '\0';
    // /proc/PID/cmdline shows a title up to its first NUL only when argv's last byte is not
    // a NUL (the kernel's setproctitle case), and otherwise all of argv's bytes: padding the
    // rest of argv with spaces shows the title alone either way, as uWSGI does.
    if (stop + 1 < area.args_end) {
        std::memset(stop + 1, ' ', static_cast<std::size_t>(area.args_end - (stop + 1)));
    }
}

}  // namespace gantry::server
