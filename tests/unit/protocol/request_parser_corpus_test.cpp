// request_parser against the corpus in corpus/ (make_corpus.py documents the .expect format):
// each packet fed whole, split in two reads at every byte, one byte per read, and again after
// reset().
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
#include "tests/unit/protocol/packet_bytes.hpp"

namespace gantry::protocol {
namespace {

namespace fs = std::filesystem;
using namespace test;
using text_pair = std::pair<std::string, std::string>;

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
}  // namespace
}  // namespace gantry::protocol
