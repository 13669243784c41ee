#include "server/process/virtualenv.hpp"

#include <stdlib.h>

#include <fmt/format.h>

#include "embed/venv.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server {

namespace fs = std::filesystem;

fs::path virtualenv_dir(std::string_view venv, std::string_view chdir) {
    if (venv.empty()) {
        return {};
    }
    const fs::path base = chdir.empty() ? fs::current_path() : fs::path(chdir);
    return (base / venv).lexically_normal();
}

std::string check_virtualenv(const fs::path& dir) {
    if (dir.empty()) {
        return {};
    }
    const embed::venv_check found = embed::check_venv(dir);
    if (!found.problem.empty()) {
        throw config_error(fmt::format("--virtualenv {}: {}", dir.string(), found.problem));
    }
    return found.warning.empty() ? std::string()
                                 : fmt::format("--virtualenv {}: {}", dir.string(), found.warning);
}

std::string path_with_first(std::string_view path, std::string_view bin) {
    if (path.empty()) {
        return std::string(bin);
    }
    if (path == bin || path.starts_with(std::string(bin) + ":")) {
        return std::string(path);
    }
    return fmt::format("{}:{}", bin, path);
}

void activate_virtualenv(const fs::path& dir) {
    const std::string bin = (dir / "bin").string();
    const char* path = getenv("PATH");
    // An unset PATH means the shell's default search path; keep it after the venv's bin.
    const std::string old_path = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    setenv("PATH", path_with_first(old_path, bin).c_str(), 1);
    setenv("VIRTUAL_ENV", dir.c_str(), 1);
    unsetenv("PYTHONHOME");
}

}  // namespace gantry::server
