#include "server/options/magic_vars.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#ifndef GANTRY_VERSION
#define GANTRY_VERSION "dev"
#endif

namespace gantry::server {
namespace {

namespace fs = std::filesystem;

// uWSGI's djb33x hash of the file's path, as 8 hex digits in memory order (%j).
std::string path_hash(std::string_view path) {
    std::uint32_t hash = 5381;
    for (char c : path) {
        // uWSGI XORs a (signed) char, sign-extended.
        hash = (hash * 33) ^ static_cast<std::uint32_t>(static_cast<signed char>(c));
    }
    std::string out;
    for (int i = 0; i < 4; ++i) {
        out += fmt::format("{:02x}", (hash >> (8 * i)) & 0xff);
    }
    return out;
}

std::string host_name() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
}

// The variables that are the process's, not a file's (%b %v %h %t %T %V %k %[ %u %U %g %G):
// read once, as uWSGI sets them once at start-up.
const std::vector<std::pair<char, std::string>>& process_values() {
    static const std::vector<std::pair<char, std::string>> values = [] {
        std::error_code ec;
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        const std::string uid = std::to_string(getuid());
        const std::string gid = std::to_string(getgid());
        const passwd* pw = getpwuid(getuid());
        const group* gr = getgrgid(getgid());
        return std::vector<std::pair<char, std::string>>{
            {'b', fs::read_symlink("/proc/self/exe", ec).string()},
            {'v', fs::current_path(ec).string()},
            {'h', host_name()},
            {'t', std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count())},
            {'T',
             std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count())},
            {'V', GANTRY_VERSION},
            {'k', std::to_string(std::max(1U, std::thread::hardware_concurrency()))},
            {'[', "\033"},
            {'u', uid},
            {'U', pw != nullptr ? std::string(pw->pw_name) : uid},
            {'g', gid},
            {'G', gr != nullptr ? std::string(gr->gr_name) : gid},
        };
    }();
    return values;
}

}  // namespace

void magic_vars::set(char letter, std::string value) {
    const auto i = static_cast<unsigned char>(letter);
    table_[i] = std::move(value);
    known_[i] = true;
}

magic_vars::magic_vars(const std::string& as_given, std::string_view section,
                       const magic_vars* first) {
    const fs::path full = fs::absolute(as_given).lexically_normal();
    const std::string name = full.filename().string();
    const std::string folder = full.parent_path().string();
    set('o', as_given);
    set('p', full.string());
    set('s', name);
    set('d', folder == "/" ? folder : folder + "/");  // uWSGI keeps the trailing slash
    set('e', full.has_extension() ? full.extension().string().substr(1) : "");
    set('n', full.stem().string());
    set('c', full.parent_path().filename().string());
    set('x', std::string(section));
    set('j', path_hash(full.string()));
    struct stat st {};
    set('i', lstat(full.c_str(), &st) == 0 ? std::to_string(st.st_ino) : "");
    // %0 .. %9: the folder's components from the root.
    char digit = '0';
    for (const fs::path& part : full.parent_path().relative_path()) {
        if (digit > '9') {
            break;
        }
        set(digit++, part.string());
    }
    for (; digit <= '9'; ++digit) {
        set(digit, "");
    }
    for (const auto& [letter, value] : process_values()) {
        set(letter, value);
    }
    const magic_vars& top = first != nullptr ? *first : *this;
    for (char c : std::string_view("ODSPCENXIJ")) {
        const auto lower = static_cast<unsigned char>(c - 'A' + 'a');
        set(c, top.table_[lower]);
    }
}

std::string magic_vars::apply(std::string_view value, std::vector<char>& dropped) const {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '%' || i + 1 == value.size()) {
            out += value[i];
            continue;
        }
        const char next = value[++i];
        if (next == '%') {
            out += '%';
        } else if (next == '(') {
            out += "%(";  // a reference, resolved once every file is read
        } else if (known_[static_cast<unsigned char>(next)]) {
            out += table_[static_cast<unsigned char>(next)];
        } else {
            dropped.push_back(next);
        }
    }
    return out;
}

}  // namespace gantry::server
