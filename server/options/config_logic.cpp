#include "server/options/config_logic.hpp"

#include <glob.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gantry::server {
namespace {

bool is_end(const std::string& key) {
    return key == "end" || key == "endif" || key == "end-if" || key == "endfor" || key == "end-for";
}

bool is_block(const std::string& key) {
    static const std::vector<std::string> blocks = {
        "if-env",      "if-not-env", "if-exists",  "if-not-exists", "if-file",
        "if-not-file", "if-dir",     "if-not-dir", "if-opt",        "if-not-opt",
        "for",         "for-glob",   "for-times",  "for-readline"};
    return std::find(blocks.begin(), blocks.end(), key) != blocks.end();
}

std::string with_item(std::string value, const std::string& item) {
    for (auto at = value.find("%(_)"); at != std::string::npos;
         at = value.find("%(_)", at + item.size())) {
        value.replace(at, 4, item);
    }
    return value;
}

// "NAME=VALUE" compares; "NAME" alone asks for presence. Returns the value found.
std::optional<std::string> compare(
    const std::string& arg,
    const std::function<std::optional<std::string>(const std::string&)>& get) {
    const auto eq = arg.find('=');
    const std::optional<std::string> v = get(arg.substr(0, eq));
    if (!v || (eq != std::string::npos && *v != arg.substr(eq + 1))) {
        return std::nullopt;
    }
    return v;
}

std::vector<std::string> loop_items(const std::string& kind, const std::string& arg) {
    std::vector<std::string> items;
    if (kind == "for") {
        std::istringstream in(arg);
        for (std::string item; in >> item;) {
            items.push_back(item);
        }
    } else if (kind == "for-times") {
        const long n = std::strtol(arg.c_str(), nullptr, 10);
        for (long i = 1; i <= n && i <= 100000; ++i) {
            items.push_back(std::to_string(i));
        }
    } else if (std::error_code ec;
               kind == "for-readline" && std::filesystem::is_regular_file(arg, ec)) {
        std::ifstream in(arg);
        for (std::string line; std::getline(in, line);) {
            items.push_back(line);
        }
    } else if (kind == "for-glob") {
        glob_t g{};
        if (glob(arg.c_str(), GLOB_MARK | GLOB_NOCHECK, nullptr, &g) == 0) {
            for (std::size_t i = 0; i < g.gl_pathc; ++i) {
                items.emplace_back(g.gl_pathv[i]);
            }
        }
        globfree(&g);
    }
    return items;
}

}  // namespace

bool is_logic_key(const std::string& key) {
    return is_block(key) || is_end(key) || key == "else";
}

// The value an if-* block matched with ("%(_)"), or nullopt when it does not match.
std::optional<std::string> config_logic::condition() const {
    namespace fs = std::filesystem;
    const bool negated = kind_.starts_with("if-not-");
    const std::string test = negated ? "if-" + kind_.substr(7) : kind_;
    std::optional<std::string> v;
    std::error_code ec;
    if (test == "if-env") {
        v = compare(arg_, [](const std::string& name) -> std::optional<std::string> {
            const char* e = std::getenv(name.c_str());
            return e != nullptr ? std::optional<std::string>(e) : std::nullopt;
        });
    } else if (test == "if-opt") {
        v = compare(arg_, find_);
    } else if (test == "if-exists") {
        v = access(arg_.c_str(), F_OK) == 0 ? std::optional(arg_) : std::nullopt;
    } else if (test == "if-file") {
        v = fs::is_regular_file(arg_, ec) ? std::optional(arg_) : std::nullopt;
    } else if (test == "if-dir") {
        v = fs::is_directory(arg_, ec) ? std::optional(arg_) : std::nullopt;
    }
    if (negated) {
        // uWSGI's if-not-env/if-not-opt give %(_) the value when the comparison failed.
        return v ? std::nullopt : std::optional<std::string>(v.value_or(arg_));
    }
    return v;
}

std::vector<config_entry> config_logic::apply(const config_entry& e) const {
    std::vector<config_entry> out;
    if (kind_.starts_with("for")) {
        for (const std::string& item : loop_items(kind_, arg_)) {
            out.push_back(e);
            out.back().value = with_item(e.value, item);
        }
    } else if (kind_ == "else") {
        if (failed_) {
            out.push_back(e);
        }
    } else if (const std::optional<std::string> matched = condition()) {
        out.push_back(e);
        out.back().value = with_item(e.value, *matched);
    }
    return out;
}

std::vector<config_entry> config_logic::take(const config_entry& e, config_problems& problems) {
    if (is_end(e.key)) {
        kind_.clear();
        failed_ = false;
        return {};
    }
    if (e.key == "else") {
        kind_ = "else";
        opened_at_ = e.origin;
        return {};
    }
    if (is_block(e.key)) {
        if (!kind_.empty()) {
            problems.add(fmt::format(
                "{}: '{}' inside the '{}' block opened at {}: close it first with 'end{}' "
                "(uWSGI does not nest blocks either)",
                e.origin, e.key, kind_, opened_at_, kind_.starts_with("for") ? "for" : "if"));
            return {};
        }
        kind_ = e.key;
        arg_ = e.value;
        opened_at_ = e.origin;
        failed_ = kind_.starts_with("if") && !condition();
        return {};
    }
    if (kind_.empty()) {
        return {e};
    }
    return apply(e);
}

void config_logic::finish(const std::string& file, config_problems& problems) const {
    if (!kind_.empty()) {
        problems.add(fmt::format("{}: the '{}' block opened at {} has no '{}'", file, kind_,
                                 opened_at_, kind_.starts_with("for") ? "endfor" : "endif"));
    }
}

}  // namespace gantry::server
