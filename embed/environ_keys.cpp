#include "embed/environ_keys.hpp"

#include <pybind11/pybind11.h>

#include <cstring>
#include <utility>

namespace py = pybind11;

namespace gantry::embed {
namespace {

// What nginx's stock uwsgi_params sends, and the request headers most browsers send.
constexpr std::pair<std::string_view, var_role> common_keys[] = {
    {"QUERY_STRING", var_role::plain},
    {"REQUEST_METHOD", var_role::plain},
    // PEP 3333 lets both be empty: nginx's uwsgi_params sends them so, and apps (and
    // uWSGI) read environ["CONTENT_TYPE"] as it came.
    {"CONTENT_TYPE", var_role::plain},
    {"CONTENT_LENGTH", var_role::plain},
    {"REQUEST_URI", var_role::plain},
    {"PATH_INFO", var_role::plain},
    {"DOCUMENT_ROOT", var_role::plain},
    {"SERVER_PROTOCOL", var_role::plain},
    {"REQUEST_SCHEME", var_role::request_scheme},
    {"HTTPS", var_role::https},
    {"REMOTE_ADDR", var_role::plain},
    {"REMOTE_PORT", var_role::plain},
    {"SERVER_PORT", var_role::plain},
    {"SERVER_NAME", var_role::plain},
    {"SCRIPT_NAME", var_role::plain},
    {"UWSGI_SCHEME", var_role::uwsgi_scheme},
    {"HTTP_CONTENT_TYPE", var_role::never},
    {"HTTP_CONTENT_LENGTH", var_role::never},
    {"HTTP_HOST", var_role::plain},
    {"HTTP_USER_AGENT", var_role::plain},
    {"HTTP_ACCEPT", var_role::plain},
    {"HTTP_ACCEPT_ENCODING", var_role::plain},
    {"HTTP_ACCEPT_LANGUAGE", var_role::plain},
    {"HTTP_CONNECTION", var_role::plain},
    {"HTTP_COOKIE", var_role::plain},
    {"HTTP_REFERER", var_role::plain},
    {"HTTP_CACHE_CONTROL", var_role::plain},
    {"HTTP_ORIGIN", var_role::plain},
    {"HTTP_AUTHORIZATION", var_role::plain},
    {"HTTP_X_FORWARDED_FOR", var_role::plain},
    {"HTTP_X_FORWARDED_PROTO", var_role::plain},
    {"HTTP_X_REAL_IP", var_role::plain},
    {"HTTP_IF_MODIFIED_SINCE", var_role::plain},
    {"HTTP_IF_NONE_MATCH", var_role::plain},
    {"HTTP_PRAGMA", var_role::plain},
    {"HTTP_UPGRADE_INSECURE_REQUESTS", var_role::plain},
    {"HTTP_SEC_FETCH_DEST", var_role::plain},
    {"HTTP_SEC_FETCH_MODE", var_role::plain},
    {"HTTP_SEC_FETCH_SITE", var_role::plain},
};

// Values longer than this (cookies, say) are seldom the same twice and would pin memory.
constexpr std::size_t max_cached_value = 256;

// The first min(n, 8) bytes at `p`, zero-extended.
std::uint64_t load8(const char* p, std::size_t n) noexcept {
    std::uint64_t v = 0;
    if (n > 0) {
        std::memcpy(&v, p, n < 8 ? n : 8);
    }
    return v;
}

// Names share prefixes ("HTTP_", "HTTP_SEC_FETCH_") more than anything else: the length
// and the last eight bytes tell them apart as well as the whole name would.
std::size_t slot_of(std::string_view name, std::size_t slots) noexcept {
    const std::size_t n = name.size();
    const std::uint64_t head = load8(name.data(), n);
    const std::uint64_t tail = n > 8 ? load8(name.data() + n - 8, 8) : 0;
    const std::uint64_t h = (head ^ (tail * 0x9E3779B97F4A7C15ULL) ^ n) * 0xBF58476D1CE4E5B9ULL;
    return static_cast<std::size_t>(h >> 32) & (slots - 1);
}

// Eight bytes at a time: names are short, and memcmp's call and dispatch cost as much as
// the comparison itself.
bool same_name(std::string_view a, std::string_view b) noexcept {
    const std::size_t n = a.size();
    if (n != b.size()) {
        return false;
    }
    if (n < 8) {
        return n == 0 || std::memcmp(a.data(), b.data(), n) == 0;
    }
    for (std::size_t i = 0; i + 8 < n; i += 8) {
        if (load8(a.data() + i, 8) != load8(b.data() + i, 8)) {
            return false;
        }
    }
    return load8(a.data() + n - 8, 8) == load8(b.data() + n - 8, 8);
}

bool is_ascii(std::string_view s) noexcept {
    std::uint64_t bits = 0;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        bits |= load8(s.data() + i, 8);
    }
    for (; i < s.size(); ++i) {
        bits |= static_cast<unsigned char>(s[i]);
    }
    return (bits & 0x8080808080808080ULL) == 0;
}

bool same(PyObject* str, std::string_view bytes) noexcept {
    // Every value stored here was made by latin1_str: one byte per character.
    return PyUnicode_GET_LENGTH(str) == static_cast<Py_ssize_t>(bytes.size()) &&
           (bytes.empty() ||
            std::memcmp(PyUnicode_1BYTE_DATA(str), bytes.data(), bytes.size()) == 0);
}

}  // namespace

PyObject* latin1_str(std::string_view s) {
    const auto size = static_cast<Py_ssize_t>(s.size());
    if (!is_ascii(s)) {
        return PyUnicode_DecodeLatin1(s.data(), size, nullptr);
    }
    // What the decoder would do after finding the bytes ASCII, without its second scan.
    PyObject* str = PyUnicode_New(size, 127);
    if (str != nullptr && size > 0) {
        std::memcpy(PyUnicode_1BYTE_DATA(str), s.data(), s.size());
    }
    return str;
}

environ_keys::environ_keys() {
    for (const auto& [name, role] : common_keys) {
        find(name)->role = role;
    }
}

environ_keys::~environ_keys() {
    for (entry& e : table_) {
        Py_XDECREF(e.key);
        Py_XDECREF(e.last_value);
    }
}

environ_keys::entry* environ_keys::find(std::string_view name) {
    // Never more than half full: the probe always reaches an empty slot.
    for (std::size_t i = slot_of(name, slots);; i = (i + 1) & (slots - 1)) {
        entry& e = table_[i];
        if (e.key == nullptr) {
            if (used_ == max_entries) {
                return nullptr;
            }
            e.name = name;  // first: the slot stays free if this throws
            PyObject* key = latin1_str(name);
            if (key == nullptr) {
                throw py::error_already_set();
            }
            PyUnicode_InternInPlace(&key);
            e.key = key;
            ++used_;
            return &e;
        }
        if (same_name(e.name, name)) {
            return &e;
        }
    }
}

environ_keys::entry* environ_keys::find(std::string_view name, std::size_t position) {
    if (position >= by_position_.size()) {
        return find(name);
    }
    entry*& last = by_position_[position];
    if (last == nullptr || !same_name(last->name, name)) {
        last = find(name);
    }
    return last;
}

PyObject* environ_keys::value(entry& e, std::string_view value) {
    if (e.last_value != nullptr && same(e.last_value, value)) {
        return Py_NewRef(e.last_value);
    }
    PyObject* str = latin1_str(value);
    if (str != nullptr && value.size() <= max_cached_value) {
        Py_XSETREF(e.last_value, Py_NewRef(str));
    }
    return str;
}

}  // namespace gantry::embed
