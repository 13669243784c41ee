// pyvenv.cfg as CPython reads it, and the refusals a venv folder can get before Python starts.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "embed/venv.hpp"
#include "tests/unit/temp_dir.hpp"

using Catch::Matchers::Contains;
using gantry::embed::check_venv;
using gantry::embed::embedded_python_version;
using gantry::embed::major_minor;
using gantry::embed::parse_pyvenv_cfg;
using gantry::testing::temp_dir;

namespace fs = std::filesystem;

TEST_CASE("pyvenv.cfg from python3 -m venv") {
    const auto cfg = parse_pyvenv_cfg(
        "home = /usr/bin\n"
        "include-system-site-packages = false\n"
        "version = 3.11.2\n"
        "executable = /usr/bin/python3.11\n"
        "command = /usr/bin/python3 -m venv /srv/app/venv\n");
    CHECK(cfg.home == "/usr/bin");
    CHECK(cfg.version == "3.11.2");
    CHECK_FALSE(cfg.include_system_site_packages);
}

TEST_CASE("pyvenv.cfg from virtualenv and uv: version_info, other keys, odd spacing and case") {
    const auto cfg = parse_pyvenv_cfg(
        "HOME=/opt/py/bin\r\n"
        "implementation = CPython\n"
        "version_info = 3.11.4.final.0\n"
        "virtualenv = 20.24.1\n"
        "a line without an equals sign\n"
        "Include-System-Site-Packages =  True  \n"
        "home = /second/home/is/ignored\n");
    CHECK(cfg.home == "/opt/py/bin");
    CHECK(cfg.version == "3.11.4.final.0");
    CHECK(cfg.include_system_site_packages);
}

TEST_CASE("include-system-site-packages is on only for \"true\", as in site.py") {
    CHECK_FALSE(
        parse_pyvenv_cfg("include-system-site-packages = yes").include_system_site_packages);
    CHECK_FALSE(parse_pyvenv_cfg("include-system-site-packages = 1").include_system_site_packages);
    CHECK_FALSE(parse_pyvenv_cfg("").include_system_site_packages);
    CHECK(parse_pyvenv_cfg("version = 3.12.1\nversion_info = 3.9.0").version == "3.12.1");
}

TEST_CASE("major_minor takes MAJOR.MINOR from a version, or nothing") {
    CHECK(major_minor("3.11.2") == "3.11");
    CHECK(major_minor("3.11") == "3.11");
    CHECK(major_minor("3.9.18.final.0") == "3.9");
    CHECK(major_minor("3.11rc1").empty());
    CHECK(major_minor("3").empty());
    CHECK(major_minor("3.").empty());
    CHECK(major_minor("").empty());
    CHECK(major_minor("python3.11").empty());
}

TEST_CASE("a venv folder is checked before Python starts") {
    const temp_dir dir;
    SECTION("missing") {
        const auto found = check_venv(dir.path / "nope");
        CHECK_THAT(found.problem, Contains("no such directory") && Contains("-m venv"));
    }
    SECTION("a file") {
        dir.write("file", "");
        CHECK_THAT(check_venv(dir.path / "file").problem, Contains("not a directory"));
    }
    SECTION("no pyvenv.cfg: a Python prefix, as uWSGI's home took, is not written over") {
        const auto problem = check_venv(dir.path).problem;
        CHECK_THAT(problem, Contains("not a PEP 405 virtualenv") && Contains("-m venv DIR"));
        CHECK_THAT(problem, !Contains(dir.path.string()));
    }
    SECTION("no pyvenv.cfg but bin/activate: an old virtualenv, remade where it is") {
        fs::create_directory(dir.path / "bin");
        dir.write("bin/activate", "");
        CHECK_THAT(
            check_venv(dir.path).problem,
            Contains("old-style virtualenv") && Contains("-m venv --clear " + dir.path.string()));
    }
    SECTION("no home line") {
        dir.write("pyvenv.cfg", "version = " + embedded_python_version() + ".0\n");
        CHECK_THAT(check_venv(dir.path).problem, Contains("no `home` line"));
    }
    SECTION("another Python minor") {
        dir.write("pyvenv.cfg", "home = /usr/bin\nversion = 2.7.18\n");
        CHECK_THAT(check_venv(dir.path).problem,
                   Contains("Python 2.7 virtualenv") &&
                       Contains("gantry embeds Python " + embedded_python_version()));
    }
    SECTION("the embedded Python's own: no problem, no warning") {
        const fs::path exe = gantry::embed::embedded_python_executable();
        dir.write("pyvenv.cfg", "home = " + exe.parent_path().string() +
                                    "\nversion = " + embedded_python_version() + ".99\n");
        const auto found = check_venv(dir.path);
        CHECK(found.problem.empty());
        CHECK(found.warning.empty());
    }
    SECTION("same minor from another installation: a warning") {
        dir.write("pyvenv.cfg", "home = /opt/elsewhere/bin\nversion_info = " +
                                    embedded_python_version() + ".1.final.0\n");
        const auto found = check_venv(dir.path);
        CHECK(found.problem.empty());
        CHECK_THAT(found.warning, Contains("made from the Python in /opt/elsewhere/bin"));
    }
}
