#include "server/run.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <vector>

#include "embed/app_api.hpp"
#include "embed/app_load_error.hpp"
#include "embed/interpreter.hpp"
#include "embed/module_files.hpp"
#include "embed/wsgi_app.hpp"
#include "server/log/log.hpp"
#include "server/log/log_file.hpp"
#include "server/master/master.hpp"
#include "server/master/reexec.hpp"
#include "server/net/listener.hpp"
#include "server/net/socket_activation.hpp"
#include "server/observe/observe_sockets.hpp"
#include "server/open_listeners.hpp"
#include "server/process/exit_codes.hpp"
#include "server/process/pidfile.hpp"
#include "server/process/privileges.hpp"
#include "server/process/proc_title.hpp"
#include "server/process/resource_limits.hpp"
#include "server/process/user_ids.hpp"
#include "server/process/virtualenv.hpp"
#include "server/run_settings.hpp"
#include "server/static/static_files.hpp"
#include "server/util/config_error.hpp"
#include "server/worker/autoreloader.hpp"
#include "server/worker/worker.hpp"

namespace gantry::server {
namespace {

// Room for a reload's second generation and for SIGTTIN.
constexpr int spare_workers = 16;

void change_directory(const std::string& dir) {
    if (!dir.empty() && chdir(dir.c_str()) != 0) {
        throw config_error(fmt::format("--chdir {}: {}", dir, std::strerror(errno)));
    }
}

std::unique_ptr<embed::wsgi_app> import_app(const options& o) {
    return std::make_unique<embed::wsgi_app>(
        mounts_of(o),
        embed::wsgi_settings{.multithread = o.threads > 1, .multiprocess = o.processes > 1});
}

// Preloading: the app is imported once, here, and the workers share its memory.
std::unique_ptr<embed::wsgi_app> preload(const options& o, embed::interpreter& python,
                                         bool reloading) {
    std::unique_ptr<embed::wsgi_app> app;
    try {
        app = import_app(o);
    } catch (const embed::app_load_error& e) {
        if (!reloading) {
            throw;
        }
        // The old workers still serve the old code: better than no service at all.
        log::error(
            "reload failed, the old workers keep serving; fix the app and send SIGHUP "
            "again:\n{}",
            e.what());
        return nullptr;
    }
    // Keep what the import allocated out of the GC's way, so workers keep sharing it.
    python.freeze_gc();
    if (const int threads = python.running_threads(); threads > 1) {
        log::warning(
            "the app started {} thread(s) while it was imported in the master; threads do not "
            "survive the fork into the workers: start them in the worker (e.g. on the first "
            "request)",
            threads - 1);
    }
    return app;
}

// --env K=V: set before the interpreter starts, so that os.environ has them from the start.
void apply_env(const options& o) {
    for (const std::string& kv : o.envs) {
        const auto eq = kv.find('=');
        setenv(kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), 1);
    }
}

scoreboard make_scoreboard(const options& o, const handover* inherited) {
    if (inherited != nullptr) {
        try {
            return scoreboard(unique_fd(inherited->scoreboard_fd), inherited->scoreboard_workers,
                              inherited->scoreboard_threads);
        } catch (const std::runtime_error& e) {
            // An upgrade between start and reload: the old workers serve on and are replaced
            // as usual, unseen by harakiri, --stats and --metrics until then.
            log::warning("reload: {}; starting a fresh one (counters start again from 0)",
                         e.what());
            // The adopted workers keep their slot numbers.
            return scoreboard(
                std::max(2 * (o.processes + spare_workers), inherited->scoreboard_workers),
                o.threads);
        }
    }
    return scoreboard(2 * (o.processes + spare_workers), o.threads);
}

// Everything a worker needs, kept by the master's run() for the life of the process; the
// forked worker runs on its own copy.
struct worker_parts {
    const options& o;
    const std::vector<listener>& listeners;
    std::unique_ptr<embed::wsgi_app>& app;  // null with --lazy-apps: each worker imports it
    embed::interpreter& python;
    scoreboard& board;
    const doorbell& bell;
    const std::vector<std::pair<std::string, std::string>>& values;  // gantry.opt
    // --py-autoreload: the module files the master imported, with their times; or null.
    const module_mtimes* imported;
    const static_files* statics;  // --static-map and friends; or null
};

// What a new worker process runs. The exit codes tell the master what went wrong before
// the worker could serve (see master/exit_policy.hpp).
int worker_main(const worker_parts& parts, const worker_process& p) {
    const options& o = parts.o;
    set_process_title(child_title(title_options_of(o), fmt::format("gantry worker {}", p.id)));
    if (!parts.app) {  // --lazy-apps; this is the child's copy of the pointer
        try {
            parts.app = import_app(o);
        } catch (const embed::app_load_error& e) {
            log::error("worker {}: {}", p.id, e.what());
            return exit_code::app_load;
        }
    }
    embed::set_process_info({.worker_id = p.id,
                             .master_pid = getppid(),
                             .numproc = o.processes,
                             .options = parts.values});
    if (const std::string failed = embed::run_postfork_hooks(); !failed.empty()) {
        log::error("worker {}: a @postfork function raised:\n{}", p.id, failed);
    }
    if (parts.imported != nullptr && p.id == 1) {
        start_autoreloader(*parts.imported, std::chrono::seconds(o.py_autoreload), getppid());
    }
    const worker_settings settings{
        .id = p.id,
        .slot = p.slot,
        .threads = std::min(o.threads, parts.board.threads()),
        .buffer_size = o.buffer_size,
        .timeouts = {.stall = std::chrono::seconds(o.socket_timeout),
                     .header = std::chrono::seconds(o.http_header_timeout),
                     .body = std::chrono::seconds(o.body_timeout),
                     .send = std::chrono::seconds(o.send_timeout)},
        .limit_post = o.limit_post,
        .http_keepalive_timeout = o.http_keepalive_timeout,
        .max_connections = o.max_connections,
        .max_requests = p.max_requests,
        .statics = parts.statics,
        .forwarded = trusted_proxies::parse(o.forwarded_allow_ips)};
    try {
        run_worker(settings, parts.listeners, *parts.app, parts.python, parts.board, parts.bell);
    } catch (const std::exception& e) {
        log::error("worker {}: cannot start serving: {}", p.id, e.what());
        return exit_code::worker_boot;
    }
}

// A reload of a preloading master: a fresh gantry takes over the listeners, the scoreboard
// and the workers (see reexec.hpp).
master::reexec make_reexec(const std::vector<std::string>& argv, const std::string& start_dir,
                           const std::vector<listener>& listeners, const observe_sockets& observers,
                           const scoreboard& board) {
    return [&argv, start_dir, &listeners, &observers, &board](
               const std::vector<worker_process>& workers, bool chain) {
        handover h{.chain = chain,
                   .scoreboard_fd = board.fd(),
                   .scoreboard_workers = board.workers(),
                   .scoreboard_threads = board.threads(),
                   .listeners = {},
                   .observers = observers.named(),
                   .workers = workers};
        for (const listener& l : listeners) {
            h.listeners.emplace_back(
                l.from_systemd() ? std::string(systemd_prefix) + l.name() : l.name(), l.fd());
        }
        reexec_master(argv, start_dir, h);
    };
}

// --logfile-chown / --logfile-chmod: the log file as the run user must be able to reopen it
// (SIGUSR1, a rotation) once privileges are dropped.
void own_log_file(const options& o) {
    if (o.logfile_chown && !o.uid.empty()) {
        const user_entry user = find_user("--uid", o.uid);
        const gid_t gid = o.gid.empty() ? user.gid : find_group("--gid", o.gid);
        if (chown(o.logto.c_str(), user.uid, gid) != 0) {
            log::warning("logfile-chown: cannot give {} to uid {}: {}", o.logto, user.uid,
                         std::strerror(errno));
        }
    }
    if (o.logfile_chmod >= 0 && chmod(o.logto.c_str(), static_cast<mode_t>(o.logfile_chmod)) != 0) {
        log::warning("logfile-chmod: cannot chmod {}: {}", o.logto, std::strerror(errno));
    }
}

// Every address is checked before any is bound.
void check_addresses(const options& o) {
    for (const std::string& s : o.sockets) {
        parse_listen_address(s, "--socket");
    }
    for (const std::string& s : o.http_sockets) {
        parse_listen_address(s, "--http-socket");
    }
}

}  // namespace

int run(const options& o, const std::vector<std::string>& argv) {
    std::optional<handover> inherited = take_handover();
    const handover* from = inherited ? &*inherited : nullptr;
    check_addresses(o);
    const std::filesystem::path venv = virtualenv_dir(o.virtualenv, o.chdir);
    if (const std::string note = check_virtualenv(venv); !note.empty()) {
        log::warning("{}", note);
    }
    if (o.umask >= 0) {
        umask(static_cast<mode_t>(o.umask));
    }
    if (o.max_fd > 0) {
        set_open_file_limit(o.max_fd);
    }
    if (o.limit_as > 0) {
        set_address_space_limit(o.limit_as);
    }
    // A reload re-executes this master after the privilege drop: it keeps what it inherits
    // (the log on stderr, the pidfile with its unchanged pid, the listeners) instead of
    // opening them again, and drop_privileges() finds nothing left to drop.
    if (!o.logto.empty()) {
        const log_rotation rotation{o.log_maxsize, o.log_backupname};
        from != nullptr ? keep_log_file(o.logto, rotation) : open_log_file(o.logto, rotation);
        if (from == nullptr) {
            own_log_file(o);
        }
    }
    const std::string start_dir = std::filesystem::current_path().string();
    change_directory(o.chdir);
    if (from == nullptr) {  // a reload carries on without a folder that went away, with a warning
        check_touch_folders(touch_files_of(o));
        check_master_fifos(o.master_fifo);
    }
    const std::vector<listener> listeners = open_listeners(o, from);
    // The mapped folders are opened now, as the run user may not reach them (O_PATH: a
    // descriptor to look under, nothing read yet); each worker serves from its copy.
    const std::unique_ptr<static_files> statics =
        o.static_maps.empty() && o.check_static.empty()
            ? nullptr
            : std::make_unique<static_files>(static_settings_of(o));
    const observe_sockets observers =
        open_observe_sockets(o, from != nullptr ? from->observers : named_fds{});
    const pidfile pid(o.pidfile, from != nullptr);
    drop_privileges(o.uid, o.gid);
    if (from == nullptr) {
        pid.warn_if_left_behind();
    }
    if (!venv.empty()) {
        activate_virtualenv(venv);  // before --env, so that an explicit PATH=... still wins
        log::info("virtualenv {}: Python runs as its bin/python, its bin/ is first on PATH",
                  venv.string());
    }
    apply_env(o);

    embed::interpreter python(python_config(o));
    const auto values = option_values(o);  // once: a worker would format them all again
    embed::set_process_info(
        {.worker_id = 0, .master_pid = getpid(), .numproc = o.processes, .options = values});
    std::unique_ptr<embed::wsgi_app> app =
        o.lazy_apps ? nullptr : preload(o, python, from != nullptr);
    scoreboard board = make_scoreboard(o, from);
    const doorbell bell;

    // Recorded where the app was imported, before the fork: an edit before worker 1 looks counts.
    std::optional<module_mtimes> imported;
    if (o.py_autoreload > 0) {
        imported.emplace();
        imported->update(embed::imported_module_files());
        log::info("py-autoreload: worker 1 looks for changed module files every {} s",
                  o.py_autoreload);
    }
    const worker_parts parts{o,
                             listeners,
                             app,
                             python,
                             board,
                             bell,
                             values,
                             imported ? &*imported : nullptr,
                             statics.get()};
    master::worker_main start_worker;
    if (app || o.lazy_apps) {  // else a reload failed to import: no new workers
        start_worker = [&parts](const worker_process& p) { return worker_main(parts, p); };
    }
    master m(
        master_settings_of(o, listeners, observers, app != nullptr), python, board, bell,
        start_worker,
        o.lazy_apps ? master::reexec{} : make_reexec(argv, start_dir, listeners, observers, board));
    if (inherited) {
        m.adopt(inherited->workers, inherited->chain);
    }
    // Started up (again, after a reload's re-exec): the master's title, if titles are on.
    set_process_title(master_title(title_options_of(o)));
    return m.run();
}

}  // namespace gantry::server
