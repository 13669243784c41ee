// http_arena: views that never move, memory kept across clear().
#include "protocol/http_arena.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace gantry::protocol {
namespace {

TEST_CASE("stored strings stay put while more are stored", "[http_arena]") {
    http_arena arena(16);
    std::vector<std::string_view> views;
    views.reserve(101);
    for (int i = 0; i < 100; ++i) {
        views.push_back(arena.store({"key", std::to_string(i)}));
    }
    views.push_back(arena.store(std::string(100, 'x')));  // larger than a block
    for (int i = 0; i < 100; ++i) {
        CHECK(views[i] == "key" + std::to_string(i));
    }
    CHECK(views.back() == std::string(100, 'x'));
    CHECK(arena.store("").empty());
}

TEST_CASE("clear() keeps the memory for the next request", "[http_arena]") {
    http_arena arena(64);
    for (int i = 0; i < 20; ++i) {
        arena.store("0123456789");
    }
    const std::size_t capacity = arena.capacity();
    arena.clear();
    for (int i = 0; i < 20; ++i) {
        arena.store("0123456789");
    }
    CHECK(arena.capacity() == capacity);
}

}  // namespace
}  // namespace gantry::protocol
