// --uid / --gid / --chown-socket / --umask: ids parsed strictly (nothing wraps around to
// root), and the check that a privilege drop left nothing of root behind.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "server/options/load_options.hpp"
#include "server/options/option_table.hpp"
#include "server/process/privilege_check.hpp"
#include "server/process/user_ids.hpp"
#include "server/util/config_error.hpp"
#include "tests/unit/server/parse_options.hpp"

namespace server = gantry::server;

namespace {

using server::testing::error_of;
using server::testing::parse;

constexpr const char* expected_id = "expected a name or an id from 0 to 4294967294";

}  // namespace

TEST_CASE("a numeric id is read whole, in range, and never as -1") {
    CHECK(server::parse_numeric_id("0") == 0U);
    CHECK(server::parse_numeric_id("65534") == 65534U);
    CHECK(server::parse_numeric_id("4294967294") == 4294967294U);
    CHECK(server::parse_numeric_id("007") == 7U);
    CHECK_THROWS_AS(server::parse_numeric_id("4294967295"), std::invalid_argument);  // (uid_t)-1
    CHECK_THROWS_AS(server::parse_numeric_id("4294967296"), std::invalid_argument);  // wraps to 0
    CHECK_THROWS_AS(server::parse_numeric_id("99999999999999999999"), std::invalid_argument);
    CHECK_THROWS_AS(server::parse_numeric_id("-1"), std::invalid_argument);
    CHECK_THROWS_AS(server::parse_numeric_id("+5"), std::invalid_argument);
}

TEST_CASE("anything not all digits is a name, looked up later") {
    CHECK_FALSE(server::parse_numeric_id("nobody"));
    CHECK_FALSE(server::parse_numeric_id("12abc"));
    CHECK_FALSE(server::parse_numeric_id(""));
}

TEST_CASE("bad ids are configuration errors that name the option") {
    const std::string tail = std::string(": ") + expected_id;
    CHECK(error_of({"--uid", "4294967296"}) == "--uid" + tail + ", got '4294967296'");
    CHECK(error_of({"--gid", "-1"}) == "--gid" + tail + ", got '-1'");
    CHECK(error_of({"--chown-socket", "www:4294967295"}) ==
          "--chown-socket" + tail + ", got 'www:4294967295'");
    CHECK(error_of({"--uid", "nobody", "--gid", "65534"}) == "no error");
}

TEST_CASE("unknown names are configuration errors that name the option") {
    CHECK_THROWS_WITH(server::find_user("--uid", "no-such-user-gantry"),
                      "--uid no-such-user-gantry: no such user");
    CHECK_THROWS_WITH(server::find_group("--gid", "no-such-group-gantry"),
                      "--gid no-such-group-gantry: no such group");
    CHECK_THROWS_AS(server::find_user("--uid", "4294967296"), server::config_error);
}

TEST_CASE("a numeric uid with no passwd entry is known to have none") {
    const server::user_entry u = server::find_user("--uid", "3999999999");
    CHECK(u.uid == 3999999999U);
    CHECK_FALSE(u.known);
    const server::user_entry root = server::find_user("--uid", "0");
    CHECK(root.known);
    CHECK(root.name == "root");
}

TEST_CASE("--umask and --chown-socket are read and shown back") {
    const server::options o = parse({"--umask", "027", "--chown-socket", "www-data:www-data"});
    CHECK(o.umask == 027);
    CHECK(o.chown_socket == "www-data:www-data");
    const std::string yaml = server::config_yaml(o);
    CHECK(yaml.find("  umask: \"027\"\n") != std::string::npos);
    CHECK(yaml.find("  chown-socket: \"www-data:www-data\"\n") != std::string::npos);
    CHECK(parse({}).umask == -1);
    CHECK(server::config_yaml(parse({})).find("umask") == std::string::npos);
    CHECK(error_of({"--umask", "8"}) ==
          "--umask: expected an octal mode such as 660 or 666, got '8'");
    CHECK(error_of({"--chown-socket", ":grp"}) ==
          "--chown-socket: expected USER or USER:GROUP, got ':grp'");
}

namespace {

server::id_snapshot as(uid_t u, gid_t g, std::vector<gid_t> groups = {}) {
    return {.ruid = u,
            .euid = u,
            .suid = u,
            .rgid = g,
            .egid = g,
            .sgid = g,
            .groups = std::move(groups),
            .became_root = false};
}

const server::id_target nobody{.uid = 65534, .gid = 65534, .groups = {65534}};

}  // namespace

TEST_CASE("a complete drop passes the check") {
    CHECK(server::incomplete_drop(as(65534, 65534, {65534}), nobody, true).empty());
    CHECK(server::incomplete_drop(as(65534, 65534), nobody, true).empty());
    CHECK(server::runs_as(as(65534, 65534), nobody));
    CHECK_FALSE(server::runs_as(as(0, 0), nobody));
}

TEST_CASE("what a drop left of root is named") {
    server::id_snapshot saved_root = as(65534, 65534);
    saved_root.suid = 0;
    CHECK(server::incomplete_drop(saved_root, nobody, true) ==
          "uids are 65534 65534 0 (real, effective, saved), not 65534");
    CHECK_FALSE(server::runs_as(saved_root, nobody));
    CHECK(server::incomplete_drop(as(65534, 0), nobody, true) ==
          "gids are 0 0 0 (real, effective, saved), not 65534");
    CHECK(server::incomplete_drop(as(65534, 65534, {65534, 0}), nobody, true) ==
          "supplementary group 0 is kept");
    server::id_snapshot back = as(65534, 65534);
    back.became_root = true;
    CHECK(server::incomplete_drop(back, nobody, true) == "setuid(0) still succeeds");
}

TEST_CASE("inherited groups are not judged, and --gid alone leaves the uid") {
    // A re-executed master: initgroups() ran in the first one, before the exec.
    CHECK(server::incomplete_drop(as(65534, 65534, {65534, 27}), nobody, false).empty());
    const server::id_target group_only{.uid = std::nullopt, .gid = 1000, .groups = {}};
    CHECK(server::incomplete_drop(as(0, 1000), group_only, true).empty());
    CHECK(server::runs_as(as(0, 1000), group_only));
}
