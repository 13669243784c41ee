// The uWSGI options gantry deliberately does not have, each with what to do instead: part of
// the option registry (docs/coming-from-uwsgi.md lists them), so that a uWSGI file using one
// is refused with advice, never with "unknown option".
#pragma once

#include <span>
#include <string_view>

namespace gantry::server {

struct uwsgi_refusal {
    std::string_view name;  // an option, or with `family` every option starting so
    bool family;
    std::string_view advice;  // what to do instead
};

std::span<const uwsgi_refusal> uwsgi_refusals();

// The advice for `name`, or "" when it is not a refused uWSGI option.
std::string_view unsupported_uwsgi_option(std::string_view name);

}  // namespace gantry::server
