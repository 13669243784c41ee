// The effective configuration of one gantry run, after the command line and the config
// file are merged. Plain data: the option table fills it, everything else reads it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace gantry::server {

struct options {
    // Application
    std::string module;  // "pkg.mod" (the callable split off into `callable`)
    std::string wsgi_file;
    std::string callable = "application";
    std::string chdir;
    std::vector<std::string> pythonpath;

    // Sockets and workers
    std::vector<std::string> sockets;
    int processes = 1;
    std::size_t buffer_size = 65535;
    int socket_timeout = 4;  // seconds, per read or write on a connection

    // Meta
    std::string yaml;  // the config file that was read, if any
    bool help = false;
    bool version = false;
};

}  // namespace gantry::server
