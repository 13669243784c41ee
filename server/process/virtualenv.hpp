// --virtualenv: the app's PEP 405 venv, checked before anything starts (and by
// --check-config), then activated in gantry's environment as its bin/activate would do, so
// that cron commands and the app's subprocesses find the venv's tools first.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace gantry::server {

// The --virtualenv folder, absolute: a relative one is taken from --chdir (where the app runs,
// as in uWSGI), or from the working directory. Empty when `venv` is.
std::filesystem::path virtualenv_dir(std::string_view venv, std::string_view chdir);

// Throws config_error naming --virtualenv and saying what to do when `dir` cannot be used.
// Returns what is worth a warning at start-up, or "". Nothing to check for an empty `dir`.
std::string check_virtualenv(const std::filesystem::path& dir);

// PATH with `bin` in front, unless it is there already (a reloaded master inherits the
// activated environment).
std::string path_with_first(std::string_view path, std::string_view bin);

// Sets VIRTUAL_ENV and PATH, and unsets PYTHONHOME (which would turn off the venv for Python
// and its subprocesses), as `source bin/activate` does. Before the interpreter starts.
void activate_virtualenv(const std::filesystem::path& dir);

}  // namespace gantry::server
