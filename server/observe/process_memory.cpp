#include "server/observe/process_memory.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>
#include <cstring>

namespace gantry::server {
namespace {

void read_statm(pid_t pid, memory_view& m) {
    const std::string path = fmt::format("/proc/{}/statm", pid);
    std::FILE* f = std::fopen(path.c_str(), "re");
    if (f == nullptr) {
        return;
    }
    unsigned long long size = 0;
    unsigned long long resident = 0;
    if (std::fscanf(f, "%llu %llu", &size, &resident) == 2) {
        const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
        m.vsz = size * page;
        m.rss = resident * page;
    }
    std::fclose(f);
}

// Lines such as "Pss:   1234 kB"; USS is the private pages, clean and dirty.
void read_smaps_rollup(pid_t pid, memory_view& m) {
    const std::string path = fmt::format("/proc/{}/smaps_rollup", pid);
    std::FILE* f = std::fopen(path.c_str(), "re");
    if (f == nullptr) {
        return;
    }
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
        unsigned long long kb = 0;
        if (std::sscanf(line, "Pss: %llu kB", &kb) == 1) {
            m.pss = kb * 1024;
        } else if (std::sscanf(line, "Private_Clean: %llu kB", &kb) == 1 ||
                   std::sscanf(line, "Private_Dirty: %llu kB", &kb) == 1) {
            m.uss += kb * 1024;
        }
    }
    std::fclose(f);
}

}  // namespace

memory_view process_memory(pid_t pid) {
    memory_view m;
    if (pid > 0) {
        read_statm(pid, m);
        read_smaps_rollup(pid, m);
    }
    return m;
}

}  // namespace gantry::server
