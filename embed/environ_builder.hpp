// Builds the PEP 3333 environ of each request: a copy of a template dict holding the
// per-process constants, plus the request's vars. Keys a front usually sends are created
// and interned once, so a request allocates only its values.
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>
#include <unordered_map>

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
                         std::string_view mount) const;

private:
    struct view_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    pybind11::object key_for(std::string_view name) const;

    pybind11::dict template_;
    std::unordered_map<std::string, pybind11::object, view_hash, std::equal_to<>> keys_;
    pybind11::object wsgi_input_;
    pybind11::object wsgi_url_scheme_;
    pybind11::object https_;
    pybind11::object script_name_;
    pybind11::object path_info_;
};

}  // namespace gantry::embed
