// Counts the threads inside the blocking I/O of one wsgi.input or one response writer, so
// that ending the request can wait for them before the connection's source or sink goes
// away. An app may hand wsgi.input or write() to a thread of its own that is still in a
// read or a write, without the GIL, when the request ends (review finding 22).
#pragma once

#include <Python.h>

#include <atomic>

namespace gantry::embed {

class io_gate {
public:
    // Lets the calling thread in unless another is inside: two threads reading one
    // wsgi.input would share its buffers. Called under the GIL, which orders the callers.
    bool try_enter() noexcept {
        if (active_.load() != 0) {
            return false;
        }
        active_.fetch_add(1);
        return true;
    }

    // Called without the GIL, as soon as the I/O is over: the drain() may be holding it.
    void leave() noexcept {
        // Only a drain() waits: the common leave is one atomic decrement and one load.
        if (active_.fetch_sub(1) == 1 && draining_.load()) {
            active_.notify_all();
        }
    }

    // Returns once no thread is inside. Called with the GIL, which is released while
    // waiting: the I/O inside may wait as long as --socket-timeout, and the app's other
    // threads run meanwhile. The caller has already cut the source or sink off, so nobody
    // new gets in.
    void drain() noexcept {
        if (active_.load() == 0) {
            return;  // the common case: the GIL is kept
        }
        PyThreadState* const state = PyEval_SaveThread();
        draining_.store(true);
        for (unsigned n = active_.load(); n != 0; n = active_.load()) {
            active_.wait(n);
        }
        draining_.store(false);
        PyEval_RestoreThread(state);
    }

    // Leaves the gate when the scope ends, however it ends: declared inside the scope that
    // released the GIL, so that it ends first.
    class leave_on_exit {
    public:
        explicit leave_on_exit(io_gate& gate) noexcept : gate_(gate) {}
        ~leave_on_exit() { gate_.leave(); }
        leave_on_exit(const leave_on_exit&) = delete;
        leave_on_exit& operator=(const leave_on_exit&) = delete;

    private:
        io_gate& gate_;
    };

private:
    std::atomic<unsigned> active_{0};
    std::atomic<bool> draining_{false};
};

}  // namespace gantry::embed
