#include "embed/venv.hpp"

#include <patchlevel.h>

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>

namespace gantry::embed {
namespace {

namespace fs = std::filesystem;

std::string_view trimmed(std::string_view s) {
    const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!s.empty() && space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

std::string lowered(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string remake_advice(const fs::path& dir) {
    return fmt::format("make one with `{} -m venv {}` and install the app's packages into it",
                       embedded_python_executable(), dir.string());
}

// The folder pyvenv.cfg's `home` names, compared with the one the embedded Python came from:
// getpath takes the standard library from the installation around `home`.
std::string other_installation(const fs::path& dir, const pyvenv_cfg& cfg) {
    std::error_code ec;
    const fs::path exe = embedded_python_executable();
    const fs::path home = fs::weakly_canonical(cfg.home, ec);
    if (ec || home == fs::weakly_canonical(exe.parent_path(), ec) ||
        home == fs::weakly_canonical(exe, ec).parent_path()) {
        return {};
    }
    return fmt::format(
        "it was made from the Python in {}, not from gantry's {}: it runs with that "
        "installation's standard library and gantry's libpython {}; if imports fail, remake it "
        "with `{} -m venv --clear {}`",
        cfg.home, exe.string(), PY_VERSION, exe.string(), dir.string());
}

}  // namespace

pyvenv_cfg parse_pyvenv_cfg(std::string_view text) {
    pyvenv_cfg cfg;
    bool have_home = false;
    std::string version_info;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        const std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        const std::string key = lowered(trimmed(line.substr(0, eq)));
        const std::string_view value = trimmed(line.substr(eq + 1));
        if (key == "home" && !have_home) {
            cfg.home = value;
            have_home = true;
        } else if (key == "version") {
            cfg.version = value;
        } else if (key == "version_info") {
            version_info = value;
        } else if (key == "include-system-site-packages") {
            // site.venv(): only "true" (any case) turns them on.
            cfg.include_system_site_packages = lowered(value) == "true";
        }
    }
    if (cfg.version.empty()) {
        cfg.version = version_info;
    }
    return cfg;
}

std::string major_minor(std::string_view version) {
    const auto digits = [&version](std::size_t from) {
        std::size_t end = from;
        while (end < version.size() && std::isdigit(static_cast<unsigned char>(version[end]))) {
            ++end;
        }
        return end;
    };
    const std::size_t major_end = digits(0);
    if (major_end == 0 || major_end == version.size() || version[major_end] != '.') {
        return {};
    }
    const std::size_t minor_end = digits(major_end + 1);
    if (minor_end == major_end + 1 || (minor_end < version.size() && version[minor_end] != '.')) {
        return {};
    }
    return std::string(version.substr(0, minor_end));
}

std::string embedded_python_version() {
    return fmt::format("{}.{}", PY_MAJOR_VERSION, PY_MINOR_VERSION);
}

std::string embedded_python_executable() {
    return GANTRY_PYTHON_EXECUTABLE;
}

fs::path venv_python(const fs::path& dir) {
    return dir / "bin" / "python";
}

venv_check check_venv(const fs::path& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        return {fmt::format("no such directory; {}", remake_advice(dir)), {}};
    }
    if (!fs::is_directory(dir, ec)) {
        return {"not a directory: give the venv's folder, the one that holds pyvenv.cfg", {}};
    }
    const fs::path cfg_path = dir / "pyvenv.cfg";
    if (!fs::exists(cfg_path, ec)) {
        // An old virtualenv (before PEP 405) can be remade where it is; anything else may be
        // a Python installation, which must not be written over.
        if (fs::exists(dir / "bin" / "activate", ec)) {
            return {fmt::format("no pyvenv.cfg in it: an old-style virtualenv, not a PEP 405 one; "
                                "remake it with `{} -m venv --clear {}` and reinstall the app's "
                                "packages",
                                embedded_python_executable(), dir.string()),
                    {}};
        }
        return {fmt::format("no pyvenv.cfg in it, so it is not a PEP 405 virtualenv (gantry runs "
                            "its own Python, {}, and takes no PYTHONHOME as uWSGI did); make "
                            "one with `{} -m venv DIR`, install the app's packages into it and "
                            "point --virtualenv at DIR",
                            embedded_python_executable(), embedded_python_executable()),
                {}};
    }
    std::ifstream in(cfg_path);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
        return {fmt::format("cannot read {}", cfg_path.string()), {}};
    }
    const pyvenv_cfg cfg = parse_pyvenv_cfg(text.str());
    if (cfg.home.empty()) {
        return {fmt::format("its pyvenv.cfg has no `home` line, and Python treats such a folder "
                            "as no virtualenv; {}",
                            remake_advice(dir)),
                {}};
    }
    const std::string found = major_minor(cfg.version);
    if (!found.empty() && found != embedded_python_version()) {
        return {fmt::format("it is a Python {} virtualenv (pyvenv.cfg: version {}) and gantry "
                            "embeds Python {}; its packages would not import: remake it with "
                            "`{} -m venv --clear {}` and reinstall them",
                            found, cfg.version, embedded_python_version(),
                            embedded_python_executable(), dir.string()),
                {}};
    }
    return {{}, other_installation(dir, cfg)};
}

}  // namespace gantry::embed
