// request_parser against the corpus in corpus/ (make_corpus.py documents the .expect format):
// each packet fed whole, split in two reads at every byte, one byte per read, and again after
// reset(). Then direct cases for views, head_size(), reset() and finish().
#include "protocol/request_parser.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "protocol/errc.hpp"

namespace gantry::protocol {
namespace {

namespace fs = std::filesystem;
using bytes = std::vector<std::byte>;
using text_pair = std::pair<std::string, std::string>;

bytes to_bytes(std::string_view s) {
    bytes out(s.size());
    std::transform(s.begin(), s.end(), out.begin(), [](char c) { return std::byte(c); });
    return out;
}

std::string_view as_text(std::span<const std::byte> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A uwsgi packet: modifier1, datasize (u16 LE), modifier2, then each var as u16 LE lengths
// and bytes.
bytes make_packet(std::initializer_list<std::pair<std::string_view, std::string_view>> vars,
                  std::uint8_t modifier1 = 0, std::uint8_t modifier2 = 0) {
    std::string block;
    const auto put_u16 = [&block](std::size_t n) {
        block += static_cast<char>(n & 0xff);
        block += static_cast<char>(n >> 8);
    };
    for (const auto& [key, value] : vars) {
        put_u16(key.size());
        block += key;
        put_u16(value.size());
        block += value;
    }
    std::string packet{static_cast<char>(modifier1), static_cast<char>(block.size() & 0xff),
                       static_cast<char>(block.size() >> 8), static_cast<char>(modifier2)};
    return to_bytes(packet + block);
}

// --- the corpus ---------------------------------------------------------------------------

// What one run made of a packet; read from an .expect file or observed on a parser.
struct outcome {
    std::error_code error;    // from feed(), or from finish() after the last byte
    std::string reported_by;  // "feed", "finish", or empty without an error
    bool done = false;
    std::size_t consumed = 0;   // what the last feed() returned
    std::size_t head_size = 0;  // unless feed() failed
    // The rest only once done():
    std::uint8_t modifier1 = 0;
    std::uint8_t modifier2 = 0;
    std::uint64_t content_length = 0;
    std::vector<text_pair> vars;
    std::vector<std::pair<std::string, std::optional<std::string>>> finds;
    std::size_t body_bytes = 0;
    bool views_in_buffer = true;  // every key and value points into the reader's buffer

    bool operator==(const outcome&) const = default;
};

}  // namespace
}  // namespace gantry::protocol

template <>
struct Catch::StringMaker<std::error_code> {
    static std::string convert(const std::error_code& ec) {
        return ec ? std::string(ec.category().name()) + ": " + ec.message() : "no error";
    }
};

// Failures print the outcome field by field, long values cut short.
template <>
struct Catch::StringMaker<gantry::protocol::outcome> {
    static std::string convert(const gantry::protocol::outcome& o) {
        const auto cut = [](const std::string& s) {
            return s.size() > 60 ? s.substr(0, 60) + "...(" + std::to_string(s.size()) + ")" : s;
        };
        std::ostringstream out;
        out << "{error=" << Catch::Detail::stringify(o.error) << " reported_by=" << o.reported_by
            << " done=" << o.done << " consumed=" << o.consumed << " head_size=" << o.head_size
            << " modifier1=" << int{o.modifier1} << " modifier2=" << int{o.modifier2}
            << " content_length=" << o.content_length << " body_bytes=" << o.body_bytes
            << " views_in_buffer=" << o.views_in_buffer << " vars=[";
        for (const auto& [k, v] : o.vars) {
            out << cut(k) << "=" << cut(v) << "; ";
        }
        out << "] finds=[";
        for (const auto& [k, v] : o.finds) {
            out << cut(k) << "=" << (v ? cut(*v) : "<absent>") << "; ";
        }
        out << "]}";
        return out.str();
    }
};

namespace gantry::protocol {
namespace {

struct expectation {
    std::size_t max_vars = request_parser::default_max_vars;
    outcome want;
};

bytes read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string data{std::istreambuf_iterator<char>(in), {}};
    return to_bytes(data);
}

std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

errc errc_named(std::string_view name) {
    static const std::pair<std::string_view, errc> names[] = {
        {"truncated_header", errc::truncated_header},
        {"truncated_vars", errc::truncated_vars},
        {"truncated_key", errc::truncated_key},
        {"truncated_value", errc::truncated_value},
        {"empty_key", errc::empty_key},
        {"vars_too_large", errc::vars_too_large},
        {"bad_content_length", errc::bad_content_length},
        {"unsupported_modifier", errc::unsupported_modifier},
    };
    for (const auto& [n, e] : names) {
        if (n == name) {
            return e;
        }
    }
    FAIL("unknown errc name in .expect: " << name);
    return {};
}

expectation read_expectation(const fs::path& path, bool valid) {
    expectation e;
    outcome& w = e.want;
    std::ifstream in(path);
    REQUIRE(in);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto space = line.find(' ');
        const std::string word = line.substr(0, space);
        const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
        const auto eq = arg.find('=');
        if (word == "max_vars") {
            e.max_vars = std::stoull(arg);
        } else if (word == "modifier1" || word == "modifier2") {
            (word == "modifier1" ? w.modifier1 : w.modifier2) =
                static_cast<std::uint8_t>(std::stoi(arg));
        } else if (word == "content_length") {
            w.content_length = std::stoull(arg);
        } else if (word == "head_size") {
            w.head_size = std::stoull(arg);
        } else if (word == "body_bytes") {
            w.body_bytes = std::stoull(arg);
        } else if (word == "var") {
            w.vars.emplace_back(unescape(arg.substr(0, eq)), unescape(arg.substr(eq + 1)));
        } else if (word == "find") {
            w.finds.emplace_back(unescape(arg.substr(0, eq)), unescape(arg.substr(eq + 1)));
        } else if (word == "absent") {
            w.finds.emplace_back(unescape(arg), std::nullopt);
        } else if (word == "error") {
            w.error = errc_named(arg);
        } else if (word == "reported_by") {
            w.reported_by = arg;
        } else {
            FAIL(path.string() << ": unknown directive: " << line);
        }
    }
    REQUIRE(valid == !w.error);
    w.done = valid;
    w.consumed = valid ? w.head_size : 0;
    return e;
}

bool within(std::string_view view, std::span<const std::byte> buf) {
    const auto* first = reinterpret_cast<const char*>(buf.data());
    return std::less_equal<>{}(first, view.data()) &&
           std::less_equal<>{}(view.data() + view.size(), first + buf.size());
}

// The parser's state once the reader stopped: after an error, once done(), or at EOF.
// `buf` is the reader's buffer; `unread` the bytes of the packet it never received.
outcome observe(const request_parser& parser, std::span<const std::byte> buf, std::size_t consumed,
                std::error_code ec, std::size_t unread, const outcome& want) {
    outcome got;
    got.done = parser.done();
    got.consumed = consumed;
    if (ec) {
        got.error = ec;
        got.reported_by = "feed";
        return got;
    }
    got.head_size = parser.head_size();
    got.error = parser.finish();
    got.reported_by = got.error ? "finish" : "";
    if (!parser.done()) {
        return got;
    }
    const request_head& head = parser.head();
    got.modifier1 = head.modifier1;
    got.modifier2 = head.modifier2;
    got.content_length = head.content_length;
    for (const var& v : head.vars) {
        got.vars.emplace_back(v.key, v.value);
        got.views_in_buffer = got.views_in_buffer && within(v.key, buf.first(consumed)) &&
                              within(v.value, buf.first(consumed));
    }
    for (const auto& [key, value] : want.finds) {
        const auto found = head.find(key);
        got.finds.emplace_back(key, found ? std::optional<std::string>(*found) : std::nullopt);
    }
    got.body_bytes = buf.size() - consumed + unread;
    return got;
}

// A reader that receives `packet` in two reads, the first `split` bytes long: it feeds what
// it has, keeps the unconsumed bytes, appends the second read (which may move the buffer:
// nothing may point into it before done()) and feeds again; then the peer closes.
outcome run_split(const bytes& packet, std::size_t split, const expectation& e) {
    request_parser parser{e.max_vars};
    bytes buf(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(split));
    std::error_code ec;
    std::size_t n = parser.feed(buf, ec);
    if (ec || parser.done() || split == packet.size()) {
        return observe(parser, buf, n, ec, packet.size() - split, e.want);
    }
    buf.insert(buf.end(), packet.begin() + static_cast<std::ptrdiff_t>(split), packet.end());
    n = parser.feed(buf, ec);
    return observe(parser, buf, n, ec, 0, e.want);
}

// A reader that receives one byte per read.
outcome run_trickled(const bytes& packet, const expectation& e) {
    request_parser parser{e.max_vars};
    bytes buf;
    std::error_code ec;
    std::size_t n = 0;
    while (buf.size() < packet.size() && !ec && !parser.done()) {
        buf.push_back(packet[buf.size()]);
        n = parser.feed(buf, ec);
    }
    return observe(parser, buf, n, ec, packet.size() - buf.size(), e.want);
}

// The packet twice on one parser with reset() in between, as for the next request.
outcome run_reused(const bytes& packet, const expectation& e) {
    request_parser parser{e.max_vars};
    std::error_code ec;
    parser.feed(packet, ec);
    parser.reset();
    const std::size_t n = parser.feed(packet, ec);
    return observe(parser, packet, n, ec, 0, e.want);
}

std::vector<fs::path> corpus_files(const char* folder) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(fs::path(GANTRY_CORPUS_DIR) / folder)) {
        if (entry.path().extension() == ".bin") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

void run_corpus_case(const fs::path& bin, bool valid) {
    INFO("corpus case " << bin.parent_path().filename().string() << "/" << bin.filename().string());
    const bytes packet = read_bytes(bin);
    const expectation e = read_expectation(fs::path(bin).replace_extension(".expect"), valid);
    CHECK(run_split(packet, packet.size(), e) == e.want);
    CHECK(run_trickled(packet, e) == e.want);
    CHECK(run_reused(packet, e) == e.want);
    for (std::size_t split = 0; split < packet.size(); ++split) {
        INFO("split after " << split << " bytes");
        const outcome got = run_split(packet, split, e);
        CHECK(got == e.want);
        if (got != e.want) {
            break;  // the first failing split says it all; the rest would flood the log
        }
    }
}

TEST_CASE("valid corpus: whole, split at every byte, one byte per read", "[request_parser]") {
    const auto files = corpus_files("valid");
    REQUIRE(files.size() >= 10);
    for (const auto& bin : files) {
        run_corpus_case(bin, true);
    }
}

TEST_CASE("invalid corpus: whole, split at every byte, one byte per read", "[request_parser]") {
    const auto files = corpus_files("invalid");
    REQUIRE(files.size() >= 10);
    for (const auto& bin : files) {
        run_corpus_case(bin, false);
    }
}

// --- direct cases -------------------------------------------------------------------------

TEST_CASE("keys and values are views into the caller's buffer", "[request_parser]") {
    const bytes buf = make_packet({{"REQUEST_METHOD", "GET"}, {"PATH_INFO", "/hello"}});
    request_parser parser;
    std::error_code ec;
    REQUIRE(parser.feed(buf, ec) == buf.size());
    REQUIRE_FALSE(ec);
    REQUIRE(parser.done());

    const auto& vars = parser.head().vars;
    REQUIRE(vars.size() == 2);
    const char* base = reinterpret_cast<const char*>(buf.data());
    // header (4), key_len (2), "REQUEST_METHOD" (14), val_len (2), "GET" (3), key_len (2)
    CHECK(vars[0].key.data() == base + 6);
    CHECK(vars[0].value.data() == base + 22);
    CHECK(vars[1].key.data() == base + 27);
    CHECK(vars[1].value == "/hello");
    CHECK(parser.head().find("PATH_INFO") == "/hello");
}

TEST_CASE("nothing is consumed until the whole head is in; head_size() after 4 bytes",
          "[request_parser]") {
    const bytes buf = make_packet({{"REQUEST_METHOD", "GET"}, {"PATH_INFO", "/"}});
    const std::span<const std::byte> all(buf);
    request_parser parser;
    std::error_code ec;
    for (std::size_t n = 0; n < request_parser::header_size; ++n) {
        CHECK(parser.feed(all.first(n), ec) == 0);
        CHECK_FALSE(ec);
        CHECK(parser.head_size() == 0);
    }
    CHECK(parser.feed(all.first(4), ec) == 0);
    CHECK(parser.head_size() == buf.size());
    CHECK(parser.feed(all.first(buf.size() - 1), ec) == 0);
    CHECK_FALSE(parser.done());
    CHECK(parser.feed(all, ec) == buf.size());
    CHECK_FALSE(ec);
    CHECK(parser.done());
}

TEST_CASE("the body stays in the buffer after the head, for the caller", "[request_parser]") {
    bytes buf = make_packet({{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "5"}});
    const auto body = to_bytes("hello");
    buf.insert(buf.end(), body.begin(), body.end());
    request_parser parser;
    std::error_code ec;
    const std::size_t head = parser.feed(buf, ec);
    REQUIRE(head == buf.size() - 5);
    CHECK(parser.head().content_length == 5);
    CHECK(as_text(std::span(buf).subspan(head)) == "hello");
    CHECK_FALSE(parser.finish());  // the body is not the parser's business
}

TEST_CASE("reset() readies the parser for the next packet", "[request_parser]") {
    bytes buf =
        make_packet({{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "2"}, {"HTTP_X_A", "1"}}, 0, 9);
    const std::size_t first_size = buf.size();
    buf.push_back(std::byte{'h'});
    buf.push_back(std::byte{'i'});
    const bytes second = make_packet({{"REQUEST_METHOD", "GET"}});
    buf.insert(buf.end(), second.begin(), second.end());

    request_parser parser;
    std::error_code ec;
    REQUIRE(parser.feed(buf, ec) == first_size);
    REQUIRE(parser.head().vars.size() == 3);
    const auto capacity = parser.head().vars.capacity();

    parser.reset();
    CHECK_FALSE(parser.done());
    CHECK(parser.head_size() == 0);
    CHECK(parser.head().vars.capacity() == capacity);
    const auto rest = std::span<const std::byte>(buf).subspan(first_size + 2);
    REQUIRE(parser.feed(rest, ec) == second.size());
    CHECK_FALSE(ec);
    const request_head& head = parser.head();
    REQUIRE(head.vars.size() == 1);
    CHECK(head.vars[0].value == "GET");
    CHECK(head.modifier2 == 0);
    CHECK(head.content_length == 0);
    CHECK_FALSE(head.find("HTTP_X_A"));

    SECTION("and after an error") {
        parser.reset();
        const bytes bad = make_packet({{"REQUEST_METHOD", "GET"}}, 5);
        CHECK(parser.feed(bad, ec) == 0);
        CHECK(ec == errc::unsupported_modifier);
        parser.reset();
        CHECK(parser.feed(second, ec) == second.size());
        CHECK_FALSE(ec);
        CHECK(parser.done());
    }
}

TEST_CASE("finish() names the truncation, or nothing once the head is done", "[request_parser]") {
    const bytes buf = make_packet({{"REQUEST_METHOD", "GET"}});
    const std::span<const std::byte> all(buf);
    request_parser parser;
    std::error_code ec;

    SECTION("nothing received") {
        CHECK(parser.finish() == errc::truncated_header);
    }
    SECTION("3 of the 4 header bytes") {
        parser.feed(all.first(3), ec);
        CHECK(parser.finish() == errc::truncated_header);
    }
    SECTION("the header and part of the vars") {
        parser.feed(all.first(10), ec);
        CHECK(parser.finish() == errc::truncated_vars);
    }
    SECTION("the whole head") {
        parser.feed(all, ec);
        CHECK_FALSE(parser.finish());
    }
    CHECK_FALSE(ec);
}

TEST_CASE("a bad header is refused without waiting for more bytes", "[request_parser]") {
    std::error_code ec;
    SECTION("modifier1 other than 0, on the first byte") {
        request_parser parser;
        const std::byte first[] = {std::byte{5}};
        CHECK(parser.feed(first, ec) == 0);
        CHECK(ec == errc::unsupported_modifier);
    }
    SECTION("datasize over the limit, before modifier2 arrives") {
        request_parser parser{16};
        const std::byte three[] = {std::byte{0}, std::byte{17}, std::byte{0}};
        CHECK(parser.feed(three, ec) == 0);
        CHECK(ec == errc::vars_too_large);
    }
}

TEST_CASE("CONTENT_LENGTH is a plain decimal number", "[request_parser]") {
    const auto [value, ok, length] = GENERATE(table<std::string_view, bool, std::uint64_t>({
        {"0", true, 0},
        {"", true, 0},
        {"1048576", true, 1048576},
        {"007", true, 7},
        {"18446744073709551615", true, UINT64_MAX},
        {"18446744073709551616", false, 0},
        {"-0", false, 0},
        {"+1", false, 0},
        {"1e3", false, 0},
        {"1,000", false, 0},
        {"12\t", false, 0},
    }));
    INFO("CONTENT_LENGTH '" << value << "'");
    const bytes buf = make_packet({{"CONTENT_LENGTH", value}});
    request_parser parser;
    std::error_code ec;
    parser.feed(buf, ec);
    if (ok) {
        CHECK_FALSE(ec);
        CHECK(parser.head().content_length == length);
    } else {
        CHECK(ec == errc::bad_content_length);
    }
}

TEST_CASE("protocol errors have their own category and a message each", "[errc]") {
    std::vector<std::string> messages;
    for (int e = static_cast<int>(errc::truncated_header);
         e <= static_cast<int>(errc::invalid_status); ++e) {
        const std::error_code ec = static_cast<errc>(e);
        CHECK(ec.category().name() == std::string_view("gantry.protocol"));
        CHECK(ec == static_cast<errc>(e));
        messages.push_back(ec.message());
    }
    std::sort(messages.begin(), messages.end());
    CHECK(std::adjacent_find(messages.begin(), messages.end()) == messages.end());
    CHECK(std::error_code(errc::empty_key) != std::make_error_code(std::errc::invalid_argument));
}

}  // namespace
}  // namespace gantry::protocol
