// A PEP 405 virtual environment for the embedded interpreter: what its pyvenv.cfg says, and
// whether the Python this gantry embeds can run it the way the venv's own bin/python would.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace gantry::embed {

struct pyvenv_cfg {
    std::string home;     // folder of the Python the venv was made from; "" when absent
    std::string version;  // `version` (venv) or `version_info` (virtualenv, uv); "" when absent
    bool include_system_site_packages = false;
};

// Reads pyvenv.cfg text as CPython's getpath and site modules do: `key = value` lines, keys
// compared without case, lines without '=' skipped; the first `home` counts, as in getpath.
pyvenv_cfg parse_pyvenv_cfg(std::string_view text);

// "3.11.2.final.0" → "3.11"; "" when the text does not start with MAJOR.MINOR.
std::string major_minor(std::string_view version);

// The Python compiled in: "3.11", and the interpreter it came from (/usr/bin/python3).
std::string embedded_python_version();
std::string embedded_python_executable();

// What a check of a venv folder found: `problem` says why it cannot be used and what to do
// (empty when it can), `warning` what is worth knowing before it is used.
struct venv_check {
    std::string problem;
    std::string warning;
};
venv_check check_venv(const std::filesystem::path& dir);

// The interpreter path that makes CPython's getpath find the venv (see interpreter.cpp).
std::filesystem::path venv_python(const std::filesystem::path& dir);

}  // namespace gantry::embed
