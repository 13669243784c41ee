// A configuration mistake: an unknown option, a bad value, a missing setting. what() is
// the one line main() prints, naming the option (and the file and line when there is one).
#pragma once

#include <stdexcept>

namespace gantry::server {

class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace gantry::server
