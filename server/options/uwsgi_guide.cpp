// docs/coming-from-uwsgi.md, generated from the option registry: which uWSGI options gantry
// has (and under which name), which it accepts because it always behaves so, which it
// accepts with a note, which it refuses and what to do instead; then the config language.
#include <fmt/format.h>

#include <string>

#include "server/options/option_table.hpp"

namespace gantry::server {
namespace {

constexpr std::string_view intro = R"(# Coming from uWSGI

Generated from gantry's option registry (`gantry --uwsgi-markdown`); a test keeps it in sync.

Run your uWSGI file as it is: `gantry --ini uwsgi.ini` (or `gantry uwsgi.ini`, `--yaml`,
`--json`). `gantry --ini uwsgi.ini --check-config` reads it, lists every problem in one run, and
says what gantry does differently. Every option below also works on the command line
(`--name value`) and as a `UWSGI_NAME` environment variable.

A uWSGI option that is in none of these tables is refused as unknown, with the nearest name:
uWSGI ignores a misspelt key (`vaccum`, `guid`, `hunder-lock`, `exec-pre`), gantry does not.
)";

constexpr std::string_view language = R"(
## The config language

What uWSGI's config files can say, gantry reads the same way:

| feature | example | meaning |
|---|---|---|
| bare flag | `master` | the flag on (`master = true`) |
| comment after a number or flag | `harakiri = 60 ; one minute` | `60`; text values keep their `;` as in uWSGI |
| placeholder | `project = mysite` … `chdir = /srv/%(project)` | any key that is no option is a name for `%(key)`; one that nothing refers to is an error when it looks like a misspelt option (a near name, or a dash in it), else kept with a warning |
| reference | `%(chdir)`, `%(socket)` | the first value given for that option or placeholder, resolved after every file is read |
| arithmetic | `%(processes + 2)`, `%(a b)`, `%(n ++)` | uWSGI's left-to-right pipeline: `+ - * /`, joining, `++`/`--` |
| environment | `$(PORT)`, `$(PORT:-8000)`, `$(PORT-8000)` | an environment variable; an unset one without a default is an error |
| magic variables | `%d %n %s %p %e %c %x %o %0`…`%9 %h %k %v %t %T %u %U %g %G %V %j %i %b %[` | the file's folder (with a trailing `/`), name without extension, file name, full path, extension, folder name, section, path as given, folder parts; host name, CPU count, working directory, time, user, group, gantry's version…; upper case (`%N`…) for the first file read; `%%` is `%`. An unknown letter becomes "" as in uWSGI, with a warning |
| placeholders from outside | `--set-placeholder name=value` (`--set-ph`) | a value for `%(name)` |
| includes | `ini = base.ini`, `ini = :other`, `ini = file.ini:section`, `yaml = x.yaml`, `json = x.json`, `include = x.ini` | read in place; a relative path is from where gantry started, else from the including file's folder |
| several files | `gantry --ini base.ini --ini site.ini` | read in order; a later single value wins, repeated options add up |
| conditions | `if-env = NAME` / `if-env = NAME=value`, `if-not-env`, `if-exists`, `if-not-exists`, `if-file`, `if-not-file`, `if-dir`, `if-not-dir`, `if-opt`, `if-not-opt`, `else`, `endif` | the lines up to `endif` count only when the condition holds; `%(_)` is the value matched |
| loops | `for = a b c` … `endfor`, `for-glob`, `for-times`, `for-readline` | the lines repeated with `%(_)` as each item |
| environment options | `UWSGI_SOCKET=:3031`, `GANTRY_PROCESSES=4` | an option, lowest precedence; uWSGI's own (`UWSGI_RELOADS`…) are ignored |
| precedence | | environment < config files (in order) < command line; an option on the command line replaces the files' values, lists included |
| app factory | `module = app:create_app()`, `module = app:create_app('prod', debug=True)` | the app is what the factory returns (as gunicorn); arguments must be literals, checked by `--check-config` |

Relative paths: in a `[uwsgi]` section or under `uwsgi:` they mean what uWSGI means: `chdir`,
`pidfile`, `logto` and included files from the directory gantry was started in; every other path
(`wsgi-file`, `pythonpath`, `virtualenv`, `touch-reload`, `.py` mounts…) from `chdir`, where the app
is loaded. In a `[gantry]` section or under `gantry:` a relative path is next to the file, wherever
gantry is started from.
)";

std::string names_cell(const option_def& d, bool skip_long_name) {
    std::string cell;
    for (std::string_view n : option_names(d)) {
        if (skip_long_name && n == d.name) {
            continue;
        }
        cell += fmt::format("{}`{}{}`", cell.empty() ? "" : " ", n.size() == 1 ? "-" : "", n);
    }
    return cell;
}

}  // namespace

std::string uwsgi_guide_markdown() {
    std::string md(intro);
    md +=
        "\n## uWSGI options gantry has\n\nSame meaning, under the gantry option named (see "
        "[options.md](options.md) for values and defaults).\n\n| uWSGI | gantry option | "
        "meaning |\n|---|---|---|\n";
    for (const option_def& d : option_table()) {
        if (!d.uwsgi_note.empty() || (d.gantry_only && d.aliases.empty())) {
            continue;
        }
        md += fmt::format("| {} | `--{}` | {} |\n", names_cell(d, d.gantry_only), d.name, d.doc);
    }
    md +=
        "\n## Accepted: gantry always behaves so\n\nNothing to do: the option may stay in the "
        "file.\n\n| uWSGI | gantry |\n|---|---|\n";
    for (const option_def& d : option_table()) {
        if (d.uwsgi_note == "always on") {
            md += fmt::format("| `{}` | {} |\n", d.name, d.doc);
        }
    }
    md +=
        "\n## Accepted, with a note\n\nGantry does something else, or has no use for it; "
        "`--check-config` and the start-up log say so.\n\n| uWSGI | gantry |\n|---|---|\n";
    for (const option_def& d : option_table()) {
        if (!d.uwsgi_note.empty() && d.uwsgi_note != "always on") {
            md += fmt::format("| {} | {} ({}) |\n", names_cell(d, false), d.doc, d.uwsgi_note);
        }
    }
    md +=
        "\n## Refused, with what to do instead\n\nA file using one of these does not start; "
        "`--check-config` lists each.\n\n| uWSGI | instead |\n|---|---|\n";
    for (const uwsgi_refusal& r : uwsgi_refusals()) {
        md += fmt::format("| `{}{}` | {} |\n", r.name, r.family ? "*" : "", r.advice);
    }
    md += language;
    return md;
}

}  // namespace gantry::server
