#include "server/master/touch_watch.hpp"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "server/log/log.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server {
namespace {

using namespace std::chrono_literals;

// An editor's save, `cp`, a config map's swap: their events come within a few ms of each
// other. Quiet this long ends a burst; a file written without pause acts after at most 2 s.
constexpr auto quiet_period = 200ms;
constexpr auto longest_burst = 2s;
// The look that backs inotify up, as often as uWSGI's own look (once a master cycle).
constexpr auto poll_period = 1s;

constexpr const char* hand_over_variable = "GANTRY_TOUCH_STAMPS";

// Everything that can change what a name in a folder is, or what the file holds.
constexpr std::uint32_t watch_mask = IN_ATTRIB | IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE |
                                     IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR;

std::filesystem::path absolute_of(const std::string& path) {
    return std::filesystem::absolute(path).lexically_normal();
}

bool is_link(const std::string& path) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// The log actions first, the reload last: a reload's exec ends this master's loop, and
// whatever else was due then is not acted on (its stamp went to the new master as done).
constexpr std::array<touch_action, 5> firing_order = {
    touch_action::logreopen, touch_action::logrotate, touch_action::workers_reload,
    touch_action::chain_reload, touch_action::reload};

}  // namespace

std::string_view option_of(touch_action a) {
    switch (a) {
        case touch_action::reload:
            return "touch-reload";
        case touch_action::chain_reload:
            return "touch-chain-reload";
        case touch_action::workers_reload:
            return "touch-workers-reload";
        case touch_action::logreopen:
            return "touch-logreopen";
        case touch_action::logrotate:
            return "touch-logrotate";
    }
    return "touch";
}

void check_touch_folders(const std::vector<touch_file>& files) {
    for (const touch_file& f : files) {
        const std::filesystem::path p = absolute_of(f.path);
        if (!p.has_filename()) {
            throw config_error(fmt::format("--{} {}: names a folder; name a file in it",
                                           option_of(f.action), f.path));
        }
        std::error_code ec;
        if (!std::filesystem::is_directory(p.parent_path(), ec)) {
            throw config_error(fmt::format(
                "--{} {}: folder {} does not exist (the file itself need not exist yet)",
                option_of(f.action), f.path, p.parent_path().string()));
        }
    }
}

touch_watch::touch_watch(boost::asio::io_context& io, const std::vector<touch_file>& files,
                         on_touch fire)
    : fire_(std::move(fire)), events_(io), quiet_(io), debounce_(quiet_period, longest_burst) {
    if (files.empty()) {
        take_hand_over();  // a reload that dropped every touch file: nothing to carry on
        return;
    }
    inotify_.reset(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify_) {
        log::warning("touch files: inotify_init1: {}; looking at them once a second instead",
                     std::strerror(errno));
    } else {
        events_.assign(inotify_.get());
    }
    for (const touch_file& f : files) {
        add(f);
    }
    take_hand_over();
}

touch_watch::~touch_watch() {
    // inotify_ owns the descriptor; Asio must not close it too.
    if (events_.is_open()) {
        static_cast<void>(events_.release());
    }
}

void touch_watch::add(const touch_file& f) {
    const std::filesystem::path p = absolute_of(f.path);
    entry e{.file = f,
            .absolute = p.string(),
            .folder = p.parent_path().string(),
            .name = p.filename().string(),
            .wd = -1,
            .stamp = stamp_of(p.string()),
            .linked = is_link(p.string())};
    if (inotify_) {
        // The same folder twice gives the same watch back.
        e.wd = inotify_add_watch(inotify_.get(), e.folder.c_str(), watch_mask);
        if (e.wd < 0) {
            log::warning("--{} {}: cannot watch folder {}: {}; looking once a second instead",
                         option_of(f.action), f.path, e.folder, std::strerror(errno));
        }
    }
    entries_.push_back(std::move(e));
}

void touch_watch::start() {
    if (events_.is_open()) {
        wait_for_events();
    }
    wait_for_quiet();
}

void touch_watch::wait_for_events() {
    events_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this](const boost::system::error_code& ec) {
                           if (ec) {
                               return;
                           }
                           read_events();
                           wait_for_events();
                       });
}

void touch_watch::read_events() {
    alignas(inotify_event) std::array<char, 4096> buffer{};
    bool relevant = false;
    for (;;) {
        const ssize_t n = read(inotify_.get(), buffer.data(), buffer.size());
        if (n <= 0) {
            break;  // EAGAIN: all read
        }
        for (ssize_t at = 0; at < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buffer.data() + at);
            at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
            const std::string_view name = ev->len > 0 ? std::string_view(ev->name) : "";
            relevant |= (ev->mask & IN_Q_OVERFLOW) != 0;
            for (entry& e : entries_) {
                if (e.wd != ev->wd) {
                    continue;
                }
                if ((ev->mask & IN_IGNORED) != 0) {
                    log::warning("--{} {}: folder {} is gone; looking once a second instead",
                                 option_of(e.file.action), e.file.path, e.folder);
                    e.wd = -1;
                    relevant = true;
                }
                relevant |= e.linked || name == e.name;
            }
        }
    }
    if (relevant) {
        note_event(clock::now());
    }
}

void touch_watch::note_event(clock::time_point now) {
    debounce_.event(now);
    wait_for_quiet();
}

void touch_watch::wait_for_quiet() {
    const auto due = debounce_.due();
    if (timer_armed_ || !due) {
        return;
    }
    timer_armed_ = true;
    quiet_.expires_at(*due);
    quiet_.async_wait([this](const boost::system::error_code& ec) {
        timer_armed_ = false;
        if (ec) {
            return;
        }
        if (debounce_.settle(clock::now())) {
            act();
        } else {
            wait_for_quiet();  // more events came meanwhile
        }
    });
}

void touch_watch::act() {
    // Every stamp first: an action may exec a new master, which gets them all.
    std::vector<const entry*> changed;
    for (entry& e : entries_) {
        const file_stamp now = stamp_of(e.absolute);
        e.linked = is_link(e.absolute);
        if (now != e.stamp) {
            e.stamp = now;
            changed.push_back(&e);
        }
    }
    for (touch_action a : firing_order) {
        const auto it = std::find_if(changed.begin(), changed.end(),
                                     [a](const entry* e) { return e->file.action == a; });
        if (it != changed.end()) {
            fire_(a, (*it)->file.path);
        }
    }
}

void touch_watch::poll(clock::time_point now) {
    if (entries_.empty() || now < next_poll_) {
        return;
    }
    next_poll_ = now + poll_period;
    bool changed = false;
    for (entry& e : entries_) {
        if (inotify_ && e.wd < 0) {  // its folder was gone (or never there): back now?
            e.wd = inotify_add_watch(inotify_.get(), e.folder.c_str(), watch_mask);
            if (e.wd >= 0) {
                log::info("--{} {}: watching folder {} again", option_of(e.file.action),
                          e.file.path, e.folder);
            }
        }
        changed |= stamp_of(e.absolute) != e.stamp;
    }
    if (changed) {
        note_event(now);
    }
}

void touch_watch::hand_over() const {
    std::string text;
    for (const entry& e : entries_) {
        text += fmt::format("{} {}\t{}\n", static_cast<int>(e.file.action), to_text(e.stamp),
                            e.absolute);
    }
    setenv(hand_over_variable, text.c_str(), 1);
}

void touch_watch::withdraw_hand_over() {
    unsetenv(hand_over_variable);
}

void touch_watch::take_hand_over() {
    const char* text = std::getenv(hand_over_variable);
    if (text == nullptr) {
        return;
    }
    std::istringstream in{std::string(text)};
    unsetenv(hand_over_variable);  // `text` points into the environment: copied first
    bool differs = false;
    for (std::string line; std::getline(in, line);) {
        const auto space = line.find(' ');
        const auto tab = line.find('\t');
        if (space == std::string::npos || tab == std::string::npos || tab < space) {
            continue;
        }
        const int action = std::atoi(line.substr(0, space).c_str());
        const auto stamp =
            stamp_from_text(std::string_view(line).substr(space + 1, tab - space - 1));
        const std::string path = line.substr(tab + 1);
        for (entry& e : entries_) {
            if (stamp && static_cast<int>(e.file.action) == action && e.absolute == path) {
                e.stamp = *stamp;
                differs |= stamp_of(e.absolute) != e.stamp;
            }
        }
    }
    if (differs) {  // touched while the previous master was handing over: act on it here
        debounce_.event(clock::now());
    }
}

}  // namespace gantry::server
