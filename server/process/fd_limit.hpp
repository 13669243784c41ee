// --max-fd: how many files each process may open (RLIMIT_NOFILE), as uWSGI's max-fd sets it.
#pragma once

namespace gantry::server {

// Raises (or lowers) the soft and hard limit to `n`. Without the privilege to raise the
// hard limit, the soft limit goes as high as the hard one allows, with a warning.
void set_open_file_limit(long n);

}  // namespace gantry::server
