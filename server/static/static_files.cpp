#include "server/static/static_files.hpp"

#include "server/util/config_error.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace gantry::server {

struct static_files::mount {
    unique_fd dir;     // O_PATH: the mapped directory (for a file mount: the file's folder)
    std::string path;  // that directory, resolved (realpath), for messages and the rules
    std::string file;  // a mapped file (static-map /favicon.ico=/srv/favicon.ico): its name
};

struct static_files::rules {
    std::vector<std::regex> expires;        // settings_.expires, in order
    std::vector<std::regex> gzip_patterns;  // settings_.gzip_patterns
    // Where a symlink may lead when it leaves its mount: the --static-safe directories,
    // resolved; the mount's own resolved directory is allowed too (an absolute symlink that
    // points back inside, which RESOLVE_BENEATH refuses).
    std::vector<std::string> safe;
};

namespace {

// glibc 2.36 has no openat2() wrapper.
int open_beneath(int dirfd, const std::string& name, std::uint64_t flags, std::uint64_t resolve) {
    open_how how{};
    how.flags = flags;
    how.resolve = resolve;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, name.c_str(), &how, sizeof how));
}

// O_NONBLOCK: opening a FIFO must not wait for a writer; it is cleared once the file is
// known to be a regular one. O_NOCTTY: a terminal device never becomes ours.
constexpr std::uint64_t file_flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
constexpr std::uint64_t beneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;

std::string errno_text(int e) {
    return std::system_category().message(e);
}

std::string resolved(const std::string& path) {
    char buffer[PATH_MAX];
    return ::realpath(path.c_str(), buffer) != nullptr ? std::string(buffer) : std::string();
}

// `path` is `dir` or lies under it (at a '/').
bool inside(std::string_view path, std::string_view dir) {
    if (dir == "/") {
        return true;
    }
    return path.starts_with(dir) && (path.size() == dir.size() || path[dir.size()] == '/');
}

std::string joined(std::string_view dir, std::string_view name) {
    if (name.empty() || name == ".") {
        return std::string(dir);
    }
    return fmt::format("{}{}{}", dir, dir.ends_with('/') ? "" : "/", name);
}

protocol::file_facts facts_of(const struct stat& st) {
    return {static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
            static_cast<std::uint64_t>(st.st_ino)};
}

bool not_older(const struct stat& a, const struct stat& b) {
    return a.st_mtim.tv_sec != b.st_mtim.tv_sec ? a.st_mtim.tv_sec > b.st_mtim.tv_sec
                                                : a.st_mtim.tv_nsec >= b.st_mtim.tv_nsec;
}

std::string option_of(const static_settings& s, std::size_t i) {
    const protocol::static_mount& m = s.mounts[i];
    if (i < s.check_static.size() && s.check_static[i]) {
        return fmt::format("--check-static {}", m.dir);
    }
    return fmt::format("--static-map{} {}={}", m.keep_prefix ? "2" : "", m.url_prefix, m.dir);
}

std::regex compiled(const std::string& pattern, std::string_view option) {
    try {
        return std::regex(pattern, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
        throw config_error(fmt::format("{} {}: not a regex: {}", option, pattern, e.what()));
    }
}

// What opening one name under a mount came to.
enum class opened { file, missing, forbidden };

// The types that browsers check strictly (module scripts, stylesheets, wasm streaming,
// fonts, SVG images): right whatever an old mime.types says.
constexpr std::pair<std::string_view, std::string_view> must_be[] = {
    {"js", "text/javascript"}, {"mjs", "text/javascript"},   {"css", "text/css"},
    {"svg", "image/svg+xml"},  {"woff2", "font/woff2"},      {"wasm", "application/wasm"},
    {"html", "text/html"},     {"json", "application/json"},
};
// The common web types, for a system without /etc/mime.types (a slim container image) and
// for what Debian's file leaves out (source maps).
constexpr std::pair<std::string_view, std::string_view> web_types[] = {
    {"htm", "text/html"},        {"png", "image/png"},
    {"jpg", "image/jpeg"},       {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},        {"webp", "image/webp"},
    {"avif", "image/avif"},      {"ico", "image/vnd.microsoft.icon"},
    {"woff", "font/woff"},       {"ttf", "font/ttf"},
    {"otf", "font/otf"},         {"txt", "text/plain"},
    {"xml", "application/xml"},  {"pdf", "application/pdf"},
    {"map", "application/json"}, {"webmanifest", "application/manifest+json"},
    {"mp4", "video/mp4"},        {"webm", "video/webm"},
    {"csv", "text/csv"},         {"zip", "application/zip"},
};

bool with_charset(std::string_view type) {
    return type.starts_with("text/") || type == "application/javascript" ||
           type == "application/json" || type == "application/xml" || type == "image/svg+xml";
}

}  // namespace

media_types read_mime_types(const std::string& path) {
    media_types out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        line = line.substr(0, line.find('#'));
        std::istringstream words(line);
        std::string type;
        std::string ext;
        if (!(words >> type)) {
            continue;
        }
        while (words >> ext) {
            std::transform(ext.begin(), ext.end(), ext.begin(),
                           [](unsigned char c) { return std::tolower(c); });
            out.emplace(ext, type);  // the first line naming an extension wins
        }
    }
    return out;
}

std::string media_type_for(const media_types& types, std::string_view file_name) {
    const std::string_view base = file_name.substr(file_name.rfind('/') + 1);
    const auto dot = base.rfind('.');
    std::string ext(dot == std::string_view::npos ? std::string_view() : base.substr(dot + 1));
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    const auto found = ext.empty() ? types.end() : types.find(ext);
    const std::string type = found == types.end() ? "application/octet-stream" : found->second;
    return with_charset(type) ? type + "; charset=utf-8" : type;
}

static_files::static_files(const static_settings& settings)
    : settings_(settings), types_(read_mime_types("/etc/mime.types")) {
    for (const auto& [ext, type] : must_be) {
        types_.insert_or_assign(std::string(ext), std::string(type));
    }
    for (const auto& [ext, type] : web_types) {
        types_.emplace(std::string(ext), std::string(type));
    }
    auto r = std::make_unique<rules>();
    for (const expires_rule& e : settings_.expires) {
        r->expires.push_back(
            compiled(e.pattern, e.on_uri ? "--static-expires-uri" : "--static-expires"));
    }
    for (const std::string& p : settings_.gzip_patterns) {
        r->gzip_patterns.push_back(compiled(p, "--static-gzip"));
    }
    for (const std::string& dir : settings_.safe) {
        std::string real = resolved(dir);
        if (real.empty()) {
            throw config_error(fmt::format("--static-safe {}: cannot resolve {}: {}", dir, dir,
                                           errno_text(errno)));
        }
        r->safe.push_back(std::move(real));
    }
    rules_ = std::move(r);
    for (std::size_t i = 0; i < settings_.mounts.size(); ++i) {
        const std::string& dir = settings_.mounts[i].dir;
        const auto fail = [&](int e) {
            return config_error(
                fmt::format("{}: cannot open {}: {}", option_of(settings_, i), dir, errno_text(e)));
        };
        const std::string real = resolved(dir);
        struct stat st {};
        if (real.empty() || ::stat(real.c_str(), &st) != 0) {
            throw fail(errno);
        }
        mount m;
        if (S_ISREG(st.st_mode)) {  // uWSGI maps a mountpoint to a file too
            const auto slash = real.rfind('/');
            m.path = slash == 0 ? "/" : real.substr(0, slash);
            m.file = real.substr(slash + 1);
        } else if (S_ISDIR(st.st_mode)) {
            m.path = real;
        } else {
            throw fail(ENOTDIR);
        }
        m.dir = unique_fd(::open(m.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!m.dir) {
            throw fail(errno);
        }
        // A seccomp filter (an old container runtime) may refuse openat2: say so at start,
        // not as a 403 on every request.
        const unique_fd probe(open_beneath(m.dir.get(), ".", O_PATH | O_CLOEXEC, beneath));
        if (!probe) {
            throw config_error(fmt::format(
                "{}: openat2() failed ({}): gantry serves static files only where Linux 5.6's "
                "openat2 is allowed",
                option_of(settings_, i), errno_text(errno)));
        }
        mounts_.push_back(std::move(m));
    }
}

static_files::~static_files() = default;

namespace {

// Opens `name` under `m` (see static_files.hpp for the rules); `why` says a refusal.
opened open_under(const std::string& mount_path, int dirfd, const std::string& name,
                  const std::vector<std::string>& safe, unique_fd& fd, std::string& why) {
    const int got = open_beneath(dirfd, name, file_flags, beneath);
    const int e = errno;  // before reset() closes what `fd` held
    fd.reset(got);
    if (fd) {
        return opened::file;
    }
    switch (e) {
        case ENOENT:
        case ENOTDIR:
        case ENAMETOOLONG:
            why = "no such file";
            return opened::missing;
        case EACCES:
        case EPERM:
            why = "no permission";
            return opened::forbidden;
        case EXDEV:  // RESOLVE_BENEATH: the path left the mount (a symlink out of it)
        case ELOOP:  // a magic link (/proc/self/fd/...) or a symlink loop
            break;
        default:
            why = errno_text(e);
            return opened::forbidden;
    }
    why = fmt::format("a symlink leads out of {}", mount_path);
    const std::string real = resolved(joined(mount_path, name));
    if (real.empty()) {
        return opened::forbidden;
    }
    const bool allowed =
        inside(real, mount_path) ||
        std::any_of(safe.begin(), safe.end(), [&](const auto& s) { return inside(real, s); });
    if (!allowed) {
        return opened::forbidden;
    }
    // `real` has no symlink left: refuse any that appears there now.
    const int again =
        open_beneath(AT_FDCWD, real, file_flags, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    const int e2 = errno;
    fd.reset(again);
    if (!fd) {
        why = fmt::format("{}: {}", real, errno_text(e2));
        return e2 == ENOENT ? opened::missing : opened::forbidden;
    }
    return opened::file;
}

// Opens `name` and takes it when it is a regular file.
bool open_regular(const std::string& mount_path, int dirfd, const std::string& name,
                  const std::vector<std::string>& safe, unique_fd& fd, struct stat& st) {
    std::string ignored;
    return open_under(mount_path, dirfd, name, safe, fd, ignored) == opened::file &&
           ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode);
}

bool ends_with_any(std::string_view path, const std::vector<std::string>& suffixes) {
    return std::any_of(suffixes.begin(), suffixes.end(),
                       [path](const std::string& s) { return !s.empty() && path.ends_with(s); });
}

}  // namespace

static_files::outcome static_files::lookup(std::string_view raw_path,
                                           std::string_view accept_encoding, found& out) const {
    out = found{};
    const std::span<const protocol::static_mount> all(settings_.mounts);
    bool matched = false;
    // As uWSGI does, a mount that has nothing for the path lets the next matching one try.
    for (std::size_t start = 0; start < all.size();) {
        const protocol::static_target t =
            protocol::resolve_static_target(raw_path, all.subspan(start));
        if (t.refused == protocol::static_refusal::not_mapped) {
            break;
        }
        const std::size_t i = start + t.mount;
        if (t.refused != protocol::static_refusal::none) {
            out.why = std::string(protocol::describe(t.refused));
            // A check-static folder covers the whole site: a path it could never serve
            // (an API's /a%2Fb) is the app's, not a 400.
            if (i < settings_.check_static.size() && settings_.check_static[i]) {
                matched = true;
                start = i + 1;
                continue;
            }
            return outcome::bad_request;
        }
        matched = true;
        const outcome o = lookup_in(i, t, accept_encoding, out);
        if (o != outcome::fall_through) {
            return o;
        }
        start = i + 1;
    }
    return matched ? outcome::fall_through : outcome::not_static;
}

static_files::outcome static_files::lookup_in(std::size_t i, const protocol::static_target& t,
                                              std::string_view accept_encoding, found& out) const {
    const mount& m = mounts_[i];
    const protocol::static_mount& sm = settings_.mounts[i];
    const rules& r = *rules_;
    if (ends_with_any(t.relative, settings_.skip_ext)) {
        out.why = "a --static-skip-ext extension";
        return outcome::fall_through;
    }
    if (!m.file.empty() && !t.relative.empty()) {
        out.why = "no such file";
        return outcome::fall_through;
    }
    std::string name = m.file.empty() ? (t.relative.empty() ? "." : t.relative) : m.file;
    unique_fd fd;
    switch (open_under(m.path, m.dir.get(), name, r.safe, fd, out.why)) {
        case opened::file:
            break;
        case opened::missing:
            return outcome::fall_through;
        case opened::forbidden:
            return outcome::forbidden;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        out.why = errno_text(errno);
        return outcome::forbidden;
    }
    if (S_ISDIR(st.st_mode)) {
        // As uWSGI does, with or without a trailing slash in the URL.
        const std::string dir = name;
        const bool found_index =
            std::any_of(settings_.index.begin(), settings_.index.end(), [&](const std::string& x) {
                name = dir == "." ? x : joined(dir, x);
                return open_regular(m.path, m.dir.get(), name, r.safe, fd, st);
            });
        if (!found_index) {
            out.why = "a directory without an index";
            const bool check = i < settings_.check_static.size() && settings_.check_static[i];
            return check ? outcome::fall_through : outcome::forbidden;
        }
        if (ends_with_any(name, settings_.skip_ext)) {
            out.why = "a --static-skip-ext extension";
            return outcome::fall_through;
        }
    }
    if (!S_ISREG(st.st_mode)) {
        out.why = "not a regular file";
        return outcome::forbidden;
    }
    const std::string full_path = joined(m.path, name == "." ? std::string() : name);
    out.content_type = media_type_for(types_, name);
    out.facts = facts_of(st);
    out.file = std::move(fd);

    const bool compressible =
        settings_.gzip_all ||
        std::any_of(settings_.gzip_dirs.begin(), settings_.gzip_dirs.end(),
                    [&](const std::string& d) { return full_path.starts_with(d); }) ||
        std::any_of(r.gzip_patterns.begin(), r.gzip_patterns.end(),
                    [&](const std::regex& re) { return std::regex_search(full_path, re); });
    if (compressible) {
        for (const auto& [suffix, coding] : {std::pair{".br", "br"}, {".gz", "gzip"}}) {
            unique_fd sibling;
            struct stat sst {};
            if (!open_regular(m.path, m.dir.get(), name + suffix, r.safe, sibling, sst) ||
                !not_older(sst, st)) {
                continue;  // an older one is stale: the original changed since it was made
            }
            out.vary_accept_encoding = true;
            if (out.content_encoding.empty() && protocol::accepts_coding(accept_encoding, coding)) {
                out.content_encoding = coding;
                out.facts = facts_of(sst);
                out.file = std::move(sibling);
                break;
            }
        }
    }
    // Reads block on a regular file anyway; the sender must not see EAGAIN. Of file_flags,
    // F_SETFL can change only O_NONBLOCK: 0 clears it without reading the flags first.
    if (::fcntl(out.file.get(), F_SETFL, 0) != 0) {
        out.why = errno_text(errno);
        return outcome::forbidden;
    }

    const std::string uri = sm.keep_prefix || sm.url_prefix == "/"
                                ? fmt::format("/{}", t.relative)
                                : fmt::format("{}/{}", sm.url_prefix, t.relative);
    for (std::size_t k = 0; k < settings_.expires.size(); ++k) {
        const expires_rule& e = settings_.expires[k];
        if (std::regex_search(e.on_uri ? uri : full_path, r.expires[k])) {
            out.cache_control = fmt::format("max-age={}", e.seconds);
            out.expires = static_cast<std::int64_t>(std::time(nullptr)) + e.seconds;
            break;
        }
    }
    out.etag = protocol::strong_etag(out.facts);
    out.why.clear();
    return outcome::serve;
}

}  // namespace gantry::server
