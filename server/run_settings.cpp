#include "server/run_settings.hpp"

#include <filesystem>
#include <functional>

#include "embed/app_api.hpp"
#include "server/options/option_table.hpp"
#include "server/process/virtualenv.hpp"

namespace gantry::server {
namespace {

embed::app_spec spec_of(std::string_view app) {
    if (app.ends_with(".py")) {
        return {.module = {},
                .wsgi_file = std::filesystem::absolute(app).string(),
                .callable = "application"};
    }
    const auto colon = app.find(':');
    return {.module = std::string(app.substr(0, colon)),
            .wsgi_file = {},
            .callable = colon == std::string_view::npos ? "application"
                                                        : std::string(app.substr(colon + 1))};
}

std::vector<int> listen_fds(const std::vector<listener>& listeners) {
    std::vector<int> fds;
    fds.reserve(listeners.size());
    for (const listener& l : listeners) {
        fds.push_back(l.fd());
    }
    return fds;
}

// A Python cron call runs in a task process of its own (see cron_runner.hpp), titled first.
std::function<std::string()> titled(std::string title, std::function<std::string()> call) {
    return [title = std::move(title), call = std::move(call)] {
        set_process_title(title);
        return call();
    };
}

// --cron entries, then the functions the app registered with @gantry.cron / @timer.
std::vector<cron_job_spec> cron_jobs(const options& o, bool app_imported) {
    const std::string title = child_title(title_options_of(o), "gantry cron");
    std::vector<cron_job_spec> jobs;
    for (const options::cron_entry& e : o.crons) {
        cron_job_spec job{.name = e.command.empty() ? e.call : e.command,
                          .schedule = e.schedule,
                          .command = e.command,
                          .python = {},
                          .timeout = e.timeout};
        if (!e.call.empty()) {
            job.python = titled(title, [spec = e.call] { return embed::run_callable(spec); });
        }
        jobs.push_back(std::move(job));
    }
    if (app_imported) {
        for (const embed::registered_task& t : embed::registered_tasks()) {
            jobs.push_back(
                {.name = t.name,
                 .schedule = t.schedule,
                 .command = {},
                 .python =
                     titled(title, [index = t.index] { return embed::run_registered_task(index); }),
                 .timeout = 0});
        }
    }
    return jobs;
}

std::string joined_names(const std::vector<listener>& listeners) {
    std::string names;
    for (const listener& l : listeners) {
        names += (names.empty() ? "" : ", ") + l.name();
    }
    return names;
}

}  // namespace

embed::interpreter_config python_config(const options& o) {
    embed::interpreter_config c;
    for (const std::string& p : o.pythonpath) {
        c.python_path.push_back(std::filesystem::absolute(p).string());
    }
    // Like `python -m`: modules next to where the app runs are importable.
    c.python_path.push_back(std::filesystem::current_path().string());
    c.virtualenv = virtualenv_dir(o.virtualenv, o.chdir).string();
    c.optimization_level = o.optimize;
    return c;
}

std::vector<embed::app_mount> mounts_of(const options& o) {
    std::vector<embed::app_mount> mounts;
    if (!o.module.empty() || !o.wsgi_file.empty()) {
        mounts.push_back(
            {"", {.module = o.module, .wsgi_file = o.wsgi_file, .callable = o.callable}});
    }
    for (const options::mount& m : o.mounts) {
        mounts.push_back({m.prefix, spec_of(m.app)});
    }
    return mounts;
}

title_options title_options_of(const options& o) {
    return {.auto_titles = o.auto_procname,
            .prefix = o.procname_prefix,
            .append = o.procname_append,
            .every = o.procname,
            .master = o.procname_master};
}

std::vector<std::pair<std::string, std::string>> option_values(const options& o) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const option_def& d : option_table()) {
        for (std::string v : d.show(o)) {
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
                v = v.substr(1, v.size() - 2);  // the YAML quoting of plain strings
            }
            out.emplace_back(d.name, v);
        }
    }
    return out;
}

std::vector<touch_file> touch_files_of(const options& o) {
    std::vector<touch_file> files;
    for (const auto& [list, action] :
         {std::pair{&o.touch_reload, touch_action::reload},
          std::pair{&o.touch_chain_reload, touch_action::chain_reload},
          std::pair{&o.touch_workers_reload, touch_action::workers_reload},
          std::pair{&o.touch_logreopen, touch_action::logreopen},
          std::pair{&o.touch_logrotate, touch_action::logrotate}}) {
        for (const std::string& path : *list) {
            files.push_back({path, action});
        }
    }
    return files;
}

master_settings master_settings_of(const options& o, const std::vector<listener>& listeners,
                                   const observe_sockets& observers, bool app_imported) {
    std::vector<master_settings::observed_listener> observed;
    for (const listener& l : listeners) {
        observed.push_back({.name = l.name(),
                            .proto = l.speaks() == listener::protocol::http ? "http" : "uwsgi",
                            .fd = l.fd(),
                            .from_systemd = l.from_systemd()});
    }
    return {.processes = o.processes,
            .listening_on = joined_names(listeners),
            .graceful_timeout = std::chrono::seconds(o.graceful_timeout),
            .harakiri = o.harakiri,
            .max_requests = o.max_requests,
            .max_requests_delta = o.max_requests_delta,
            .reload_on_rss_mb = o.reload_on_rss,
            .max_worker_lifetime = o.max_worker_lifetime,
            .cheap = o.cheap,
            .idle = o.idle,
            .cheaper = o.cheaper,
            .cheaper_initial = o.cheaper_initial,
            .cheaper_step = o.cheaper_step,
            .cheaper_overload = o.cheaper_overload,
            .listen_fds = listen_fds(listeners),
            .cron_jobs = cron_jobs(o, app_imported),
            .touch_files = touch_files_of(o),
            .graceful_sigint = o.graceful_sigint,
            .master_fifos = o.master_fifo,
            .listeners = std::move(observed),
            .stats_fd = observers.stats ? observers.stats->fd() : -1,
            .stats_address = observers.stats ? observers.stats->name() : "",
            .stats_http = o.stats_http,
            .stats_cores = !o.stats_no_cores,
            .metrics_fd = observers.metrics ? observers.metrics->fd() : -1,
            .metrics_address = observers.metrics ? observers.metrics->name() : ""};
}

}  // namespace gantry::server
