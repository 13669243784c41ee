#include "server/worker/autoreloader.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <thread>

#include "embed/interpreter.hpp"
#include "embed/module_files.hpp"
#include "server/log/log.hpp"
#include "server/worker/worker_control.hpp"

namespace gantry::server {
namespace {

bool stat_mtime(const std::string& path, std::int64_t& mtime_ns) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        return false;
    }
    mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return true;
}

}  // namespace

std::string module_mtimes::update(const std::vector<std::string>& files, const stat_fn& stat_of) {
    std::string changed;
    for (const std::string& f : files) {
        std::int64_t now = 0;
        if (!stat_of(f, now)) {
            continue;
        }
        const auto [it, added] = mtimes_.try_emplace(f, now);
        if (!added && it->second != now && changed.empty()) {
            changed = f;
        }
    }
    return changed;
}

std::string module_mtimes::update(const std::vector<std::string>& files) {
    return update(files, stat_mtime);
}

void start_autoreloader(module_mtimes seen, std::chrono::seconds every, pid_t master) {
    std::thread([seen = std::move(seen), every, master]() mutable {
        // The worker's signal thread takes its signals; none may land here.
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        const embed::python_thread attached;
        for (;;) {
            if (worker_control::stopping()) {
                return;
            }
            const std::string changed = seen.update(embed::imported_module_files());
            if (!changed.empty() && !worker_control::stopping()) {
                log::info("py-autoreload: {} was modified; reloading", changed);
                kill(master, SIGHUP);
                return;
            }
            std::this_thread::sleep_for(every);
        }
    }).detach();
}

}  // namespace gantry::server
