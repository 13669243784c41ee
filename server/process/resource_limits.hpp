// What uWSGI's max-fd and limit-as set: the process's resource limits, for the master and
// every process it forks.
#pragma once

namespace gantry::server {

// --max-fd: raises (or lowers) the soft and hard RLIMIT_NOFILE to `n`. Without the privilege
// to raise the hard limit, the soft limit goes as high as the hard one allows, with a
// warning.
void set_open_file_limit(long n);

// --limit-as: RLIMIT_AS, soft and hard, to `megabytes`; a Python allocation past it raises
// MemoryError instead of growing. Cannot fail for lowering; a failure is a warning.
void set_address_space_limit(long megabytes);

}  // namespace gantry::server
