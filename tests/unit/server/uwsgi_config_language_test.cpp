// uWSGI's config language as gantry reads it: bare flags, trailing comments, placeholders and
// references with arithmetic, magic variables, includes, if/for blocks, several files,
// UWSGI_* variables, and what relative paths mean. Each case writes real files in a fresh
// folder and loads them as `gantry --ini ...` would.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "server/options/load_options.hpp"
#include "server/util/config_error.hpp"
#include "tests/unit/temp_dir.hpp"

using gantry::server::config_error;
using gantry::server::load_options;
using gantry::server::options;

namespace fs = std::filesystem;

namespace {

using folder = gantry::testing::temp_dir;

options load(std::vector<std::string> args, std::vector<std::string> environment = {}) {
    std::vector<const char*> argv{"gantry"};
    for (const std::string& a : args) {
        argv.push_back(a.c_str());
    }
    std::vector<char*> env;
    for (std::string& e : environment) {
        env.push_back(e.data());
    }
    env.push_back(nullptr);
    return load_options(static_cast<int>(argv.size()), argv.data(), env.data());
}

std::string error_of(std::vector<std::string> args, std::vector<std::string> environment = {}) {
    try {
        load(std::move(args), std::move(environment));
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("bare flags, trailing comments and case-insensitive booleans, as uWSGI reads them") {
    folder f;
    const auto ini = f.write("app.ini",
                             "[uwsgi]\nmodule = app\nsocket = :1\nlazy-apps\n"
                             "harakiri = 60          ; forcefully kill\n"
                             "processes = 4 # workers\ndisable-logging = True\n");
    const options o = load({"--ini", ini});
    CHECK(o.lazy_apps);
    CHECK(o.harakiri == 60);
    CHECK(o.processes == 4);
    CHECK(o.disable_logging);
}

TEST_CASE("a later file may turn a flag off again") {
    folder f;
    const auto a = f.write("a.ini", "[uwsgi]\nmodule = app\nsocket = :1\nlazy-apps = true\n");
    const auto b = f.write("b.ini", "[uwsgi]\nlazy-apps = false\n");
    CHECK_FALSE(load({"--ini", a, "--ini", b}).lazy_apps);
}

TEST_CASE("placeholders, references in any order, and uWSGI's arithmetic") {
    folder f;
    const auto ini =
        f.write("app.ini",
                "[uwsgi]\nchdir = %(base)/site\nbase = /srv\nmodule = %(project).wsgi\n"
                "project = mysite\nsocket = :1\nworkers = 2\n"
                "processes = %(workers + 3)\nthreads = %(workers * 2)\n"
                "env = JOINED=%(project workers)\n");
    const options o = load({"--ini", ini});
    CHECK(o.chdir == "/srv/site");
    CHECK(o.module == "mysite.wsgi");
    CHECK(o.processes == 5);
    CHECK(o.threads == 4);
    CHECK(o.envs == std::vector<std::string>{"JOINED=mysite2"});
}

TEST_CASE("magic variables are the file's own; %% is a percent sign") {
    folder f;
    const auto ini = f.write("conf/mysite.ini",
                             "[uwsgi]\nmodule = app\nsocket = %d%n.sock\npidfile = /run/%n.pid\n"
                             "env = FILE=%s\nenv = EXT=%e\nenv = DIR=%c\nenv = PCT=100%%\n");
    const options o = load({"--ini", ini});
    CHECK(o.sockets == std::vector<std::string>{(f.path / "conf/mysite.sock").string()});
    CHECK(o.pidfile == "/run/mysite.pid");
    CHECK(o.envs == std::vector<std::string>{"FILE=mysite.ini", "EXT=ini", "DIR=conf", "PCT=100%"});
}

TEST_CASE("an unknown magic letter becomes \"\" as in uWSGI, with a warning") {
    folder f;
    const auto ini = f.write("a.ini", "[uwsgi]\nmodule = app\nsocket = :1\nenv = D=%Y\n");
    const options o = load({"--ini", ini});
    CHECK(o.envs == std::vector<std::string>{"D="});
    REQUIRE(o.config_warnings.size() == 1);
    CHECK(o.config_warnings[0].find("'%Y' is no magic variable") != std::string::npos);
}

TEST_CASE("$(VAR) from the environment, with uWSGI's defaults") {
    folder f;
    setenv("GANTRY_TEST_PORT", "4040", 1);
    unsetenv("GANTRY_TEST_UNSET");
    const auto ini = f.write("a.ini",
                             "[uwsgi]\nmodule = app\nsocket = :$(GANTRY_TEST_PORT)\n"
                             "processes = $(GANTRY_TEST_UNSET:-3)\n");
    const options o = load({"--ini", ini});
    CHECK(o.sockets == std::vector<std::string>{":4040"});
    CHECK(o.processes == 3);
}

TEST_CASE("includes: another file, another section of this file, a YAML and a JSON file") {
    folder f;
    f.write("base.ini", "[uwsgi]\nprocesses = 3\n[extra]\nthreads = 2\n");
    f.write("more.yaml", "uwsgi:\n  harakiri: 30\n  socket: [':2', ':3']\n");
    f.write("more.json", R"({"uwsgi": {"max-requests": 100, "lazy-apps": true}})");
    const auto ini = f.write("app.ini",
                             "[uwsgi]\nmodule = app\nsocket = :1\nini = %dbase.ini\n"
                             "ini = %dbase.ini:extra\nyaml = %dmore.yaml\njson = more.json\n"
                             "ini = :local\n[local]\nlisten = 99\n");
    const options o = load({"--ini", ini});
    CHECK(o.processes == 3);
    CHECK(o.threads == 2);
    CHECK(o.harakiri == 30);
    CHECK(o.sockets == std::vector<std::string>{":1", ":2", ":3"});
    CHECK(o.max_requests == 100);
    CHECK(o.lazy_apps);
    CHECK(o.listen == 99);
}

TEST_CASE("a file that includes itself is refused, not read forever") {
    folder f;
    const auto ini = f.write("loop.ini", "[uwsgi]\nmodule = app\nsocket = :1\nini = %dloop.ini\n");
    CHECK(error_of({"--ini", ini}).find("includes itself") != std::string::npos);
}

TEST_CASE("if-env, if-exists, if-opt, else and for blocks, with %(_)") {
    folder f;
    setenv("GANTRY_TEST_SMTP", "2525", 1);
    unsetenv("GANTRY_TEST_NONE");
    const auto ini =
        f.write("app.ini",
                "[uwsgi]\nmodule = app\nsocket = :1\n"
                "if-env = GANTRY_TEST_SMTP\nenv = SMTP=%(_)\nendif =\n"
                "if-env = GANTRY_TEST_NONE\nenv = NONE=1\nelse =\nenv = OTHER=1\nendif =\n"
                "if-exists = %dapp.ini\nenv = SELF=%(_)\nendif =\n"
                "if-not-exists = %dmissing\nenv = MISSING=yes\nendif =\n"
                "if-opt = module=app\nenv = MOD=%(_)\nendif =\n"
                "for = a b\nenv = ITEM_%(_)=1\nendfor =\n");
    const options o = load({"--ini", ini});
    CHECK(o.envs == std::vector<std::string>{"SMTP=2525", "OTHER=1", "SELF=" + ini, "MISSING=yes",
                                             "MOD=app", "ITEM_a=1", "ITEM_b=1"});
}

TEST_CASE("an if block without endif is a problem") {
    folder f;
    const auto ini = f.write("a.ini", "[uwsgi]\nmodule = app\nsocket = :1\nif-env = HOME\n");
    CHECK(error_of({"--ini", ini}).find("has no 'endif'") != std::string::npos);
}

TEST_CASE("UWSGI_* and GANTRY_* variables are options, below the files and the command line") {
    folder f;
    const auto ini = f.write("a.ini", "[uwsgi]\nmodule = app\nprocesses = 3\n");
    const options o = load({"--ini", ini, "--threads", "2"},
                           {"UWSGI_SOCKET=:7", "UWSGI_PROCESSES=9", "GANTRY_THREADS=5",
                            "UWSGI_RELOADS=3", "GANTRY_HANDOVER=x", "UWSGI_NO_SUCH_THING=1"});
    CHECK(o.sockets == std::vector<std::string>{":7"});
    CHECK(o.processes == 3);
    CHECK(o.threads == 2);
    REQUIRE(o.config_warnings.size() == 1);  // the unknown UWSGI_ one; ours are not options
    CHECK(o.config_warnings[0].starts_with("$UWSGI_NO_SUCH_THING"));
}

TEST_CASE("--set-placeholder gives %(name) a value; several files merge in order") {
    folder f;
    const auto shared =
        f.write("shared.ini", "[uwsgi]\nchdir = /srv/%(project_name)\nprocesses = 2\n");
    const auto site = f.write("site.ini", "[uwsgi]\nmodule = app\nsocket = :1\nprocesses = 4\n");
    const options o = load({"--set-ph", "project_name=blog", "--ini", shared, "--ini", site});
    CHECK(o.chdir == "/srv/blog");
    CHECK(o.processes == 4);
}

TEST_CASE("a bare FILE.ini argument is --ini FILE.ini, as uWSGI takes it") {
    folder f;
    const auto ini = f.write("app.ini", "[uwsgi]\nmodule = app\nsocket = :1\n");
    CHECK(load({ini}).module == "app");
}

TEST_CASE("relative paths: [uwsgi] means uWSGI's rule, [gantry] means next to the file") {
    folder f;
    const auto uwsgi = f.write("conf/u.ini",
                               "[uwsgi]\nchdir = /srv/app\nmodule = m\nsocket = :1\n"
                               "pythonpath = lib\nwsgi-file = web/wsgi.py\npidfile = run/x.pid\n");
    const options u = load({"--ini", uwsgi});
    CHECK(u.pythonpath == std::vector<std::string>{"/srv/app/lib"});
    CHECK(u.wsgi_file.empty());  // the module wins, as in uWSGI
    CHECK(u.pidfile == (fs::current_path() / "run/x.pid").string());
    const auto gantry = f.write("conf/g.ini",
                                "[gantry]\nchdir = /srv/app\nmodule = m\nsocket = :1\n"
                                "pythonpath = lib\n");
    CHECK(load({"--ini", gantry}).pythonpath ==
          std::vector<std::string>{(f.path / "conf/lib").string()});
}

TEST_CASE("protocol = http turns --socket listeners into HTTP ones; http is an HTTP socket") {
    folder f;
    const auto ini = f.write("a.ini",
                             "[uwsgi]\nmodule = app\nsocket = :1\nprotocol = http\n"
                             "http = 127.0.0.1:2\n");
    const options o = load({"--ini", ini});
    CHECK(o.sockets.empty());
    CHECK(o.http_sockets == std::vector<std::string>{"127.0.0.1:2", ":1"});
    REQUIRE(o.config_notices.size() == 1);
    CHECK(o.config_notices[0].find("gantry's own HTTP socket") != std::string::npos);
}

TEST_CASE("every problem of a file in one run, each with its line") {
    folder f;
    const auto ini = f.write("bad.ini",
                             "[uwsgi]\nmodule = app\nsocket = :1\nvaccum = true\n"
                             "attach-daemon = celery\nprocesses = lots\nlog-route = x\n");
    const std::string e = error_of({"--ini", ini});
    CHECK(e.starts_with("4 problems in the configuration:\n"));
    CHECK(e.find(ini + ":4: unknown option 'vaccum' (did you mean 'vacuum'?)") !=
          std::string::npos);
    CHECK(e.find(ini + ":5: attach-daemon: a uWSGI option gantry does not have:") !=
          std::string::npos);
    CHECK(e.find(ini + ":6: processes: expected a whole number") != std::string::npos);
    CHECK(e.find(ini + ":7: log-route: a uWSGI option gantry does not have:") != std::string::npos);
}

TEST_CASE("pythonpath takes a glob, as in uWSGI") {
    folder f;
    f.write("eggs/a.egg/x.py", "");
    f.write("eggs/b.egg/x.py", "");
    const auto ini = f.write("a.ini",
                             "[uwsgi]\nmodule = app\nsocket = :1\npythonpath = %deggs/*.egg\n"
                             "pythonpath = %dnone/*.egg\n");
    CHECK(load({"--ini", ini}).pythonpath ==
          std::vector<std::string>{(f.path / "eggs/a.egg").string(),
                                   (f.path / "eggs/b.egg").string(),
                                   (f.path / "none/*.egg").string()});
}

TEST_CASE("uWSGI names that gantry takes as aliases, always-on flags and noted options") {
    folder f;
    const auto ini =
        f.write("a.ini",
                "[uwsgi]\nwsgi = app\nuwsgi-socket = :1\nworkers = 3\nlazy = true\n"
                "python-path = /x\nsafe-pidfile = /run/a.pid\nevil-reload-on-rss = 300\n"
                "worker-reload-mercy = 9\nunique-cron = -1 -1 -1 -1 -1 true\n"
                "master = true\nvacuum = true\nsingle-interpreter = true\n"
                "ignore-sigpipe = true\nmemory-report = true\ncheaper-algo = spare\n");
    const options o = load({"--ini", ini});
    CHECK(o.module == "app");
    CHECK(o.processes == 3);
    CHECK(o.lazy_apps);
    CHECK(o.pythonpath == std::vector<std::string>{"/x"});
    CHECK(o.pidfile == "/run/a.pid");
    CHECK(o.reload_on_rss == 300);
    CHECK(o.graceful_timeout == 9);
    CHECK(o.crons.size() == 1);
    CHECK(o.config_notices.size() == 1);   // memory-report
    CHECK(o.config_warnings.size() == 1);  // cheaper-algo
}

TEST_CASE("@(path) is a file's contents, less its trailing newline") {
    folder f;
    f.write("secret", "s3cret\n");
    const auto ini = f.write("a.ini", "[uwsgi]\nmodule = app\nsocket = :1\nenv = KEY=@(" +
                                          (f.path / "secret").string() + ")\n");
    CHECK(load({"--ini", ini}).envs == std::vector<std::string>{"KEY=s3cret"});
    const auto bad = f.write("b.ini", "[uwsgi]\nmodule = app\nsocket = :1\nenv = KEY=@(/nope)\n");
    CHECK(error_of({"--ini", bad}).find("@(/nope): no such file") != std::string::npos);
}
