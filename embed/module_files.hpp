// The source files of the modules imported so far (sys.modules), for the development
// reloader (--py-autoreload): the server watches their modification times.
#pragma once

#include <string>
#include <vector>

namespace gantry::embed {

// Every module with a `__file__`, as an absolute path (relative ones against the working
// directory); a `.pyc` without its source names the `.py` beside it, as uWSGI does.
// Built-in modules have no file and are left out. Takes the GIL itself.
std::vector<std::string> imported_module_files();

}  // namespace gantry::embed
