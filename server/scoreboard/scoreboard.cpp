#include "server/scoreboard/scoreboard.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>
#include <stdexcept>
#include <utility>

namespace gantry::server {

static_assert(std::atomic<std::int64_t>::is_always_lock_free,
              "scoreboard atomics must be lock-free to be shared between processes");

namespace {

// Changed whenever a slot's or the header's layout changes: a reload into a gantry that
// lays them out otherwise must not read the old workers' slots as its own.
constexpr std::uint64_t scoreboard_magic = 0x6761'6e74'7279'7362;  // "gantrysb"
constexpr std::uint32_t scoreboard_layout = 3;

}  // namespace

struct scoreboard::header {
    std::uint64_t magic;
    std::uint32_t layout;
    std::uint32_t worker_slot_size;
    std::uint32_t thread_slot_size;
    std::uint32_t threads;
    master_counters counters;
};

std::size_t latency_bucket(std::int64_t us) noexcept {
    std::size_t i = 0;
    while (i < latency_bounds_us.size() && us > latency_bounds_us[i]) {
        ++i;
    }
    return i;
}

std::int64_t monotonic_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void thread_slot::begin(std::string_view method, std::string_view uri) noexcept {
    const std::size_t m = std::min(method.size(), sizeof request - 1);
    std::memcpy(request, method.data(), m);
    request[m] = ' ';
    const std::size_t u = std::min(uri.size(), sizeof request - m - 1);
    std::memcpy(request + m + 1, uri.data(), u);
    request_len.store(static_cast<std::uint32_t>(m + 1 + u), std::memory_order_relaxed);
    request_started_ms.store(monotonic_ms(), std::memory_order_release);
}

std::string thread_slot::current_request() const {
    const std::size_t n = std::min<std::size_t>(request_len.load(), sizeof request);
    return std::string(request, n);
}

// Close-on-exec: a cron command or a program the app runs must not get it (reexec clears the
// flag for its execv alone). Sealable: see map().
scoreboard::scoreboard(int workers, int threads)
    : workers_(workers),
      threads_(threads),
      fd_(memfd_create("gantry-scoreboard", MFD_CLOEXEC | MFD_ALLOW_SEALING)) {
    if (!fd_) {
        throw std::runtime_error(fmt::format("scoreboard: memfd_create: {}", std::strerror(errno)));
    }
    map(true);
}

scoreboard::scoreboard(unique_fd inherited, int workers, int threads)
    : workers_(workers), threads_(threads), fd_(std::move(inherited)) {
    map(false);
}

scoreboard::~scoreboard() {
    munmap(base_, size_);
}

std::size_t scoreboard::header_size() const noexcept {
    return (sizeof(header) + 63) / 64 * 64;
}

std::size_t scoreboard::stride() const noexcept {
    const std::size_t raw = sizeof(worker_slot) + threads_ * sizeof(thread_slot);
    return (raw + 63) / 64 * 64;  // a cache line each, so workers do not share lines
}

void scoreboard::map(bool fresh) {
    size_ = header_size() + stride() * static_cast<std::size_t>(workers_);
    if (fresh) {
        if (ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
            throw std::runtime_error(
                fmt::format("scoreboard: ftruncate: {}", std::strerror(errno)));
        }
        // Whoever holds the descriptor can then no longer shrink it under the mapping (the
        // master's next read would be a SIGBUS) or grow it.
        if (fcntl(fd_.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
            throw std::runtime_error(fmt::format("scoreboard: seals: {}", std::strerror(errno)));
        }
    } else if (struct stat st{};
               fstat(fd_.get(), &st) != 0 || static_cast<std::size_t>(st.st_size) < size_) {
        throw std::runtime_error("scoreboard: the one handed over is smaller than its slots");
    }
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
    if (p == MAP_FAILED) {
        throw std::runtime_error(fmt::format("scoreboard: mmap: {}", std::strerror(errno)));
    }
    base_ = static_cast<std::byte*>(p);
    if (!fresh) {
        const header& h = *std::launder(reinterpret_cast<const header*>(base_));
        if (h.magic != scoreboard_magic || h.layout != scoreboard_layout ||
            h.worker_slot_size != sizeof(worker_slot) ||
            h.thread_slot_size != sizeof(thread_slot) ||
            h.threads != static_cast<std::uint32_t>(threads_)) {
            munmap(base_, size_);
            base_ = nullptr;
            throw std::runtime_error(
                "scoreboard: the one handed over is laid out by another "
                "version of gantry");
        }
        return;
    }
    // A fresh memfd is zero-filled, which is every atomic's initial value; the objects are
    // started in place so that using them is well defined.
    new (base_) header{.magic = scoreboard_magic,
                       .layout = scoreboard_layout,
                       .worker_slot_size = sizeof(worker_slot),
                       .thread_slot_size = sizeof(thread_slot),
                       .threads = static_cast<std::uint32_t>(threads_),
                       .counters = {}};
    for (int w = 0; w < workers_; ++w) {
        new (base_ + header_size() + stride() * w) worker_slot{};
        for (int t = 0; t < threads_; ++t) {
            new (&thread(w, t)) thread_slot{};
        }
    }
}

master_counters& scoreboard::counters() const noexcept {
    return std::launder(reinterpret_cast<header*>(base_))->counters;
}

worker_slot& scoreboard::worker(int index) const noexcept {
    return *std::launder(reinterpret_cast<worker_slot*>(base_ + header_size() + stride() * index));
}

thread_slot& scoreboard::thread(int worker_index, int thread_index) const noexcept {
    std::byte* slot = base_ + header_size() + stride() * worker_index + sizeof(worker_slot);
    return *std::launder(reinterpret_cast<thread_slot*>(slot + sizeof(thread_slot) * thread_index));
}

std::int64_t scoreboard::oldest_request_ms(int worker_index, int* thread_index) const noexcept {
    std::int64_t oldest = 0;
    for (int t = 0; t < threads_; ++t) {
        const std::int64_t started = thread(worker_index, t).request_started_ms.load();
        if (started != 0 && (oldest == 0 || started < oldest)) {
            oldest = started;
            if (thread_index != nullptr) {
                *thread_index = t;
            }
        }
    }
    return oldest;
}

}  // namespace gantry::server
