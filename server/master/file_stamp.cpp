#include "server/master/file_stamp.hpp"

#include <sys/stat.h>

#include <fmt/format.h>
#include <sstream>

namespace gantry::server {

file_stamp stamp_of(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        return {};
    }
    return {.exists = true,
            .dev = static_cast<std::uint64_t>(st.st_dev),
            .ino = static_cast<std::uint64_t>(st.st_ino),
            .mtime_ns =
                static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
            .size = static_cast<std::int64_t>(st.st_size)};
}

std::string to_text(const file_stamp& s) {
    return fmt::format("{} {} {} {} {}", s.exists ? 1 : 0, s.dev, s.ino, s.mtime_ns, s.size);
}

std::optional<file_stamp> stamp_from_text(std::string_view text) {
    std::istringstream in{std::string(text)};
    int exists = 0;
    file_stamp s;
    if (!(in >> exists >> s.dev >> s.ino >> s.mtime_ns >> s.size) || exists < 0 || exists > 1) {
        return std::nullopt;
    }
    s.exists = exists == 1;
    return s;
}

}  // namespace gantry::server
