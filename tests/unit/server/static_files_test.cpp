// static_files on real directories: each outcome, symlinks in and out of the mount (and into
// a --static-safe one), a FIFO, the index, compressed siblings chosen by Accept-Encoding,
// skipped extensions, expiry rules and media types.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/static/static_files.hpp"
#include "tests/unit/server/parse_options.hpp"
#include "tests/unit/temp_dir.hpp"

namespace server = gantry::server;
using gantry::testing::temp_dir;
using outcome = server::static_files::outcome;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// A mount of `dir` at `url` (static-map), or at "/" (check-static).
server::static_settings one_mount(const fs::path& dir, const std::string& url = "/static",
                                  bool check_static = false) {
    server::static_settings s;
    s.mounts.push_back({url, dir.string(), false});
    s.check_static.push_back(check_static);
    return s;
}

std::string contents(const server::static_files::found& f) {
    std::string out(f.facts.size, '\0');
    REQUIRE(::pread(f.file.get(), out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
    return out;
}

// Sets `path`'s mtime `seconds` after the Epoch.
void set_mtime(const fs::path& path, std::int64_t seconds) {
    const struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

}  // namespace

TEST_CASE("static files: each outcome") {
    temp_dir t;
    t.write("site/a.css", "body{}");
    t.write("app.py", "secret");
    const server::static_files files(one_mount(t.path / "site"));
    server::static_files::found f;

    CHECK(files.lookup("/other/a.css", "", f) == outcome::not_static);
    CHECK(files.lookup("/staticx/a.css", "", f) == outcome::not_static);
    REQUIRE(files.lookup("/static/a.css", "", f) == outcome::serve);
    CHECK(contents(f) == "body{}");
    CHECK(f.content_type == "text/css; charset=utf-8");
    CHECK(f.content_encoding.empty());
    CHECK_FALSE(f.vary_accept_encoding);
    CHECK(f.cache_control.empty());
    CHECK(f.expires == 0);
    CHECK(f.etag == gantry::protocol::strong_etag(f.facts));
    CHECK(f.etag.front() == '"');
    CHECK((::fcntl(f.file.get(), F_GETFL) & O_NONBLOCK) == 0);

    CHECK(files.lookup("/static/missing.css", "", f) == outcome::fall_through);
    CHECK(files.lookup("/static/a.css/x", "", f) == outcome::fall_through);  // ENOTDIR
    for (const char* attempt : {"/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
                                "/static/a.css%00", "/static/%zz"}) {
        INFO(attempt);
        CHECK(files.lookup(attempt, "", f) == outcome::bad_request);
        CHECK_FALSE(f.why.empty());
        CHECK_FALSE(f.file);
    }
}

TEST_CASE("static files: a directory that cannot be opened is an error naming the option") {
    temp_dir t;
    try {
        server::static_files files(one_mount(t.path / "nope"));
        FAIL("no error");
    } catch (const std::runtime_error& e) {
        const std::string dir = (t.path / "nope").string();
        CHECK_THAT(e.what(), Contains("--static-map /static=" + dir + ": cannot open " + dir +
                                      ": No such file or directory"));
    }
    CHECK_THROWS_WITH(server::static_files(one_mount(t.path / "nope", "/", true)),
                      Contains("--check-static "));
}

TEST_CASE("static files: symlinks inside are followed, out of the mount only into --static-safe") {
    temp_dir t;
    t.write("site/css/real.css", "in");
    t.write("outside/secret.txt", "out");
    t.write("safe/shared.js", "shared");
    fs::create_symlink("css/real.css", t.path / "site/rel.css");
    fs::create_symlink(t.path / "site/css/real.css", t.path / "site/abs.css");  // absolute, inside
    fs::create_symlink("../outside/secret.txt", t.path / "site/leak.txt");
    fs::create_symlink(t.path / "outside", t.path / "site/outdir");
    fs::create_symlink(t.path / "safe/shared.js", t.path / "site/shared.js");
    fs::create_symlink("/proc/self/root/etc/passwd", t.path / "site/magic");
    server::static_files::found f;

    server::static_files files(one_mount(t.path / "site"));
    REQUIRE(files.lookup("/static/rel.css", "", f) == outcome::serve);
    CHECK(contents(f) == "in");
    REQUIRE(files.lookup("/static/abs.css", "", f) == outcome::serve);
    CHECK(contents(f) == "in");
    for (const char* out :
         {"/static/leak.txt", "/static/outdir/secret.txt", "/static/shared.js", "/static/magic"}) {
        INFO(out);
        CHECK(files.lookup(out, "", f) == outcome::forbidden);
        CHECK_THAT(f.why, Contains("a symlink leads out of"));
    }

    server::static_settings with_safe = one_mount(t.path / "site");
    with_safe.safe.push_back((t.path / "safe").string());
    server::static_files safe_files(with_safe);
    REQUIRE(safe_files.lookup("/static/shared.js", "", f) == outcome::serve);
    CHECK(contents(f) == "shared");
    CHECK(f.content_type == "text/javascript; charset=utf-8");
    CHECK(safe_files.lookup("/static/leak.txt", "", f) == outcome::forbidden);
}

TEST_CASE("static files: a FIFO or a device is refused at once") {
    temp_dir t;
    fs::create_directories(t.path / "site");
    REQUIRE(::mkfifo((t.path / "site/pipe").c_str(), 0644) == 0);
    fs::create_symlink("/dev/zero", t.path / "site/zero");
    server::static_settings s = one_mount(t.path / "site");
    s.safe.push_back("/dev");
    server::static_files files(s);
    server::static_files::found f;
    CHECK(files.lookup("/static/pipe", "", f) == outcome::forbidden);  // no writer: no wait
    CHECK(f.why == "not a regular file");
    CHECK(files.lookup("/static/zero", "", f) == outcome::forbidden);
    CHECK(f.why == "not a regular file");
}

TEST_CASE("static files: a directory gets its index, or 403 / the app without one") {
    temp_dir t;
    t.write("site/docs/index.html", "<h1>");
    fs::create_directories(t.path / "site/empty");
    server::static_settings s = one_mount(t.path / "site");
    s.index = {"default.htm", "index.html"};
    server::static_files files(s);
    server::static_files::found f;
    for (const char* dir : {"/static/docs/", "/static/docs"}) {  // as uWSGI: with or without '/'
        INFO(dir);
        REQUIRE(files.lookup(dir, "", f) == outcome::serve);
        CHECK(contents(f) == "<h1>");
        CHECK(f.content_type == "text/html; charset=utf-8");
    }
    CHECK(files.lookup("/static/empty/", "", f) == outcome::forbidden);
    CHECK(f.why == "a directory without an index");

    server::static_settings check = one_mount(t.path / "site", "/", true);
    server::static_files docroot(check);
    CHECK(docroot.lookup("/empty/", "", f) == outcome::fall_through);
    CHECK(docroot.lookup("/docs/", "", f) == outcome::fall_through);  // no --static-index
    CHECK(docroot.lookup("/nothing", "", f) == outcome::fall_through);
}

TEST_CASE("static files: a mount that has nothing lets the next one try, as uWSGI does") {
    temp_dir t;
    t.write("public/robots.txt", "robots");
    t.write("assets/app.js", "js");
    server::static_settings s = one_mount(t.path / "public", "/", true);
    s.mounts.push_back({"/static", (t.path / "assets").string(), false});
    s.check_static.push_back(false);
    server::static_files files(s);
    server::static_files::found f;
    REQUIRE(files.lookup("/robots.txt", "", f) == outcome::serve);
    CHECK(contents(f) == "robots");
    REQUIRE(files.lookup("/static/app.js", "", f) == outcome::serve);
    CHECK(contents(f) == "js");
    CHECK(files.lookup("/static/none.js", "", f) == outcome::fall_through);
    CHECK(files.lookup("/app/", "", f) == outcome::fall_through);
}

TEST_CASE("static files: a mapped file (static-map /favicon.ico=FILE)") {
    temp_dir t;
    const std::string icon = t.write("img/favicon.ico", "ico");
    server::static_files files(one_mount(icon, "/favicon.ico"));
    server::static_files::found f;
    REQUIRE(files.lookup("/favicon.ico", "", f) == outcome::serve);
    CHECK(contents(f) == "ico");
    CHECK(f.content_type == "image/vnd.microsoft.icon");
    CHECK(files.lookup("/favicon.ico/x", "", f) == outcome::fall_through);
}

TEST_CASE("static files: .br and .gz siblings by Accept-Encoding, never an older one") {
    temp_dir t;
    t.write("site/app.js", "plain");
    t.write("site/app.js.gz", "gzipped");
    t.write("site/app.js.br", "brotli");
    t.write("site/old.css", "plain");
    t.write("site/old.css.gz", "stale");
    set_mtime(t.path / "site/app.js", 1000);
    set_mtime(t.path / "site/app.js.gz", 1000);  // as old: still good
    set_mtime(t.path / "site/app.js.br", 2000);
    set_mtime(t.path / "site/old.css", 2000);
    set_mtime(t.path / "site/old.css.gz", 1000);
    server::static_settings s = one_mount(t.path / "site");
    s.gzip_all = true;
    server::static_files files(s);
    server::static_files::found f;

    REQUIRE(files.lookup("/static/app.js", "gzip, deflate, br", f) == outcome::serve);
    CHECK(contents(f) == "brotli");
    CHECK(f.content_encoding == "br");
    CHECK(f.vary_accept_encoding);
    CHECK(f.content_type == "text/javascript; charset=utf-8");
    CHECK(f.facts.size == 6);
    CHECK(f.etag == gantry::protocol::strong_etag(f.facts));

    REQUIRE(files.lookup("/static/app.js", "gzip", f) == outcome::serve);
    CHECK(contents(f) == "gzipped");
    CHECK(f.content_encoding == "gzip");
    CHECK(f.vary_accept_encoding);

    REQUIRE(files.lookup("/static/app.js", "br;q=0, gzip;q=0", f) == outcome::serve);
    CHECK(contents(f) == "plain");
    CHECK(f.content_encoding.empty());
    CHECK(f.vary_accept_encoding);  // a sibling exists: caches must key on the header

    REQUIRE(files.lookup("/static/old.css", "gzip", f) == outcome::serve);
    CHECK(contents(f) == "plain");
    CHECK(f.content_encoding.empty());
    CHECK_FALSE(f.vary_accept_encoding);

    // Without static-gzip-all, only under a --static-gzip-dir or a --static-gzip match.
    server::static_files plain(one_mount(t.path / "site"));
    REQUIRE(plain.lookup("/static/app.js", "gzip", f) == outcome::serve);
    CHECK(contents(f) == "plain");
    CHECK_FALSE(f.vary_accept_encoding);
    server::static_settings by_dir = one_mount(t.path / "site");
    by_dir.gzip_dirs.push_back(fs::canonical(t.path / "site").string() + "/");
    REQUIRE(server::static_files(by_dir).lookup("/static/app.js", "gzip", f) == outcome::serve);
    CHECK(f.content_encoding == "gzip");
    server::static_settings by_regex = one_mount(t.path / "site");
    by_regex.gzip_patterns.push_back("\\.js$");
    const server::static_files regex_files(by_regex);
    REQUIRE(regex_files.lookup("/static/app.js", "br", f) == outcome::serve);
    CHECK(f.content_encoding == "br");
}

TEST_CASE("static files: --static-skip-ext leaves the file to the app") {
    temp_dir t;
    t.write("site/app.py", "code");
    t.write("site/pkg/index.py", "code");
    server::static_settings s = one_mount(t.path / "site");
    s.skip_ext = {".py", ".pyc"};
    s.index = {"index.py"};
    server::static_files files(s);
    server::static_files::found f;
    CHECK(files.lookup("/static/app.py", "", f) == outcome::fall_through);
    CHECK(files.lookup("/static/pkg/", "", f) == outcome::fall_through);
}

TEST_CASE("static files: the first expiry rule that matches sets Cache-Control and Expires") {
    temp_dir t;
    t.write("site/img/a.png", "png");
    t.write("site/a.css", "css");
    t.write("site/a.txt", "txt");
    server::static_settings s = one_mount(t.path / "site");
    s.expires.push_back({"^/static/img/", true, 60});
    s.expires.push_back({"\\.(png|css)$", false, 3600});
    server::static_files files(s);
    server::static_files::found f;

    const std::int64_t now = std::time(nullptr);
    REQUIRE(files.lookup("/static/img/a.png", "", f) == outcome::serve);
    CHECK(f.cache_control == "max-age=60");
    CHECK(f.expires >= now + 60);
    CHECK(f.expires <= now + 61);
    REQUIRE(files.lookup("/static/a.css", "", f) == outcome::serve);
    CHECK(f.cache_control == "max-age=3600");
    CHECK(f.expires >= now + 3600);
    REQUIRE(files.lookup("/static/a.txt", "", f) == outcome::serve);
    CHECK(f.cache_control.empty());
    CHECK(f.expires == 0);
}

TEST_CASE("static files: media types from mime.types, with the web's own always right") {
    temp_dir t;
    const std::string mime = t.write("mime.types",
                                     "# comment\n"
                                     "text/html\t\thtml htm\n"
                                     "application/javascript\tjs\n"
                                     "image/PNG png PNG2\n"
                                     "\n"
                                     "application/x-first\tdup\n"
                                     "application/x-second\tdup\n");
    const server::media_types types = server::read_mime_types(mime);
    CHECK(types.at("htm") == "text/html");
    CHECK(types.at("png2") == "image/PNG");
    CHECK(types.at("dup") == "application/x-first");
    CHECK(server::read_mime_types(t.path / "none").empty());

    CHECK(server::media_type_for(types, "a/b/page.HTML") == "text/html; charset=utf-8");
    CHECK(server::media_type_for(types, "x.js") == "application/javascript; charset=utf-8");
    CHECK(server::media_type_for(types, "x.png") == "image/PNG");
    CHECK(server::media_type_for(types, "README") == "application/octet-stream");
    CHECK(server::media_type_for(types, "x.unknown") == "application/octet-stream");
    CHECK(server::media_type_for(types, "dir.d/file") == "application/octet-stream");

    // What the server uses: the system's table, with the strict types forced.
    for (const char* name : {"a.js", "a.mjs", "a.css", "a.svg", "a.woff2", "a.wasm", "a.map",
                             "a.json", "a.webp", "a.txt", "a.xml"}) {
        t.write(std::string("site/") + name, "x");
    }
    server::static_files files(one_mount(t.path / "site"));
    server::static_files::found f;
    const auto type_of = [&](const std::string& name) {
        REQUIRE(files.lookup("/static/" + name, "", f) == outcome::serve);
        return f.content_type;
    };
    CHECK(type_of("a.js") == "text/javascript; charset=utf-8");
    CHECK(type_of("a.mjs") == "text/javascript; charset=utf-8");
    CHECK(type_of("a.css") == "text/css; charset=utf-8");
    CHECK(type_of("a.svg") == "image/svg+xml; charset=utf-8");
    CHECK(type_of("a.woff2") == "font/woff2");
    CHECK(type_of("a.wasm") == "application/wasm");
    CHECK(type_of("a.map") == "application/json; charset=utf-8");
    CHECK(type_of("a.json") == "application/json; charset=utf-8");
    CHECK(type_of("a.webp") == "image/webp");
    CHECK(type_of("a.txt") == "text/plain; charset=utf-8");
    CHECK(type_of("a.xml") == "application/xml; charset=utf-8");
}

TEST_CASE("static options: uWSGI's order, absolute folders, refusals naming the key") {
    using gantry::server::testing::error_of;
    using gantry::server::testing::parse;
    const std::string cwd = fs::current_path().string();
    const server::options o =
        parse({"--static-map2",        "/m2=two",    "--static-map",         "/static/=st",
               "--check-static",       "pub",        "--static-map",         "/=/srv/root",
               "--static-expires",     "\\.css$ 60", "--static-expires-uri", "^/a 5",
               "--static-gzip-prefix", "gz/",        "--static-gzip",        "\\.js$",
               "--static-index",       "index.html", "--static-safe",        "/opt"});
    const server::static_settings s = server::static_settings_of(o);
    REQUIRE(s.mounts.size() == 4);
    CHECK(s.mounts[0].url_prefix == "/");
    CHECK(s.mounts[0].dir == cwd + "/pub");
    CHECK(s.check_static == std::vector<bool>{true, false, false, false});
    CHECK(s.mounts[1].url_prefix == "/static");
    CHECK(s.mounts[1].dir == cwd + "/st");
    CHECK(s.mounts[2].url_prefix == "/");
    CHECK(s.mounts[3].url_prefix == "/m2");
    CHECK(s.mounts[3].keep_prefix);
    REQUIRE(s.expires.size() == 2);
    CHECK(s.expires[0].pattern == "\\.css$");
    CHECK_FALSE(s.expires[0].on_uri);
    CHECK(s.expires[1].seconds == 5);
    CHECK(s.expires[1].on_uri);
    CHECK(s.gzip_dirs == std::vector<std::string>{cwd + "/gz/"});
    CHECK(s.gzip_patterns == std::vector<std::string>{"\\.js$"});

    CHECK_THAT(error_of({"--static-map", "static=/x"}),
               Contains("--static-map: expected a URL path starting with '/'"));
    CHECK_THAT(error_of({"--static-map2", "/x"}), Contains("--static-map2: expected URL=DIR"));
    CHECK_THAT(error_of({"--static-expires", "( 5"}), Contains("--static-expires: '(' is not a"));
    CHECK_THAT(error_of({"--static-expires-uri", "x y"}),
               Contains("--static-expires-uri: expected a whole number"));
    CHECK_THAT(error_of({"--file-serve-mode", "x-sendfile"}),
               Contains("gantry sends the file itself"));
}
