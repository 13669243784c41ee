// A fresh folder under the temp dir for one test, removed with its contents at the end.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace gantry::testing {

struct temp_dir {
    std::filesystem::path path;

    temp_dir() {
        std::string name = (std::filesystem::temp_directory_path() / "gantry-test-XXXXXX").string();
        path = mkdtemp(name.data());
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    // Writes `text` to `name` (folders made as needed); returns the file's path.
    std::string write(const std::string& name, const std::string& text) const {
        std::filesystem::create_directories((path / name).parent_path());
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
};

}  // namespace gantry::testing
