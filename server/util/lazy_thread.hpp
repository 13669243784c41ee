// A helper thread started on first need, not at construction: the lingering closer and the
// file sender of a worker whose clients never need them cost no thread.
#pragma once

#include <thread>
#include <utility>

namespace gantry::server {

// Starts `body` on `thread` unless it runs already; false when no thread could be made (the
// caller then does without: closes the connection it would have handed over).
template <typename Body>
bool start_once(std::thread& thread, Body&& body) noexcept {
    if (thread.joinable()) {
        return true;
    }
    try {
        thread = std::thread(std::forward<Body>(body));
    } catch (...) {
        return false;
    }
    return true;
}

}  // namespace gantry::server
