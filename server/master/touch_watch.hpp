// uWSGI's touch files (--touch-reload and friends): a file whose change acts like a signal
// to the master. Each file is watched through inotify on its folder, by name, so a file that
// does not exist yet, is created, replaced by a rename (editors, `ln -sf`, a Kubernetes
// config map's `..data` swap) or deleted and made again still counts. A burst of events acts
// once (touch_debounce), and only when the file really changed: its stamp (file_stamp) is
// compared with the one it had when last acted on. A look every second backs inotify up where
// it sees nothing (a network file system, a folder reached through a swapped symbolic link).
// Across a reload's exec the stamps go to the new master, so that a touch during the exec is
// acted on once, neither lost nor repeated.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/master/file_stamp.hpp"
#include "server/master/touch_debounce.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {

enum class touch_action { reload, chain_reload, workers_reload, logreopen, logrotate };

// The option that names files for `a`: "touch-reload"...
std::string_view option_of(touch_action a);

struct touch_file {
    std::string path;  // a relative one is taken from the working directory after --chdir
    touch_action action;
};

// Throws config_error naming the option when a file's folder does not exist: nothing could
// ever be touched there.
void check_touch_folders(const std::vector<touch_file>& files);

class touch_watch {
public:
    using clock = std::chrono::steady_clock;
    // Called on the master's loop, once per action whose files changed, with the first of them.
    using on_touch = std::function<void(touch_action, const std::string& path)>;

    // With no files it opens nothing. Picks up the stamps a replaced master handed over.
    touch_watch(boost::asio::io_context& io, const std::vector<touch_file>& files, on_touch fire);
    ~touch_watch();
    touch_watch(const touch_watch&) = delete;
    touch_watch& operator=(const touch_watch&) = delete;

    // Starts reading events (from the master's run()).
    void start();
    // From the master's tick: the look that backs inotify up (once a second at most).
    void poll(clock::time_point now);

    // Before the master execs itself for a reload: the stamps, for the new master. If the
    // exec fails, withdraw_hand_over() takes them back out of the environment.
    void hand_over() const;
    static void withdraw_hand_over();

private:
    struct entry {
        touch_file file;
        std::string absolute;
        std::string folder;
        std::string name;
        int wd = -1;
        file_stamp stamp;     // as last acted on (or as at start)
        bool linked = false;  // a symbolic link: any change in its folder may retarget it
    };

    void add(const touch_file& f);
    void wait_for_events();
    void read_events();
    void note_event(clock::time_point now);
    void wait_for_quiet();
    void act();
    void take_hand_over();

    on_touch fire_;
    std::vector<entry> entries_;
    unique_fd inotify_;
    boost::asio::posix::stream_descriptor events_;
    boost::asio::steady_timer quiet_;
    bool timer_armed_ = false;
    touch_debounce debounce_;
    clock::time_point next_poll_{};
};

}  // namespace gantry::server
