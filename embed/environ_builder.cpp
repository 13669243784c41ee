#include "embed/environ_builder.hpp"

#include <algorithm>

namespace py = pybind11;

namespace gantry::embed {
namespace {

// What nginx's stock uwsgi_params sends, and the request headers most browsers send.
constexpr std::string_view common_keys[] = {
    "QUERY_STRING",
    "REQUEST_METHOD",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "REQUEST_URI",
    "PATH_INFO",
    "DOCUMENT_ROOT",
    "SERVER_PROTOCOL",
    "REQUEST_SCHEME",
    "HTTPS",
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "SERVER_PORT",
    "SERVER_NAME",
    "SCRIPT_NAME",
    "UWSGI_SCHEME",
    "HTTP_HOST",
    "HTTP_USER_AGENT",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_CONNECTION",
    "HTTP_COOKIE",
    "HTTP_REFERER",
    "HTTP_CACHE_CONTROL",
    "HTTP_ORIGIN",
    "HTTP_AUTHORIZATION",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_REAL_IP",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_PRAGMA",
    "HTTP_UPGRADE_INSECURE_REQUESTS",
    "HTTP_SEC_FETCH_DEST",
    "HTTP_SEC_FETCH_MODE",
    "HTTP_SEC_FETCH_SITE",
};

py::object interned(std::string_view s) {
    PyObject* o = PyUnicode_InternFromString(std::string(s).c_str());
    if (o == nullptr) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<py::object>(o);
}

py::object latin1(std::string_view s) {
    PyObject* o = PyUnicode_DecodeLatin1(s.data(), static_cast<py::ssize_t>(s.size()), nullptr);
    if (o == nullptr) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<py::object>(o);
}

// PEP 3333 forbids HTTP_CONTENT_TYPE and HTTP_CONTENT_LENGTH (nginx forwards them anyway);
// CONTENT_TYPE and CONTENT_LENGTH are left out when the request has none.
bool skipped(const protocol::var& v) {
    if (v.key == "HTTP_CONTENT_TYPE" || v.key == "HTTP_CONTENT_LENGTH") {
        return true;
    }
    return v.value.empty() && (v.key == "CONTENT_TYPE" || v.key == "CONTENT_LENGTH");
}

bool is_https(const protocol::request_head& head) {
    const auto https = head.find("HTTPS");
    if (https && (*https == "on" || *https == "1")) {
        return true;
    }
    const auto scheme = head.find("UWSGI_SCHEME");
    if (scheme) {
        return *scheme == "https";
    }
    return head.find("REQUEST_SCHEME") == std::optional<std::string_view>("https");
}

}  // namespace

environ_builder::environ_builder(const environ_settings& settings) {
    for (std::string_view key : common_keys) {
        keys_.emplace(std::string(key), interned(key));
    }
    wsgi_input_ = interned("wsgi.input");
    wsgi_url_scheme_ = interned("wsgi.url_scheme");
    https_ = interned("https");
    template_[interned("wsgi.version")] = py::make_tuple(1, 0);
    template_[wsgi_url_scheme_] = interned("http");
    template_[interned("wsgi.errors")] = py::module_::import("sys").attr("stderr");
    template_[interned("wsgi.multithread")] = py::bool_(settings.multithread);
    template_[interned("wsgi.multiprocess")] = py::bool_(settings.multiprocess);
    template_[interned("wsgi.run_once")] = py::bool_(false);
    // The body is framed by CONTENT_LENGTH: reading past it gives b"", never a hang.
    template_[interned("wsgi.input_terminated")] = py::bool_(true);
    template_[interned("wsgi.file_wrapper")] = py::module_::import("gantry").attr("FileWrapper");
    script_name_ = keys_.find("SCRIPT_NAME")->second;
    path_info_ = keys_.find("PATH_INFO")->second;
    // nginx's uwsgi_params sends no SCRIPT_NAME; PEP 3333 wants one (empty: app at the root).
    template_[script_name_] = interned("");
}

py::object environ_builder::key_for(std::string_view name) const {
    const auto it = keys_.find(name);
    return it != keys_.end() ? it->second : latin1(name);
}

py::dict environ_builder::build(const protocol::request_head& head, py::handle input,
                                std::string_view mount) const {
    auto environ = py::reinterpret_steal<py::dict>(PyDict_Copy(template_.ptr()));
    if (!environ) {
        throw py::error_already_set();
    }
    for (const protocol::var& v : head.vars) {
        if (skipped(v)) {
            continue;
        }
        // Later duplicates overwrite earlier ones: the last one wins, as with nginx 1.22.
        if (PyDict_SetItem(environ.ptr(), key_for(v.key).ptr(), latin1(v.value).ptr()) != 0) {
            throw py::error_already_set();
        }
    }
    if (is_https(head)) {
        environ[wsgi_url_scheme_] = https_;
    }
    if (!mount.empty()) {
        const std::string_view path = head.find("PATH_INFO").value_or("");
        const std::string_view front = head.find("SCRIPT_NAME").value_or("");
        environ[script_name_] = latin1(std::string(front).append(mount));
        environ[path_info_] = latin1(path.substr(std::min(mount.size(), path.size())));
    }
    environ[wsgi_input_] = input;
    return environ;
}

}  // namespace gantry::embed
