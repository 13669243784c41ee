// How a worker process obeys signals. A signal thread takes them all: SIGTERM starts a
// graceful stop (no new requests; those in flight finish; the last request loop to end
// exits the process with 0), SIGINT and SIGQUIT end it at once, SIGUSR1 reopens the log.
// Request loops blocked in accept() are woken by a signal of their own.
#pragma once

#include <functional>

namespace gantry::server::worker_control {

// In the worker, before its threads start. `on_stop` runs (on the signal thread) when a
// graceful stop begins, to wake loops that wait on something other than a system call.
void start(std::function<void()> on_stop);

bool stopping() noexcept;

// The worker stops taking requests of its own accord (its --max-requests are served): the
// same graceful stop as the master's SIGTERM, begun at once on the calling request thread,
// so that its loop takes no new request even before the signal thread has run.
void retire() noexcept;

// A request loop begins (on its own thread) and ends; ending the last one after a stop
// ends the process.
void loop_started();
[[noreturn]] void loop_ended();

}  // namespace gantry::server::worker_control
