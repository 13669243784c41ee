// The pieces of an HTTP/1.1 request head that become CGI vars the way nginx's uwsgi_params
// would send them: the request-target split into REQUEST_URI, PATH_INFO and QUERY_STRING,
// the Host split into SERVER_NAME and SERVER_PORT, header names turned into HTTP_* keys.
// Pure functions over views, so each rule is tested on its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gantry::protocol {

struct http_target {
    // RFC 9112 3.2.2 absolute-form ("http://host:port/path?q"): "host:port", which a server
    // must use instead of the Host header. Empty for origin-form ("/path?q").
    std::string_view authority;
    // The origin-form part, REQUEST_URI as nginx sends it: "/path?q". For absolute-form it
    // may be empty or start with '?' ("http://host?q"): the caller puts a '/' in front.
    std::string_view origin;
};

// Splits a request-target. Only origin-form and http(s) absolute-form are served, like
// nginx: "*" (OPTIONS) and authority-form (CONNECT) give nullopt, a 400.
std::optional<http_target> split_target(std::string_view target) noexcept;

struct http_path_query {
    std::string_view path;   // still percent-encoded
    std::string_view query;  // QUERY_STRING: after the first '?', raw; empty without one
};

http_path_query split_query(std::string_view origin) noexcept;

// Appends the percent-decoded `path` to `out`, decoded bytes kept as bytes (PEP 3333 then
// reads PATH_INFO as latin-1). %2F becomes '/', as nginx does. A malformed escape ("%zz",
// a '%' too near the end) is kept as it was sent: refusing it would break clients that
// never encode '%', and decoding it is impossible. '+' is a plus sign in a path.
// Returns false when "%00" was decoded: a NUL in a path is a 400 (nginx's answer too), as
// it ends the path early for whatever C code or filesystem the app hands it to.
bool percent_decode(std::string_view path, std::string& out);

// RFC 3986 5.2.4 remove_dot_segments on the decoded path in `path` from `from` on (an
// absolute path, "/..."), in place: "/a/./b/../c" becomes "/a/c", and ".." never climbs
// above the root. nginx does the same before it sends $document_uri, so an app (or a
// mount) sees "/public/../admin" as "/admin" on both sockets. Cheap when there is nothing
// to remove: one search for "/.".
void remove_dot_segments(std::string& path, std::size_t from = 0);

struct http_host {
    std::string_view name;  // SERVER_NAME: a reg-name, IPv4 or "[IPv6]" literal, as sent
    std::string_view port;  // SERVER_PORT: digits, or empty when the Host names none
};

// Splits a Host header value (or an absolute-form authority) per RFC 3986 3.2.2:
// host [ ":" port ]. nullopt for bytes no host contains ('/', '@', spaces, controls...),
// which nginx refuses too: they are how a forged Host reaches a cache key or a redirect.
std::optional<http_host> split_host(std::string_view value) noexcept;

// Appends the CGI key of a header: "HTTP_" + the name upper-cased, '-' made '_'.
void append_cgi_key(std::string_view header_name, std::string& out);

}  // namespace gantry::protocol
