// What a watched file is right now, as far as "was it touched?" goes: whether it exists,
// which inode it is (a rename over it or a delete-and-create makes another) and its
// modification time to the nanosecond. uWSGI compares the mtime in whole seconds, and only
// upwards; a touch within the same second, or a file replaced by an older one, counts here.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gantry::server {

struct file_stamp {
    bool exists = false;
    std::uint64_t dev = 0;
    std::uint64_t ino = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;

    bool operator==(const file_stamp&) const = default;
};

// stat() of `path`, following symbolic links (a config map's file is a link into a folder
// that is swapped whole); a file that is not there is a stamp too.
file_stamp stamp_of(const std::string& path);

// One line of text and back, for the hand-over across a reload's exec.
std::string to_text(const file_stamp& s);
std::optional<file_stamp> stamp_from_text(std::string_view text);

}  // namespace gantry::server
