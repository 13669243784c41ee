// uWSGI's --master-fifo: named pipes the master reads one-byte commands from (`echo r >
// /run/app.fifo`). Each is made at start-up (mode 0600; a path that exists as something
// else is refused), read without blocking from the master's loop, and removed at exit. The
// master keeps a writer of its own open on each so that a writer closing never makes the
// pipe report end-of-file over and over. Across a reload's exec the descriptors go to the
// new master as they are: what was written meanwhile waits in the pipe, neither lost nor
// repeated. Unlike uWSGI, where one FIFO at a time exists and `0`-`9` switch which, every
// FIFO is read at all times (a writer to a FIFO that is not read would hang).
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/util/unique_fd.hpp"

namespace gantry::server {

// Throws config_error naming --master-fifo when a path exists as something other than a
// FIFO or its folder does not exist. Run at start-up, after --chdir.
void check_master_fifos(const std::vector<std::string>& paths);

class master_fifos {
public:
    // Called on the master's loop for each byte read, in order, with the FIFO's index.
    using on_byte = std::function<void(std::size_t index, unsigned char byte)>;

    // Makes and opens the FIFOs (or takes those a replaced master handed over); throws
    // config_error when one cannot be made. With no paths it opens nothing.
    master_fifos(boost::asio::io_context& io, const std::vector<std::string>& paths, on_byte fire);
    // Removes the FIFOs it made (a reload's exec never gets here: they live on).
    ~master_fifos();
    master_fifos(const master_fifos&) = delete;
    master_fifos& operator=(const master_fifos&) = delete;

    void start();
    std::size_t size() const noexcept { return fifos_.size(); }
    const std::string& path(std::size_t index) const { return fifos_.at(index)->path; }

    // Before the master execs itself for a reload: the descriptors, inheritable, and where
    // they are in the environment. If the exec fails, withdraw_hand_over() undoes it.
    void hand_over() const;
    void withdraw_hand_over() const;

private:
    struct fifo {
        std::string path;  // absolute
        unique_fd reader;
        unique_fd writer;  // our own: the pipe never sees its last writer go
        ino_t inode = 0;
        dev_t device = 0;
        std::unique_ptr<boost::asio::posix::stream_descriptor> watch;
    };

    void wait_for_bytes(std::size_t index);
    void read_bytes(std::size_t index);

    boost::asio::io_context& io_;
    on_byte fire_;
    std::vector<std::unique_ptr<fifo>> fifos_;
};

}  // namespace gantry::server
