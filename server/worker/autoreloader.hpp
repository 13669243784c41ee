// The development reloader (--py-autoreload N, uWSGI's uwsgi_python_autoreloader_thread):
// every N seconds one worker looks at the modification time of every imported module's file
// and, on a change, names the file and asks the master for a graceful reload (SIGHUP).
// Only worker 1 looks: it sees the modules the app imports, whether the master imported it
// (its times are recorded there, before the fork) or the worker did (--lazy-apps), and the
// ones imported later while serving. Off, it costs nothing: no thread, no record.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gantry::server {

// Each file's modification time when it was first seen.
class module_mtimes {
public:
    // The mtime of a file in nanoseconds; nothing for a file that cannot be looked at.
    using stat_fn = std::function<bool(const std::string& path, std::int64_t& mtime_ns)>;

    // Remembers the files not seen before; returns the first one seen before whose mtime is
    // not the one remembered ("" when none). A file that is gone is not a change (an editor
    // between its delete and its write): it is looked at again next time.
    std::string update(const std::vector<std::string>& files, const stat_fn& stat_of);
    std::string update(const std::vector<std::string>& files);  // with stat()

    std::size_t size() const noexcept { return mtimes_.size(); }

private:
    std::unordered_map<std::string, std::int64_t> mtimes_;
};

// In worker 1: a thread that looks every `every`, first right away (a file changed between
// the master's import and this fork counts), and sends SIGHUP to `master` on the first change,
// then looks no more: the reload brings a new worker 1 with its own record. It stops looking
// once the worker is stopping.
void start_autoreloader(module_mtimes seen, std::chrono::seconds every, pid_t master);

}  // namespace gantry::server
