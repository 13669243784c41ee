// Builds the PEP 3333 environ of each request: a copy of a template dict holding the
// per-process constants, sized for a request's vars, plus the request's vars. Keys are
// created and interned once (embed/environ_keys.hpp), so a request allocates only the
// values that differ from the last request's.
#pragma once

#include <pybind11/pybind11.h>

#include <string_view>

#include "embed/environ_keys.hpp"
#include "protocol/request_head.hpp"

namespace gantry::embed {

struct environ_settings {
    bool multithread = false;
    bool multiprocess = false;
};

class environ_builder {
public:
    explicit environ_builder(const environ_settings& settings);

    // A new environ dict for `head`, with `input` as wsgi.input. `mount` is the prefix of
    // the application chosen for the request ("" at the root): it moves from the start of
    // PATH_INFO to the end of SCRIPT_NAME. Needs the GIL.
    pybind11::dict build(const protocol::request_head& head, pybind11::handle input,
                         std::string_view mount);

private:
    environ_keys keys_;
    pybind11::dict template_;
    pybind11::object wsgi_input_;
    pybind11::object wsgi_url_scheme_;
    pybind11::object https_;
    pybind11::object script_name_;
    pybind11::object path_info_;
};

}  // namespace gantry::embed
