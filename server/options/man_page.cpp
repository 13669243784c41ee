// gantry(1), generated from the option registry as docs/options.md is: the package installs
// what `gantry --man-page` prints, so the man page cannot drift from the options.
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "server/options/option_table.hpp"

namespace gantry::server {
namespace {

// The parts that are prose, not rows. Roff: a line may not start with '.' or '\'', '\-' is
// a minus (an option's dashes), and '\e' a backslash.
constexpr std::string_view head = R"(.TH GANTRY 1 "" "gantry {version}" "User Commands"
.SH NAME
gantry \- pre\-fork WSGI application server that reads uWSGI's options
.SH SYNOPSIS
.B gantry
.RI [ FILE .ini | FILE .yaml | FILE .json]
.RB [ \-\-yaml
.IR FILE " | "
.B \-\-ini
.IR FILE ]
.RB [ \-\-module
.IR MOD [: CALLABLE "] | "
.B \-\-wsgi\-file
.IR PATH ]
.RB [ \-\-socket
.IR ADDR ]
.RI [ option ...]
.SH DESCRIPTION
.B gantry
runs a Python WSGI application in a master process and a pool of forked workers.
It speaks the uwsgi protocol (for nginx's
.BR uwsgi_pass )
and HTTP/1.1, and reads uWSGI's configuration files and option names: most uWSGI
INI or YAML files run as they are.
.PP
Every option below works on the command line
.RB ( \-\-name " " \fIvalue\fR),
in a YAML file
.RI ( "name: value"
under
.B gantry:
or
.BR uwsgi: ),
in an INI file
.RI ( "name = value"
under
.BR [uwsgi] )
and as a
.B UWSGI_NAME
environment variable.
A bare argument ending in
.BR .ini ,
.BR .yaml " or " .json
is read as that config file.
Sizes take k, m or g; durations s, m, h or d.
.PP
Under systemd, gantry sends readiness and reload notifications when
.B NOTIFY_SOCKET
is set, and serves sockets passed by socket activation: one whose
.B FileDescriptorName=
is
.B uwsgi
or
.B http
needs no
.B \-\-socket
option.
.SH OPTIONS
)";

constexpr std::string_view tail = R"(.SH SIGNALS
Signals are sent to the master process.
.TP
.B SIGHUP
graceful reload: fresh code and configuration; in\-flight requests finish; the
listening sockets never close.
.TP
.B SIGUSR2
chain reload: the same, replacing one worker at a time.
.TP
.B SIGTERM
graceful stop: stop accepting, finish in\-flight requests (up to
.BR \-\-graceful\-timeout ),
exit 0.
.TP
.BR SIGINT ", " SIGQUIT
immediate stop.
.TP
.BR SIGTTIN " / " SIGTTOU
one worker more / fewer.
.TP
.B SIGUSR1
reopen the
.B \-\-logto
file (for logrotate).
.SH EXIT STATUS
0 stopped by a signal; 1 a runtime failure at start\-up; 2 a configuration error;
3 a worker could not set itself up before gantry ever served; 4 the application
could not be imported.
.SH FILES
.TP
.I /etc/gantry/apps\-available/
application configurations (YAML or INI), one per application.
.TP
.I /etc/gantry/apps\-enabled/
the configurations the
.B gantry@.service
unit runs:
.B systemctl start gantry@NAME
reads
.I /etc/gantry/apps\-enabled/NAME.yaml
(or
.IR NAME.ini ).
.TP
.I /run/gantry/
the units' runtime folders and sockets.
.TP
.I /var/log/gantry/
log files, rotated by
.IR /etc/logrotate.d/gantry .
.SH SEE ALSO
.BR systemctl (1),
.BR systemd.service (5),
.BR systemd.socket (5),
.BR nginx (8),
.BR logrotate (8),
.BR uwsgi (1)
)";

// Text from a row: a backslash is \e; a dash that starts a word or follows a dash is a
// minus (--socket), any other a hyphen; a leading '.' or '\'' is escaped.
std::string roff_text(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const char before = i == 0 ? ' ' : text[i - 1];
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-' && (before == ' ' || before == '-' || before == '(' || before == '`')) {
            out += "\\-";
        } else if (c != '`') {  // markdown's code marks: nothing in roff
            out += c;
        }
    }
    if (!out.empty() && (out.front() == '.' || out.front() == '\'')) {
        out.insert(0, "\\&");
    }
    return out;
}

std::string dashed(std::string_view name) {
    return roff_text(fmt::format("{}{}", name.size() == 1 ? "-" : "--", name));
}

std::string option_entry(const option_def& d) {
    std::string names;
    for (std::string_view n : option_names(d)) {
        names += fmt::format("{}\\fB{}\\fR", names.empty() ? "" : ", ", dashed(n));
        if (n == d.name && !placeholder(d.type).empty()) {
            names += fmt::format(" \\fI{}\\fR", placeholder(d.type).substr(1));
        }
    }
    std::string doc = roff_text(d.doc);
    if (d.repeatable) {
        doc += " (repeatable)";
    }
    if (!d.default_text.empty() && d.default_text != "off") {
        doc += fmt::format(". Default: {}", roff_text(d.default_text));
    }
    return fmt::format(".TP\n{}\n{}.\n", names, doc);
}

}  // namespace

std::string man_page() {
    std::string page = fmt::format(fmt::runtime(head), fmt::arg("version", GANTRY_VERSION));
    for (std::string_view section : sections()) {
        page += fmt::format(".SS {}\n", roff_text(section));
        for (const option_def& d : option_table()) {
            if (d.section == section) {
                page += option_entry(d);
            }
        }
    }
    return page + std::string(tail);
}

}  // namespace gantry::server
