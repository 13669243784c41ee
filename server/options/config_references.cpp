#include "server/options/config_references.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace gantry::server {
namespace {

// What a reference resolves to; nullopt leaves it as written (uWSGI's rule), a thrown
// std::invalid_argument is a problem.
using resolver = std::function<std::optional<std::string>(const std::string& name)>;

// More substitutions than this in one value is a reference that refers to itself.
constexpr int max_substitutions = 200;

// Replaces each SYMBOL(...) in `value`, parentheses nested, rescanning from the start after
// each replacement as uWSGI does, so a resolved value's own references resolve too.
std::string expand(std::string value, char symbol, const resolver& resolve) {
    std::size_t from = 0;
    for (int done = 0;;) {
        const auto open = value.find(std::string{symbol, '('}, from);
        if (open == std::string::npos) {
            return value;
        }
        int depth = 0;
        std::size_t close = open + 2;
        for (; close < value.size(); ++close) {
            if (value[close] == '(') {
                ++depth;
            } else if (value[close] == ')' && depth-- == 0) {
                break;
            }
        }
        if (close >= value.size()) {
            throw std::invalid_argument(fmt::format("'{}(' without a closing ')'", symbol));
        }
        const std::string name = value.substr(open + 2, close - open - 2);
        const std::optional<std::string> v = resolve(name);
        if (!v) {
            from = close + 1;
            continue;
        }
        if (++done > max_substitutions) {
            throw std::invalid_argument(fmt::format("{}({}) refers to itself", symbol, name));
        }
        value.replace(open, close - open + 1, *v);
        from = 0;
    }
}

std::optional<std::string> environment_value(const std::string& name) {
    // $(NAME:-default): the default when NAME is unset or empty; $(NAME-default): when unset.
    for (const std::string_view sep : {":-", "-"}) {
        const auto at = name.find(sep);
        if (at != std::string::npos) {
            const char* v = std::getenv(name.substr(0, at).c_str());
            const bool use_default = v == nullptr || (sep == ":-" && *v == '\0');
            return use_default ? name.substr(at + sep.size()) : std::string(v);
        }
    }
    if (const char* v = std::getenv(name.c_str())) {
        return std::string(v);
    }
    throw std::invalid_argument(fmt::format(
        "environment variable {} is not set (set it, or write $({}:-DEFAULT))", name, name));
}

// @(path): the file's contents without one trailing newline (a secret kept in a file).
std::optional<std::string> file_contents(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec) ||
        std::filesystem::file_size(path, ec) > (std::size_t{1} << 20)) {
        throw std::invalid_argument(fmt::format("@({}): no such file (or not one to read)", path));
    }
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}

bool is_number(const std::string& s) {
    std::size_t i = s.starts_with('-') ? 1 : 0;
    return i < s.size() && s.find_first_not_of("0123456789", i) == std::string::npos;
}

long long to_number(const std::string& s) {
    return std::strtoll(s.c_str(), nullptr, 10);
}

// uWSGI's pipeline: tokens joined left to right; an operator applies to the next token.
std::string arithmetic(const std::string& expression,
                       const std::function<std::string(const std::string&)>& value_of) {
    std::istringstream tokens(expression);
    std::string token;
    std::string current;
    char op = 0;
    while (tokens >> token) {
        if (token == "+" || token == "-" || token == "*" || token == "/") {
            op = token[0];
            continue;
        }
        if (token == "++" || token == "--") {
            current = std::to_string(to_number(current) + (token == "++" ? 1 : -1));
            op = 0;
            continue;
        }
        const std::string v = is_number(token) ? token : value_of(token);
        const long long a = to_number(current);
        const long long b = to_number(v);
        switch (op) {
            case '+':
                current = std::to_string(a + b);
                break;
            case '-':
                current = std::to_string(a - b);
                break;
            case '*':
                current = std::to_string(a * b);
                break;
            case '/':
                current = std::to_string(b == 0 ? 0 : a / b);
                break;
            default:
                current += v;
        }
        op = 0;
    }
    return current;
}

// The first entry with a key, or nullptr.
using entry_finder = std::function<const config_entry*(const std::string& key)>;

std::optional<std::string> reference_value(const std::string& name, const entry_finder& find) {
    const auto first_value = [&find](const std::string& n) -> std::optional<std::string> {
        const config_entry* e = find(n);
        if (e == nullptr) {
            return std::nullopt;
        }
        try {
            return expand(e->value, '$', environment_value);
        } catch (const std::invalid_argument&) {
            return e->value;  // reported where it is written
        }
    };
    if (name.find(' ') != std::string::npos) {
        return arithmetic(name, [&](const std::string& n) { return first_value(n).value_or(""); });
    }
    if (auto v = first_value(name)) {
        return v;
    }
    throw std::invalid_argument(
        fmt::format("%({}) names no option or placeholder set in the configuration", name));
}

void resolve(config_entry& e, char symbol, const resolver& given, config_problems& problems) {
    if (symbol == '%' && !e.references) {
        return;
    }
    const resolver how =
        !(symbol == '%' && e.own_references) ? given : resolver([&given](const std::string& name) {
            try {
                return given(name);
            } catch (const std::invalid_argument&) {
                return std::optional<std::string>();  // the template's
            }
        });
    if (e.broken) {
        return;
    }
    try {
        e.value = expand(e.value, symbol, how);
        for (auto& field : e.fields) {
            field.second = expand(field.second, symbol, how);
        }
    } catch (const std::invalid_argument& err) {
        problems.add(fmt::format("{}: {}: {}", e.origin, e.key, err.what()));
        e.broken = true;
    }
}

}  // namespace

void resolve_references(std::vector<config_entry>& entries, config_problems& problems) {
    for (config_entry& e : entries) {
        resolve(e, '$', environment_value, problems);
    }
    for (config_entry& e : entries) {
        resolve(e, '@', file_contents, problems);
    }
    // An index of each key's first entry: a configuration of many references (a long
    // for-times loop) must not cost a scan per reference.
    std::unordered_map<std::string, std::size_t> first;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        first.try_emplace(entries[i].key, i);
    }
    const entry_finder find = [&](const std::string& key) -> const config_entry* {
        const auto it = first.find(key);
        return it == first.end() ? nullptr : &entries[it->second];
    };
    const resolver by_key = [&find](const std::string& name) {
        return reference_value(name, find);
    };
    for (config_entry& e : entries) {
        resolve(e, '%', by_key, problems);
    }
}

void resolve_entry(config_entry& e, const std::vector<config_entry>& context,
                   config_problems& problems) {
    resolve(e, '$', environment_value, problems);
    resolve(e, '@', file_contents, problems);
    const entry_finder find = [&context](const std::string& key) -> const config_entry* {
        const auto it = std::find_if(context.begin(), context.end(),
                                     [&key](const config_entry& c) { return c.key == key; });
        return it == context.end() ? nullptr : &*it;
    };
    resolve(
        e, '%', [&find](const std::string& name) { return reference_value(name, find); }, problems);
}

}  // namespace gantry::server
