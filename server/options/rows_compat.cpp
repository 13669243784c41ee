// uWSGI options that gantry accepts for its users' files: behaviour gantry always has, and
// options it takes with a note of what it does instead. Refused ones (with advice) are in
// uwsgi_refusals.cpp; aliases of gantry's own options are on their rows.
#include <stdexcept>

#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {
namespace {

// uWSGI loads its Python support as a plugin; gantry is nothing but that.
void store_plugin(options&, std::string_view value) {
    if (value.find("python") == std::string_view::npos) {
        throw std::invalid_argument(
            "gantry only runs Python (WSGI) apps: remove this plugin, and run apps in other "
            "languages under their own server");
    }
}

struct always {
    std::string_view name;
    std::string_view how;
};

constexpr always always_on_options[] = {
    {"master", "gantry always runs a master process"},
    {"enable-threads", "Python threads always work in gantry's workers"},
    {"vacuum", "gantry removes its unix sockets and pidfile when it stops"},
    {"die-on-term", "SIGTERM is always a graceful stop"},
    {"need-app", "gantry exits (status 4) when the app cannot be imported"},
    {"thunder-lock", "gantry's workers share the accept load without a thundering herd"},
    {"single-interpreter", "each worker has one Python interpreter"},
    {"strict", "gantry always refuses options it does not know"},
    {"ignore-sigpipe", "SIGPIPE is always ignored: a write to a gone client is an error code"},
    {"ignore-write-errors", "a client gone mid-response is logged at debug level only"},
    {"disable-write-exception", "the app never sees an exception for a client gone away"},
    {"close-on-exec",
     "gantry's sockets are close-on-exec: children started by the app do "
     "not inherit them"},
    {"close-on-exec2", "gantry's sockets are close-on-exec"},
    {"reaper", "the master reaps every child"},
    {"no-orphans", "workers exit when the master dies"},
    {"py-call-osafterfork",
     "gantry calls PyOS_AfterFork_Child in each worker, so Python "
     "signal handlers work there"},
    {"harakiri-verbose", "a harakiri always logs the request and the Python stack"},
    {"manage-script-name", "--mount prefixes always become SCRIPT_NAME, the rest PATH_INFO"},
    {"log-master",
     "each process writes whole log lines itself, one write() each, so lines "
     "never interleave"},
    {"http-keepalive",
     "the HTTP socket always keeps HTTP/1.1 connections alive "
     "(--http-keepalive-timeout)"},
    {"skip-atexit", "workers end without running Python's atexit handlers"},
    {"log-reopen", "a reload opens the --logto file again when it was moved"},
    {"http-auto-chunked", "an HTTP/1.1 response without a length is sent chunked"},
};

struct note {
    std::string_view name;
    value_type type;
    std::string_view text;
    bool warning;
};

constexpr note noted_options[] = {
    {"memory-report", value_type::flag,
     "request lines carry no memory figures; --reload-on-rss recycles a worker that grows", false},
    {"offload-threads", value_type::text,
     "not needed: gantry's I/O side sends static files (and wsgi.file_wrapper files) with "
     "sendfile(), without threads",
     false},
    {"check-static-docroot", value_type::flag,
     "not used: gantry has no DOCUMENT_ROOT to look in; name the directory with check-static "
     "or static-map",
     true},
    {"static-cache-paths", value_type::text,
     "not needed: each file is opened relative to its mapped directory, no path cache", false},
    {"static-cache-paths-name", value_type::text,
     "not needed: each file is opened relative to its mapped directory, no path cache", false},
    {"post-buffering", value_type::size,
     "gantry reads a request body of up to 16 KiB before calling the app and streams larger "
     "ones; let nginx buffer uploads in front (client_body_buffer_size)",
     false},
    {"ksm", value_type::text, "not used: Linux KSM page merging is not enabled by gantry", false},
    {"wsgi-disable-file-wrapper", value_type::flag,
     "not needed: gantry's wsgi.file_wrapper sends real files with sendfile() and iterates "
     "anything else (BytesIO...)",
     false},
    {"so-keepalive", value_type::flag,
     "not set: idle client connections end by gantry's own deadlines (--http-keepalive-timeout, "
     "--socket-timeout)",
     false},
    {"thread-stacksize", value_type::text, "not used: threads get Python's default stack size",
     true},
    {"threads-stacksize", value_type::text, "not used: threads get Python's default stack size",
     true},
    {"wsgi-env-behavior", value_type::text,
     "not needed: each request gets a fresh environ (uWSGI's \"holy\")", false},
    {"wsgi-env-behaviour", value_type::text,
     "not needed: each request gets a fresh environ (uWSGI's \"holy\")", false},
    {"py-programname", value_type::text,
     "not used: sys.executable is the virtualenv's or the system's python", true},
    {"py-program-name", value_type::text,
     "not used: sys.executable is the virtualenv's or the system's python", true},
    {"plugins-dir", value_type::text, "not needed: gantry has Python built in", false},
    {"plugin-dir", value_type::text, "not needed: gantry has Python built in", false},
    {"autoload", value_type::flag, "not needed: gantry has Python built in", false},
    {"chunked-input-timeout", value_type::text,
     "not used: --body-timeout limits the whole request body, chunked or not", true},
    {"min-worker-lifetime", value_type::text,
     "not used: a worker is recycled as soon as its limit says so", true},
    {"reload-on-as", value_type::text,
     "not used: gantry watches resident memory (--reload-on-rss), not address space", true},
    {"evil-reload-on-as", value_type::text,
     "not used: gantry watches resident memory (--reload-on-rss), not address space", true},
    {"cpu-affinity", value_type::text, "not used: pin CPUs with systemd (CPUAffinity=) or taskset",
     true},
    {"reuse-port", value_type::flag,
     "not set: gantry's workers share one listening socket; run several instances behind "
     "nginx instead",
     true},
    {"master-as-root", value_type::flag,
     "not so in gantry: --uid/--gid apply to the master too once the sockets are bound", true},
    {"catch-exceptions", value_type::flag,
     "not so in gantry: a traceback goes to the log and the client gets a plain 500; use the "
     "framework's debug mode in development",
     true},
    {"harakiri-graceful-timeout", value_type::text,
     "not used: a harakiri logs the Python stack, then kills the worker", true},
    {"harakiri-graceful-signal", value_type::text,
     "not used: a harakiri logs the Python stack, then kills the worker", true},
    {"no-site", value_type::flag, "not used: Python imports its site module", true},
    {"log-micros", value_type::flag,
     "not used: gantry's request lines give milliseconds with decimals", false},
    {"post-buffering-bufsize", value_type::size,
     "not needed: see post-buffering (nginx buffers uploads in front)", false},
    {"cheaper-algo", value_type::text,
     "gantry grows and shrinks the pool by its own rule: all workers busy for "
     "--cheaper-overload seconds adds --cheaper-step workers, idle ones go after as long",
     true},
};

// The tunables of uWSGI's cheaper algorithms, which gantry's own rule does not have.
constexpr std::string_view cheaper_tunables[] = {
    "cheaper-busyness-multiplier",
    "cheaper-busyness-min",
    "cheaper-busyness-max",
    "cheaper-busyness-backlog-alert",
    "cheaper-busyness-backlog-step",
    "cheaper-busyness-backlog-multiplier",
    "cheaper-busyness-backlog-nonzero",
    "cheaper-busyness-penalty",
    "cheaper-busyness-verbose",
    "cheaper-rss-limit-soft",
    "cheaper-rss-limit-hard",
};

}  // namespace

std::vector<option_def> compat_rows() {
    std::vector<option_def> rows;
    for (const char* name : {"plugin", "plugins", "need-plugin", "need-plugins"}) {
        option_def row{name,
                       "",
                       section::compat,
                       value_type::text,
                       true,
                       "",
                       "accepted when it names python (python3, python311...)",
                       store_plugin,
                       [](const options&) { return shown{}; }};
        row.uwsgi_note = "accepted for python plugins";
        rows.push_back(row);
    }
    for (const always& a : always_on_options) {
        rows.push_back(always_on(a.name, a.how));
    }
    for (const note& n : noted_options) {
        rows.push_back(noted(n.name, n.type, n.text, n.warning));
    }
    for (std::string_view name : cheaper_tunables) {
        rows.push_back(noted(name, value_type::text,
                             "gantry's adaptive pool has its own rule (--cheaper, "
                             "--cheaper-step, --cheaper-overload); this tunable is not used",
                             true));
    }
    return rows;
}

}  // namespace gantry::server::rows
