// A small, thread-safe free list of objects that are costly to make or large: taken while in
// use, given back after, and kept (up to a fixed number) for the next taker. Last in, first
// out, so that the object taken is the one most recently used, still warm in the cache.
// Past `keep`, an object given back is destroyed: the pool never holds more than a burst
// needs, whatever the number of users it serves in turn. Taking and giving back lock a
// spin_lock for a push or a pop: cheap enough to do twice per keep-alive request.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "server/util/spin_lock.hpp"

namespace gantry::server {

template <typename T>
class object_pool {
public:
    using maker = std::function<std::unique_ptr<T>()>;

    // `make` is called when the pool is empty; it may throw (std::bad_alloc).
    object_pool(std::size_t keep, maker make) : keep_(keep), make_(std::move(make)) {
        kept_.reserve(keep_);  // give_back() never allocates, so it cannot fail
    }
    object_pool(const object_pool&) = delete;
    object_pool& operator=(const object_pool&) = delete;

    // An object given back earlier, or a new one.
    std::unique_ptr<T> take() {
        {
            const std::lock_guard lock(lock_);
            if (!kept_.empty()) {
                std::unique_ptr<T> object = std::move(kept_.back());
                kept_.pop_back();
                return object;
            }
        }
        return make_();
    }

    // The caller leaves `object` as take() should find it. Destroyed, outside the lock, when
    // the pool holds `keep` already.
    void give_back(std::unique_ptr<T> object) noexcept {
        if (!object) {
            return;
        }
        const std::lock_guard lock(lock_);
        if (kept_.size() < keep_) {
            kept_.push_back(std::move(object));  // reserved: cannot throw
        }
    }  // a surplus `object` is destroyed here, after the lock_guard has released the lock

    std::size_t kept() const {
        const std::lock_guard lock(lock_);
        return kept_.size();
    }

private:
    const std::size_t keep_;
    maker make_;
    mutable spin_lock lock_;
    std::vector<std::unique_ptr<T>> kept_;
};

}  // namespace gantry::server
