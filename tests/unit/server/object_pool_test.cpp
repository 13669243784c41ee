// The free list the HTTP connections take their request buffers from: what is given back is
// taken again, most recent first; past `keep` it is destroyed; an empty pool makes more.
#include <catch2/catch.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "server/util/object_pool.hpp"

using namespace gantry::server;

namespace {

// Counts the live objects, so that a test sees which ones the pool destroyed.
struct counted {
    explicit counted(int& alive) : alive_(alive) { ++alive_; }
    ~counted() { --alive_; }
    counted(const counted&) = delete;
    counted& operator=(const counted&) = delete;
    int& alive_;
};

}  // namespace

TEST_CASE("an empty pool makes a new object on each take") {
    int alive = 0;
    int made = 0;
    object_pool<counted> pool(2, [&] {
        ++made;
        return std::make_unique<counted>(alive);
    });
    auto a = pool.take();
    auto b = pool.take();
    CHECK(made == 2);
    CHECK(a != b);
    CHECK(alive == 2);
    CHECK(pool.kept() == 0);
}

TEST_CASE("what is given back is taken again, the latest first") {
    int alive = 0;
    int made = 0;
    object_pool<counted> pool(4, [&] {
        ++made;
        return std::make_unique<counted>(alive);
    });
    auto a = pool.take();
    auto b = pool.take();
    counted* const first = a.get();
    counted* const second = b.get();
    pool.give_back(std::move(a));
    pool.give_back(std::move(b));
    CHECK(pool.kept() == 2);
    CHECK(alive == 2);
    CHECK(pool.take().get() == second);  // (and destroyed: a unique_ptr temporary)
    CHECK(pool.take().get() == first);
    CHECK(made == 2);
}

TEST_CASE("past `keep`, an object given back is destroyed") {
    int alive = 0;
    object_pool<counted> pool(1, [&] { return std::make_unique<counted>(alive); });
    auto a = pool.take();
    auto b = pool.take();
    pool.give_back(std::move(a));
    pool.give_back(std::move(b));
    CHECK(pool.kept() == 1);
    CHECK(alive == 1);
    pool.give_back(nullptr);  // nothing to keep
    CHECK(pool.kept() == 1);
}

TEST_CASE("threads take and give back at once without losing or doubling an object") {
    int alive = 0;  // only changed under the pool's lock or before the threads start
    std::vector<std::unique_ptr<counted>> seed;
    for (int i = 0; i < 8; ++i) {
        seed.push_back(std::make_unique<counted>(alive));
    }
    object_pool<counted> pool(8, [] { return std::unique_ptr<counted>(); });  // never empty
    for (auto& object : seed) {
        pool.give_back(std::move(object));
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&pool] {
            for (int i = 0; i < 10000; ++i) {
                auto object = pool.take();
                REQUIRE(object);  // 4 threads, 8 objects: one is always there
                pool.give_back(std::move(object));
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(pool.kept() == 8);
    CHECK(alive == 8);
}
