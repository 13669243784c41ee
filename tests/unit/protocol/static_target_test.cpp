// Which file a request path names under the static mounts, and every path refused.
#include "protocol/static_target.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

namespace gantry::protocol {
namespace {

const std::vector<static_mount> two_mounts = {
    {"/static", "/srv/static", false}, {"/media/", "/srv/media", false},  // a user's trailing slash
};

static_target resolve(std::string_view path, const std::vector<static_mount>& m = two_mounts) {
    return resolve_static_target(path, m);
}

static_refusal refusal(std::string_view path) {
    return resolve(path).refused;
}

TEST_CASE("a path under a mount names a file relative to it", "[static_target]") {
    const static_target t = resolve("/static/css/site.css");
    CHECK(t.refused == static_refusal::none);
    CHECK(t.mount == 0);
    CHECK(t.relative == "css/site.css");
    CHECK_FALSE(t.trailing_slash);

    const static_target m = resolve("/media/a.png");
    CHECK(m.refused == static_refusal::none);
    CHECK(m.mount == 1);
    CHECK(m.relative == "a.png");
}

TEST_CASE("prefixes match at segment boundaries only", "[static_target]") {
    CHECK(refusal("/staticfoo/a.css") == static_refusal::not_mapped);
    CHECK(refusal("/stati") == static_refusal::not_mapped);
    CHECK(refusal("/app/static/a.css") == static_refusal::not_mapped);
    CHECK(refusal("/Static/a.css") == static_refusal::not_mapped);
    CHECK(refusal("/") == static_refusal::not_mapped);
    CHECK(refusal("") == static_refusal::not_mapped);
    CHECK(refusal("*") == static_refusal::not_mapped);
    CHECK(refusal("static/a.css") == static_refusal::not_mapped);
    CHECK(refusal("http://h/static/a.css") == static_refusal::not_mapped);

    const static_target bare = resolve("/static");
    CHECK(bare.refused == static_refusal::none);
    CHECK(bare.relative.empty());
    CHECK_FALSE(bare.trailing_slash);

    const static_target dir = resolve("/static/");
    CHECK(dir.refused == static_refusal::none);
    CHECK(dir.relative.empty());
    CHECK(dir.trailing_slash);

    const static_target media = resolve("/media");  // mounted as "/media/"
    CHECK(media.refused == static_refusal::none);
    CHECK(media.mount == 1);
    CHECK(media.relative.empty());
}

TEST_CASE("a prefix of several segments", "[static_target]") {
    const std::vector<static_mount> m = {{"/assets/v2", "/srv/v2", false}};
    CHECK(resolve("/assets/v2/x.js", m).relative == "x.js");
    CHECK(resolve("/assets//v2//x.js", m).relative == "x.js");
    CHECK(resolve("/assets/v3/x.js", m).refused == static_refusal::not_mapped);
    CHECK(resolve("/assets", m).refused == static_refusal::not_mapped);
}

TEST_CASE("mounts are tried in order and the first that matches wins", "[static_target]") {
    const std::vector<static_mount> m = {
        {"/static/img", "/srv/img", false},
        {"/static", "/srv/static", false},
        {"/", "/srv/root", false},
    };
    CHECK(resolve("/static/img/a.png", m).mount == 0);
    CHECK(resolve("/static/img/a.png", m).relative == "a.png");
    CHECK(resolve("/static/imgs/a.png", m).mount == 1);
    CHECK(resolve("/static/imgs/a.png", m).relative == "imgs/a.png");
    CHECK(resolve("/other/a.png", m).mount == 2);
    CHECK(resolve("/other/a.png", m).relative == "other/a.png");

    // The first match decides even when what follows its prefix is refused.
    const static_target t = resolve("/static/img/../x", m);
    CHECK(t.refused == static_refusal::dot_segment);
    CHECK(t.mount == 0);
    CHECK(t.relative.empty());
}

TEST_CASE("\"/\" maps the whole site", "[static_target]") {
    const std::vector<static_mount> root = {{"/", "/srv/www", false}};
    const std::vector<static_mount> empty = {{"", "/srv/www", false}};
    for (const auto* m : {&root, &empty}) {
        CHECK(resolve("/index.html", *m).relative == "index.html");
        CHECK(resolve("/a/b/c.txt", *m).relative == "a/b/c.txt");
        const static_target top = resolve("/", *m);
        CHECK(top.refused == static_refusal::none);
        CHECK(top.relative.empty());
        CHECK(top.trailing_slash);
    }
}

TEST_CASE("static-map2 keeps the URL path", "[static_target]") {
    const std::vector<static_mount> m = {{"/static", "/srv", true}};
    const static_target t = resolve("/static/css/a.css", m);
    CHECK(t.refused == static_refusal::none);
    CHECK(t.relative == "static/css/a.css");
    CHECK(resolve("/static", m).relative == "static");
    CHECK(resolve("//static//css/a.css", m).relative == "static/css/a.css");
    CHECK(resolve("/st%61tic/a%20b.css", m).relative == "static/a b.css");
    CHECK(resolve("/static/../x", m).refused == static_refusal::dot_segment);
    const std::vector<static_mount> slash = {{"/static/", "/srv", true}};
    CHECK(resolve("/static/a.css", slash).relative == "static/a.css");
}

TEST_CASE("repeated slashes merge, as nginx's merge_slashes does", "[static_target]") {
    CHECK(resolve("/static//css///a.css").relative == "css/a.css");
    CHECK(resolve("//static/a.css").relative == "a.css");
    const static_target t = resolve("/static/css//");
    CHECK(t.relative == "css");
    CHECK(t.trailing_slash);
}

TEST_CASE("the path is %-decoded exactly once", "[static_target]") {
    CHECK(resolve("/static/a%20b.css").relative == "a b.css");
    CHECK(resolve("/static/%C3%A9t%c3%a9.txt").relative == "\xC3\xA9t\xC3\xA9.txt");
    CHECK(resolve("/st%61tic/a.css").relative == "a.css");          // the prefix too
    CHECK(resolve("/static/%252e%252e/x").relative == "%2e%2e/x");  // not twice
    CHECK(resolve("/static/%25").relative == "%");
    CHECK(resolve("/static/a+b").relative == "a+b");  // '+' is a space in queries only
    CHECK(resolve("/static/...").relative == "...");  // a name, not a dot segment
    CHECK(resolve("/static/.hidden").relative == ".hidden");
    CHECK(resolve("/static/a..b").relative == "a..b");
    CHECK(resolve("/static/..a").relative == "..a");
}

TEST_CASE("dot segments are refused, raw or decoded", "[static_target]") {
    for (const char* path : {
             "/static/../app.py",
             "/static/..",
             "/static/../",
             "/static/.",
             "/static/./a.css",
             "/static/css/../../app.py",
             "/static/%2e%2e/app.py",
             "/static/%2E%2E/app.py",
             "/static/.%2e/app.py",
             "/static/%2e./app.py",
             "/static/%2e/a.css",
             "/static/css/..//..//app.py",
         }) {
        INFO(path);
        const static_target t = resolve(path);
        CHECK(t.refused == static_refusal::dot_segment);
        CHECK(t.mount == 0);
        CHECK(t.relative.empty());
    }
    // Before the prefix a dot segment is not the prefix's segment: no mount, the app's.
    CHECK(refusal("/../static/a.css") == static_refusal::not_mapped);
    CHECK(refusal("/./static/a.css") == static_refusal::not_mapped);
    CHECK(refusal("/x/../static/a.css") == static_refusal::not_mapped);
    const std::vector<static_mount> root = {{"/", "/srv", false}};
    CHECK(resolve("/../etc/passwd", root).refused == static_refusal::dot_segment);
    CHECK(resolve("/%2e%2e/etc/passwd", root).refused == static_refusal::dot_segment);
}

TEST_CASE("encoded slashes and backslashes are refused", "[static_target]") {
    for (const char* path : {
             "/static/..%2fapp.py",
             "/static/..%2Fapp.py",
             "/static/%2e%2e%2fapp.py",
             "/static/css%2fa.css",
             "/static/a%5cb",
             "/static/..%5C..%5Capp.py",
             "/static/..\\app.py",
             "/static/a\\b",
         }) {
        INFO(path);
        const static_target t = resolve(path);
        CHECK(t.refused == static_refusal::encoded_slash);
        CHECK(t.relative.empty());
    }
    // One segment: "static%2Fa.css" is not the segment "static".
    CHECK(refusal("/static%2Fa.css") == static_refusal::not_mapped);
}

TEST_CASE("NUL is refused, raw or encoded", "[static_target]") {
    using namespace std::string_view_literals;
    CHECK(refusal("/static/a.css%00.png") == static_refusal::nul);
    CHECK(refusal("/static/a.css%00") == static_refusal::nul);
    CHECK(refusal("/static/a.css\0.png"sv) == static_refusal::nul);
    CHECK(refusal("/static/\0"sv) == static_refusal::nul);
}

TEST_CASE("bad %-escapes are refused", "[static_target]") {
    for (const char* path : {
             "/static/%",
             "/static/a%",
             "/static/a%2",
             "/static/%zz",
             "/static/%2g.css",
             "/static/%g2.css",
             "/static/%%32%65",
             "/static/a%/b",
             "/static/%2/b",
         }) {
        INFO(path);
        CHECK(refusal(path) == static_refusal::bad_escape);
    }
}

TEST_CASE("the first refusal in the path is the one reported", "[static_target]") {
    CHECK(refusal("/static/%zz/../a") == static_refusal::bad_escape);
    CHECK(refusal("/static/../%zz") == static_refusal::dot_segment);
    CHECK(refusal("/static/a%00%2f") == static_refusal::nul);
}

TEST_CASE("each refusal is described for the log", "[static_target]") {
    CHECK(describe(static_refusal::dot_segment) == "a '.' or '..' segment");
    CHECK(describe(static_refusal::encoded_slash) == "an encoded slash or a backslash");
    CHECK(describe(static_refusal::nul) == "a NUL byte");
    CHECK(describe(static_refusal::bad_escape) == "a bad %-escape");
    CHECK(describe(static_refusal::not_mapped) == "no static mount");
    CHECK(describe(static_refusal::none) == "none");
}

TEST_CASE("no mounts map nothing", "[static_target]") {
    const std::vector<static_mount> none;
    const static_target t = resolve("/static/a.css", none);
    CHECK(t.refused == static_refusal::not_mapped);
}

}  // namespace
}  // namespace gantry::protocol
