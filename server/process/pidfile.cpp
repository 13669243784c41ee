#include "server/process/pidfile.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace gantry::server {

pidfile::pidfile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) {
        return;
    }
    std::ofstream out(path_, std::ios::trunc);
    out << getpid() << "\n";
    if (!out.flush()) {
        throw std::runtime_error(fmt::format("--pidfile {}: {}", path_, std::strerror(errno)));
    }
}

pidfile::~pidfile() {
    if (!path_.empty()) {
        unlink(path_.c_str());
    }
}

}  // namespace gantry::server
