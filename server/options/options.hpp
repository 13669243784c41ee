// The effective configuration of one gantry run, after the command line and the config
// file are merged. Plain data: the option table fills it, everything else reads it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "server/log/level.hpp"

namespace gantry::server {

struct options {
    // Application
    std::string module;  // "pkg.mod" (the callable split off into `callable`)
    std::string wsgi_file;
    std::string callable = "application";
    std::string chdir;
    std::vector<std::string> pythonpath;
    std::vector<std::string> envs;  // --env K=V, set before Python starts
    // --mount /prefix=APP: more applications, each under a URL prefix ("" is the root).
    struct mount {
        std::string prefix;
        std::string app;  // MODULE[:CALLABLE], or a path ending in .py
    };
    std::vector<mount> mounts;
    std::string virtualenv;  // a PEP 405 venv folder (uWSGI's home, venv, pyhome)
    int optimize = 0;        // Python's optimization level, as python -O (1) or -OO (2)

    // Sockets and workers
    std::vector<std::string> sockets;
    std::vector<std::string> http_sockets;
    bool socket_speaks_http = false;  // protocol = http: --socket listeners speak HTTP
    int http_keepalive_timeout = 5;   // seconds an idle keep-alive connection is kept
    int processes = 1;
    int threads = 1;  // request threads per worker
    std::size_t buffer_size = 65535;
    int socket_timeout = 4;        // seconds, per read or write on a connection
    int http_header_timeout = 10;  // seconds for a whole request head, from its first byte
    int body_timeout = 60;         // seconds of waiting for a whole request body
    int send_timeout = 60;         // seconds of waiting for a client to take a whole response
    int max_connections = 1000;    // open HTTP connections per worker
    std::uint64_t limit_post = 0;  // largest request body accepted; 0: no limit
    // HTTP socket peers whose X-Forwarded-For/-Proto are believed (server/net/trusted_proxies)
    std::string forwarded_allow_ips = "127.0.0.1,::1,unix";

    // Process management
    bool lazy_apps = false;     // import the app in each worker instead of the master
    int graceful_timeout = 30;  // seconds workers get to finish on SIGTERM / reload
    int harakiri = 0;           // seconds a request may run before its worker is killed
    std::uint64_t max_requests = 0;
    std::uint64_t max_requests_delta = 0;
    std::uint64_t reload_on_rss = 0;  // MB
    int max_worker_lifetime = 0;      // seconds

    // Reload triggers: files whose change (touch, rewrite, rename over, delete) acts like
    // a signal to the master; and the development reloader
    std::vector<std::string> touch_reload;          // a graceful reload (SIGHUP)
    std::vector<std::string> touch_chain_reload;    // a chain reload (SIGUSR2)
    std::vector<std::string> touch_workers_reload;  // new workers from the master's app
    std::vector<std::string> touch_logreopen;       // reopen the log (SIGUSR1)
    std::vector<std::string> touch_logrotate;       // rotate the log (for now: reopen it)
    std::vector<std::string> master_fifo;           // named pipes the master reads commands from
    std::string stats;                              // uWSGI's stats server address; empty: none
    bool stats_http = false;
    bool stats_no_cores = false;
    std::string metrics;           // the Prometheus/health listener's address; empty: none
    int py_autoreload = 0;         // seconds between looks at the imported modules; 0: off
    bool graceful_sigint = false;  // SIGINT stops gracefully, like SIGTERM (hook-master-start)

    // Cheap mode, adaptive pool
    bool cheap = false;       // no worker until a connection is pending
    int idle = 0;             // seconds without a request before going back to cheap; 0: never
    int cheaper = 0;          // keep at least this many workers (0: fixed pool of `processes`)
    int cheaper_initial = 0;  // workers at start (default: `cheaper`)
    int cheaper_step = 1;
    int cheaper_overload = 3;  // seconds of all-busy before growing / of idleness before shrinking

    // Cron: a shell command or a Python callable on a schedule
    struct cron_entry {
        std::string schedule;
        std::string command;  // run by /bin/sh
        std::string call;     // or "pkg.mod:function", in a process forked from the master
        int timeout = 0;      // seconds; 0: none
    };
    std::vector<cron_entry> crons;

    // Process titles: what `ps` shows (uWSGI's meaning; any procname-* turns titles on)
    bool auto_procname = false;   // "gantry master", "gantry worker 3", "gantry cron"
    std::string procname_prefix;  // before every title
    std::string procname_append;  // after every title
    std::string procname;         // every process's title, instead of gantry's own
    std::string procname_master;  // the master's title

    // Operations
    std::string pidfile;
    std::string uid;
    std::string gid;
    int chmod_socket = 0660;
    std::string chown_socket;  // "USER[:GROUP]" for unix sockets; "": as bound
    int umask = -1;            // set at start-up; -1: the inherited one
    int listen = 1024;
    long max_fd = 0;    // RLIMIT_NOFILE set at start-up; 0: inherited
    long limit_as = 0;  // RLIMIT_AS in MB set at start-up; 0: inherited
    std::string logto;
    bool logfile_chown = false;  // give the --logto file to --uid/--gid
    int logfile_chmod = -1;      // its mode; -1: as created
    bool log_json = false;
    log::level log_level = log::level::info;  // the lowest level written
    bool disable_logging = false;
    // With disable-logging, the request lines still written (uWSGI's conditional logging).
    bool log_4xx = false;
    bool log_5xx = false;
    std::uint32_t log_slow = 0;  // milliseconds; 0: off
    bool log_x_forwarded_for = false;
    std::string log_format;            // uWSGI's request-line template, "%(addr) ... %(status)"
    bool log_format_strftime = false;  // %(ftime) uses the log-date format
    std::string log_date;           // strftime format of gantry's own line times; "": the default
    std::uint64_t log_maxsize = 0;  // bytes of --logto before it is rotated; 0: never
    std::string log_backupname;     // the rotated file's name; "": FILE.<unix time>

    // Static files, served by the worker's I/O side (uWSGI's static-map and friends)
    struct static_map {
        std::string url;           // "/static", as given
        std::string dir;           // absolute
        bool keep_prefix = false;  // static-map2: the whole URL path is looked up under dir
    };
    std::vector<static_map> static_maps;    // --static-map and --static-map2, in the order given
    std::vector<std::string> check_static;  // directories mapped at "/"; no file: the app
    std::vector<std::string> static_index;  // "index.html", tried in order for a directory
    struct static_expiry {
        std::string pattern;  // an ECMAScript regex, searched
        long long seconds = 0;
        bool on_uri = false;  // static-expires-uri: the request path; else the file's path
    };
    std::vector<static_expiry> static_expires;  // the first that matches counts
    bool static_gzip_all = false;
    std::vector<std::string> static_gzip_dirs;  // path prefixes whose files may have FILE.gz
    std::vector<std::string> static_gzip;       // regexes of file paths that may have FILE.gz
    std::vector<std::string> static_safe;       // where a symlink out of a mount may lead
    std::vector<std::string> static_skip_ext;   // ".py": never served, the app gets it

    // Meta
    std::vector<std::string> config_files;  // --ini/--yaml/--json, in command-line order
    // What the configuration said that gantry does differently (uWSGI options accepted for
    // compatibility): logged at start-up, shown by --check-config.
    std::vector<std::string> config_notices;
    std::vector<std::string> config_warnings;
    bool check_config = false;
    bool print_config = false;
    bool help = false;
    bool version = false;
};

}  // namespace gantry::server
