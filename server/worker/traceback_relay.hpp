// Carries the Python tracebacks that faulthandler dumps on SIGUSR2 (harakiri) into the log
// as one record, so a JSON log stays one object per line. faulthandler writes from a signal
// handler into a pipe; a small thread turns what arrives into a log entry.
#pragma once

namespace gantry::server {

// Starts the relay thread and returns the descriptor faulthandler should write to (the
// relay keeps owning it; once per worker process).
int start_traceback_relay(int worker_id);

}  // namespace gantry::server
