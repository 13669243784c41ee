// The names of the environ's vars, each made once as an interned str and found again by a
// hash of its length and outer bytes rather than of the whole name. Each keeps the last value
// stored under it: most values repeat from one request to the next (the method, the
// protocol, the host, the user agent), and an equal one is shared instead of decoded again.
#pragma once

#include <Python.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace gantry::embed {

// What the environ builder does with a var besides storing it.
enum class var_role : std::uint8_t {
    plain,
    never,  // left out: PEP 3333 forbids HTTP_CONTENT_TYPE and HTTP_CONTENT_LENGTH
    https,  // the three that may say the request came over TLS
    uwsgi_scheme,
    request_scheme,
};

class environ_keys {
public:
    struct entry {
        std::string name;
        PyObject* key = nullptr;         // interned str
        PyObject* last_value = nullptr;  // the last value stored under it, if short
        var_role role = var_role::plain;
    };

    // Holds the names a front usually sends. Needs the GIL, as does everything here.
    environ_keys();
    ~environ_keys();
    environ_keys(const environ_keys&) = delete;
    environ_keys& operator=(const environ_keys&) = delete;

    // The entry for `name`. A name not seen before is added while there is room; nullptr
    // once the table is full (then the caller makes a str of its own). Throws
    // pybind11::error_already_set.
    entry* find(std::string_view name);
    // The same for the var at `position` in its request. A front sends the same vars in the
    // same order request after request: the entry found at that position last time is
    // tried first, which spares hashing the name.
    entry* find(std::string_view name, std::size_t position);

    // A str for `value`, stored under `e`: the last one when the bytes are the same.
    // A new reference; nullptr with a Python error set.
    static PyObject* value(entry& e, std::string_view value);

private:
    static constexpr std::size_t slots = 256;
    // Half full at most, so that a probe ends soon; every name added by a request is
    // kept for good, so this also bounds what odd header names can pin in memory.
    static constexpr std::size_t max_entries = slots / 2;

    std::array<entry, slots> table_;  // entries never move: pointers to them stay valid
    std::size_t used_ = 0;
    std::array<entry*, 64> by_position_{};
};

// A str of the latin-1 bytes `s`: a new reference, nullptr with a Python error set.
PyObject* latin1_str(std::string_view s);

}  // namespace gantry::embed
