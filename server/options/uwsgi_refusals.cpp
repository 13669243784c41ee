#include "server/options/uwsgi_refusals.hpp"

#include <array>

namespace gantry::server {
namespace {

constexpr std::string_view daemons =
    "run the command as its own systemd service or container (for periodic jobs, use cron)";
constexpr std::string_view hooks =
    "run the command before gantry starts: systemd ExecStartPre= or the container's entrypoint";
constexpr std::string_view loggers =
    "use logto (SIGUSR1 or touch-logreopen reopens it), or let systemd-journald or the "
    "container runtime collect stderr";
constexpr std::string_view statics =
    "gantry's static files take static-map, static-map2, check-static, static-index, "
    "static-expires, static-expires-uri, static-gzip, static-gzip-all, static-gzip-dir, "
    "static-safe and static-skip-ext; for anything more, let nginx serve the files";
constexpr std::string_view expires_from_request =
    "gantry's expiry counts from the request: give static-expires (the file's path) or "
    "static-expires-uri (the URL path), REGEX SECONDS";
constexpr std::string_view async_engines =
    "gantry runs WSGI apps synchronously with --threads per worker; for many idle "
    "connections run the app under an ASGI server";
constexpr std::string_view routing =
    "route, rewrite and add headers in nginx (location, rewrite, return, add_header)";
constexpr std::string_view queues =
    "use cron (a `call:` entry runs a Python function) or a task queue such as Celery or RQ";
constexpr std::string_view paste =
    "write a WSGI file that loads it: from paste.deploy import loadapp; application = "
    "loadapp('config:/path/production.ini'), and give it as wsgi-file";
constexpr std::string_view metrics =
    "gantry has no custom metrics or push to Carbon: its --stats server and Prometheus "
    "--metrics endpoint give the server's own figures";
constexpr std::string_view tls = "terminate TLS in nginx (or the load balancer) in front of gantry";

constexpr std::array refusals = {
    uwsgi_refusal{"attach-daemon", true, daemons},
    uwsgi_refusal{"smart-attach-daemon", true, daemons},
    uwsgi_refusal{"attach-control-daemon", false, daemons},
    uwsgi_refusal{"legion", true, "cluster with your orchestrator (systemd, Kubernetes)"},
    uwsgi_refusal{"mule", true, queues},
    uwsgi_refusal{"farm", false, queues},
    uwsgi_refusal{"spooler", true, queues},
    uwsgi_refusal{"gevent", true, async_engines},
    uwsgi_refusal{"async", true, async_engines},
    uwsgi_refusal{"ugreen", false, async_engines},
    uwsgi_refusal{"greenlet", false, async_engines},
    uwsgi_refusal{"asyncio", false, async_engines},
    uwsgi_refusal{"tornado", false, async_engines},
    uwsgi_refusal{"logger", true, loggers},
    uwsgi_refusal{"req-logger", true, loggers},
    uwsgi_refusal{"log-route", false, loggers},
    uwsgi_refusal{"log-req-route", false, loggers},
    uwsgi_refusal{"log-encoder", false, loggers},
    uwsgi_refusal{"log-req-encoder", false, loggers},
    uwsgi_refusal{"emperor", true,
                  "run one gantry per app under systemd (a template unit) or one "
                  "container per app"},
    uwsgi_refusal{"vassal", true, "run one gantry per app under systemd or one container per app"},
    uwsgi_refusal{"https", true, tls},
    uwsgi_refusal{"http-to", true, "put nginx in front of gantry to proxy to other backends"},
    uwsgi_refusal{"http-modifier", true, "route in nginx"},
    uwsgi_refusal{"fastcgi-socket", false, "use socket (the uwsgi protocol) or http-socket"},
    uwsgi_refusal{"scgi-socket", false, "use socket (the uwsgi protocol) or http-socket"},
    uwsgi_refusal{"route", true, routing},
    uwsgi_refusal{"response-route", true, routing},
    uwsgi_refusal{"final-route", true, routing},
    uwsgi_refusal{"error-route", true, routing},
    uwsgi_refusal{"add-header", false, routing},
    uwsgi_refusal{"static-expires-type", true,
                  "give the expiry by file name, a rule per kind: static-expires = \\.png$ 3600"},
    uwsgi_refusal{"static-expires-mtime", false, expires_from_request},
    uwsgi_refusal{"static-expires-uri-mtime", false, expires_from_request},
    uwsgi_refusal{"static-expires-path-info", true, expires_from_request},
    uwsgi_refusal{"static-gzip-ext", false, "give a regex of the file path: static-gzip = \\.css$"},
    uwsgi_refusal{"static-gzip-suffix", false,
                  "give a regex of the file path: static-gzip = \\.css$"},
    uwsgi_refusal{"static-", true, statics},
    uwsgi_refusal{"file-serve-mode", false,
                  "gantry sends the file itself (sendfile from the worker's I/O side): drop "
                  "file-serve-mode, nginx needs no X-Accel-Redirect"},
    uwsgi_refusal{"mimefile", false,
                  "gantry reads /etc/mime.types (Debian's media-types package) and knows the "
                  "common web types without it"},
    uwsgi_refusal{"cache", true, "use Redis or memcached (Django's and Flask's cache backends)"},
    uwsgi_refusal{"daemonize", true, "run gantry in the foreground under systemd or a container"},
    uwsgi_refusal{"stats-push", true, metrics},
    uwsgi_refusal{"carbon", true, metrics},
    uwsgi_refusal{"sharedarea", false, "use Redis or memcached"},
    uwsgi_refusal{"alarm", true, "alert from your monitoring (Prometheus, journald) instead"},
    uwsgi_refusal{"subscribe", true, "register the backend in nginx or your load balancer"},
    uwsgi_refusal{"cron2", false, "use cron (crontab syntax or uWSGI's numeric form)"},
    uwsgi_refusal{"exec-asap", false, hooks},
    uwsgi_refusal{"exec-pre-jail", false, hooks},
    uwsgi_refusal{"exec-post-jail", false, hooks},
    uwsgi_refusal{"exec-in-jail", false, hooks},
    uwsgi_refusal{"exec-as-root", false, hooks},
    uwsgi_refusal{"exec-as-user", false, hooks},
    uwsgi_refusal{"exec-as-user-atexit", false, hooks},
    uwsgi_refusal{"exec-pre-app", false, hooks},
    uwsgi_refusal{"exec-post-app", false, hooks},
    uwsgi_refusal{"hook-asap", false, hooks},
    uwsgi_refusal{"hook-pre-jail", false, hooks},
    uwsgi_refusal{"hook-post-jail", false, hooks},
    uwsgi_refusal{"hook-in-jail", false, hooks},
    uwsgi_refusal{"hook-as-root", false, hooks},
    uwsgi_refusal{"hook-as-user", false, hooks},
    uwsgi_refusal{"hook-as-user-atexit", false, hooks},
    uwsgi_refusal{"hook-pre-app", false, hooks},
    uwsgi_refusal{"hook-post-app", false, hooks},
    uwsgi_refusal{"hook-post-fork", false, hooks},
    uwsgi_refusal{"hook-accepting", true, hooks},
    uwsgi_refusal{"jail", true,
                  "confine gantry with systemd (ProtectSystem=, PrivateTmp=) or a "
                  "container"},
    uwsgi_refusal{"namespace", true, "confine gantry with systemd or a container"},
    uwsgi_refusal{"unshare", false, "confine gantry with systemd or a container"},
    uwsgi_refusal{"cgroup", true, "set limits in the systemd unit (MemoryMax=, CPUQuota=)"},
    uwsgi_refusal{"fork-server", false, "not needed: gantry forks workers from its master"},
    uwsgi_refusal{"zerg", true,
                  "run more workers (--processes), or more gantry instances behind "
                  "nginx"},
    uwsgi_refusal{"websockets", true, "serve websockets from an ASGI server beside gantry"},
    uwsgi_refusal{"http-websockets", false, "serve websockets from an ASGI server beside gantry"},
    uwsgi_refusal{"enable-proxy-protocol", false,
                  "let nginx take the PROXY protocol "
                  "(listen ... proxy_protocol)"},
    uwsgi_refusal{"http-enable-proxy-protocol", false,
                  "let nginx take the PROXY protocol "
                  "(listen ... proxy_protocol)"},
    uwsgi_refusal{"py-tracebacker", false,
                  "a harakiri logs the Python stack; for a live one, "
                  "py-spy dump --pid PID"},
    uwsgi_refusal{"pyimport", false, "import the module at the top of your WSGI module"},
    uwsgi_refusal{"py-import", false, "import the module at the top of your WSGI module"},
    uwsgi_refusal{"python-import", false, "import the module at the top of your WSGI module"},
    uwsgi_refusal{"pymodule-alias", false, "import the module under its own name in the app"},
    uwsgi_refusal{"pyargv", false, "set sys.argv at the top of your WSGI module"},
    uwsgi_refusal{"paste", false, paste},
    uwsgi_refusal{"ini-paste", false, paste},
    uwsgi_refusal{"ini-paste-logged", false, paste},
    uwsgi_refusal{"paste-logger", false, paste},
    uwsgi_refusal{"eval", false, "put the code in a file and give it as wsgi-file"},
    uwsgi_refusal{"pyrun", false, "run the script with python itself"},
    uwsgi_refusal{"pyshell", true, "run python itself (in the virtualenv) for a shell"},
    uwsgi_refusal{"vhost", true, "one app per gantry; let nginx pick it by server_name"},
    uwsgi_refusal{"shared-socket", false, "use socket or http-socket"},
    uwsgi_refusal{"cap", false, "give capabilities in the systemd unit (AmbientCapabilities=)"},
    uwsgi_refusal{"enable-metrics", false, metrics},
    uwsgi_refusal{"metric", true, metrics},
    uwsgi_refusal{"die-on-idle", false,
                  "use --cheap with --idle (no worker while idle), or "
                  "systemd socket activation"},
};

}  // namespace

std::span<const uwsgi_refusal> uwsgi_refusals() {
    return refusals;
}

std::string_view unsupported_uwsgi_option(std::string_view name) {
    for (const uwsgi_refusal& r : refusals) {
        if (r.family ? name.starts_with(r.name) : name == r.name) {
            return r.advice;
        }
    }
    return {};
}

}  // namespace gantry::server
