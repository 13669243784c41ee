#include "server/log/request_render.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iterator>

#include "server/log/escape.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server::log {
namespace {

using enum request_var;

bool needs_escape(std::string_view s) {
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f || c == '\\') {
            return true;
        }
    }
    return false;
}

// uWSGI writes "-" for a variable with no value.
void append_text(std::string& out, std::string_view s) {
    if (s.empty()) {
        out += '-';
    } else if (needs_escape(s)) {
        out += escaped(s);
    } else {
        out += s;
    }
}

template <typename T>
void append_number(std::string& out, T n) {
    fmt::format_to(std::back_inserter(out), "{}", n);
}

std::string_view var_of(const protocol::request_head& head, std::string_view key) {
    return head.find(key).value_or(std::string_view{});
}

std::string_view host_of(const protocol::request_head& head) {
    const std::string_view host = var_of(head, "HTTP_HOST");
    return host.empty() ? var_of(head, "SERVER_NAME") : host;
}

// The size of the head as a uwsgi packet carries it: each var is a 2-byte key length, the
// key, a 2-byte value length and the value.
std::uint64_t packet_size(const protocol::request_head& head) {
    std::uint64_t n = 0;
    for (const protocol::var& v : head.vars) {
        n += 4 + v.key.size() + v.value.size();
    }
    return n;
}

// Virtual and resident bytes of this process, from /proc/self/statm (in pages).
struct memory {
    std::uint64_t vsz = 0;
    std::uint64_t rss = 0;
};
memory memory_now() {
    memory m;
    const unique_fd fd(open("/proc/self/statm", O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return m;
    }
    char buf[128];
    const ssize_t n = read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) {
        return m;
    }
    buf[n] = '\0';
    unsigned long long pages = 0;
    unsigned long long resident = 0;
    if (std::sscanf(buf, "%llu %llu", &pages, &resident) == 2) {
        const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
        m.vsz = pages * page;
        m.rss = resident * page;
    }
    return m;
}

void append_strftime(std::string& out, const char* format, const std::tm& t) {
    char buf[128];
    const std::size_t n = std::strftime(buf, sizeof buf, format, &t);
    append_text(out, std::string_view(buf, n));
}

// Everything about the clock and the process, worked out once per line and only if used.
class lazy_facts {
public:
    explicit lazy_facts(const request_facts& f) : f_(f) {}

    const std::tm& start_local() {
        if (!have_tm_) {
            const std::time_t t = std::chrono::system_clock::to_time_t(f_.start);
            localtime_r(&t, &tm_);
            have_tm_ = true;
        }
        return tm_;
    }
    const memory& mem() {
        if (!have_mem_) {
            mem_ = memory_now();
            have_mem_ = true;
        }
        return mem_;
    }

private:
    const request_facts& f_;
    std::tm tm_{};
    memory mem_;
    bool have_tm_ = false;
    bool have_mem_ = false;
};

std::int64_t since_epoch_us(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

void append_time(std::string& out, request_var v, const request_facts& f, lazy_facts& lazy) {
    const std::int64_t start_us = since_epoch_us(f.start);
    switch (v) {
        case time:
            append_number(out, start_us / 1000000);
            break;
        case tmsecs:
            append_number(out, start_us / 1000);
            break;
        case tmicros:
            append_number(out, start_us);
            break;
        case ltime:
            append_strftime(out, "%d/%b/%Y:%H:%M:%S %z", lazy.start_local());
            break;
        case ftime:
            append_strftime(out, *f.ftime_format != '\0' ? f.ftime_format : "%d/%b/%Y:%H:%M:%S %z",
                            lazy.start_local());
            break;
        case ctime: {
            char buf[32];
            const std::time_t t = std::chrono::system_clock::to_time_t(f.start);
            out.append(ctime_r(&t, buf), 24);  // without its newline, as uWSGI
            break;
        }
        case epoch:
            append_number(out, static_cast<long long>(std::time(nullptr)));
            break;
        default:
            break;
    }
}

void append_process(std::string& out, request_var v, const request_facts& f, lazy_facts& lazy) {
    switch (v) {
        case pid:
            append_number(out, getpid());
            break;
        case wid:
            append_number(out, f.worker);
            break;
        case core:
            append_number(out, f.core);
            break;
        case vsz:
            append_number(out, lazy.mem().vsz);
            break;
        case rss:
            append_number(out, lazy.mem().rss);
            break;
        case vsz_mb:
            append_number(out, lazy.mem().vsz / 1024 / 1024);
            break;
        case rss_mb:
            append_number(out, lazy.mem().rss / 1024 / 1024);
            break;
        default:
            break;
    }
}

void append_string(std::string& out, const format_piece& p, const request_facts& f) {
    const protocol::request_head& h = f.head;
    switch (p.what) {
        case literal:
            out += p.text;
            break;
        case addr:
            append_text(out, f.addr);
            break;
        case user:
            append_text(out, var_of(h, "REMOTE_USER"));
            break;
        case method:
            append_text(out, var_of(h, "REQUEST_METHOD"));
            break;
        case uri:
            append_text(out, var_of(h, "REQUEST_URI"));
            break;
        case proto:
            append_text(out, var_of(h, "SERVER_PROTOCOL"));
            break;
        case host:
            append_text(out, host_of(h));
            break;
        case referer:
            append_text(out, var_of(h, "HTTP_REFERER"));
            break;
        case uagent:
            append_text(out, var_of(h, "HTTP_USER_AGENT"));
            break;
        default:  // var
            append_text(out, var_of(h, p.text));
            break;
    }
}

void append_count(std::string& out, request_var v, const request_facts& f) {
    const protocol::request_head& h = f.head;
    switch (v) {
        case status:
            append_number(out, f.status);
            break;
        case size:
            append_number(out, f.bytes);
            break;
        case rsize:
            append_number(out, f.bytes - std::min(f.bytes, f.head_bytes));
            break;
        case hsize:
            append_number(out, f.head_bytes);
            break;
        case headers:
            append_number(out, f.header_count);
            break;
        case cl:
            append_number(out, h.content_length);
            break;
        case vars:
            append_number(out, 2 * h.vars.size());
            break;
        case pktsize:
            append_number(out, packet_size(h));
            break;
        case modifier1:
            append_number(out, h.modifier1);
            break;
        case modifier2:
            append_number(out, h.modifier2);
            break;
        case msecs:
            append_number(out, f.took.count() / 1000);
            break;
        case micros:
            append_number(out, f.took.count());
            break;
        default:  // secs, as uWSGI's "%f"
            fmt::format_to(std::back_inserter(out), "{:.6f}",
                           static_cast<double>(f.took.count()) / 1e6);
            break;
    }
}

// The ids are declared in groups (request_format.hpp): strings, counts, times, the process.
void append_piece(std::string& out, const format_piece& p, const request_facts& f,
                  lazy_facts& lazy) {
    if (p.what <= var) {
        append_string(out, p, f);
    } else if (p.what <= secs) {
        append_count(out, p.what, f);
    } else if (p.what <= epoch) {
        append_time(out, p.what, f, lazy);
    } else {
        append_process(out, p.what, f, lazy);
    }
}

}  // namespace

void render(const request_format& format, const request_facts& facts, std::string& out) {
    lazy_facts lazy(facts);
    for (const format_piece& p : format.pieces()) {
        append_piece(out, p, facts, lazy);
    }
}

}  // namespace gantry::server::log
