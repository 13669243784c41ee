// The files the development reloader watches: every imported module that has one, as an
// absolute path to its source.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "embed/module_files.hpp"
#include "embed/wsgi_app.hpp"

TEST_CASE("imported_module_files names the app's module and stdlib sources, absolute") {
    gantry::embed::app_spec spec;
    spec.module = "bridge_apps";
    spec.callable = "keeper";
    const gantry::embed::wsgi_app app({{"", spec}}, {});
    const std::vector<std::string> files = gantry::embed::imported_module_files();
    const auto has = [&files](const std::string& suffix) {
        return std::any_of(files.begin(), files.end(),
                           [&](const std::string& f) { return f.ends_with(suffix); });
    };
    CHECK(has("/bridge_apps.py"));
    CHECK(has("/os.py"));
    for (const std::string& f : files) {
        INFO(f);
        CHECK(f.starts_with("/"));
        CHECK_FALSE(f.ends_with(".pyc"));
    }
}
