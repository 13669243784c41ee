#!/usr/bin/python3
"""Writes the uwsgi packet corpus that tests/unit/protocol/request_parser_test.cpp runs.

Each case is two files side by side: `<name>.bin`, the bytes a peer sends, and
`<name>.expect`, what request_parser must make of them. The .bin files are checked in
(and shared with the fuzz corpus); rerun this script after changing a case:

    /usr/bin/python3 tests/unit/protocol/corpus/make_corpus.py

A uwsgi packet is modifier1 (u8), datasize (u16 LE), modifier2 (u8), then datasize bytes
of vars, each key_len (u16 LE), key, val_len (u16 LE), value; the body follows.

.expect format, one directive a line, `#` starts a comment line:
    max_vars N          the parser's limit on datasize (default: request_parser's default)
  valid/ only:
    modifier1 N, modifier2 N, content_length N
    head_size N         what feed() returns: 4 + datasize
    body_bytes N        bytes of the file after the head
    var KEY=VALUE       every var, in packet order
    find KEY=VALUE      head().find(KEY) returns VALUE (the last one)
    absent KEY          head().find(KEY) returns nothing
  invalid/ only:
    error NAME          the gantry::protocol::errc enumerator
    reported_by feed    feed() sets the error once the bytes show it
    reported_by finish  feed() waits for more; finish() (peer closed) returns the error
    head_size N         with `finish`: head_size() once every byte was fed
KEY and VALUE are percent-encoded: bytes outside 0x21..0x7e, `%` and `=` become %XX.

Stdlib only.
"""

import pathlib
import re
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
UWSGI_PARAMS = pathlib.Path("/etc/nginx/uwsgi_params")
DEFAULT_MAX_VARS = 65535
SMALL_MAX_VARS = 4096


def u16(n):
    return struct.pack("<H", n)


def b(s):
    """Text to the bytes a peer sends; latin-1 keeps every code point below 256 as one byte."""
    return s if isinstance(s, bytes) else s.encode("latin-1")


def encode_var(key, value):
    key, value = b(key), b(value)
    return u16(len(key)) + key + u16(len(value)) + value


def vars_block(pairs):
    return b"".join(encode_var(k, v) for k, v in pairs)


def packet(block, modifier1=0, modifier2=0, datasize=None):
    size = len(block) if datasize is None else datasize
    return bytes([modifier1]) + u16(size) + bytes([modifier2]) + block


def escape(data):
    out = []
    for byte in b(data):
        if 0x21 <= byte <= 0x7E and byte not in b"%=":
            out.append(chr(byte))
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


# --- nginx --------------------------------------------------------------------------------

# What nginx would substitute for the variables of uwsgi_params, for one GET over TLS.
NGINX_GET = {
    "query_string": "q=gantry&page=2",
    "request_method": "GET",
    "content_type": "",
    "content_length": "",
    "request_uri": "/search?q=gantry&page=2",
    "document_uri": "/search",
    "document_root": "/usr/share/nginx/html",
    "server_protocol": "HTTP/1.1",
    "scheme": "https",
    "https": "on",
    "remote_addr": "203.0.113.7",
    "remote_port": "52814",
    "server_port": "443",
    "server_name": "example.com",
    "host": "example.com",
    "is_request_port": "",
    "request_port": "",
}

# The client's headers, which nginx passes on as HTTP_* after the params (uwsgi_pass_request_
# headers is on by default), except those a uwsgi_param already set.
NGINX_GET_HEADERS = [
    ("HTTP_HOST", "example.com:443"),
    ("HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0"),
    ("HTTP_ACCEPT", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("HTTP_ACCEPT_LANGUAGE", "en-GB,en;q=0.5"),
    ("HTTP_ACCEPT_ENCODING", "gzip, deflate, br"),
    ("HTTP_COOKIE", "session=4f2a9c; theme=dark"),
    ("HTTP_CONNECTION", "close"),
]


def read_uwsgi_params():
    """[(name, value template, flags)] of the stock /etc/nginx/uwsgi_params, in file order."""
    if not UWSGI_PARAMS.is_file():
        sys.exit(f"{UWSGI_PARAMS} not found: install nginx-common")
    params = []
    for lineno, line in enumerate(UWSGI_PARAMS.read_text().splitlines(), 1):
        words = line.split("#", 1)[0].strip().rstrip(";").split()
        if not words:
            continue
        if words[0] != "uwsgi_param" or len(words) < 3:
            sys.exit(f"{UWSGI_PARAMS}:{lineno}: unexpected line: {line.strip()}")
        params.append((words[1], words[2], words[3:]))
    return params


def nginx_vars(variables, headers):
    """The vars nginx sends for uwsgi_params with `variables`, then the request headers."""
    out = []

    def substitute(match):
        name = match.group(1)
        if name not in variables:
            sys.exit(f"{UWSGI_PARAMS}: no test value for nginx variable ${name}")
        return variables[name]

    for name, template, flags in read_uwsgi_params():
        value = re.sub(r"\$(\w+)", substitute, template)
        if "if_not_empty" in flags and not value:
            continue
        out.append((name, value))
    already = {name for name, _ in out}
    out += [(name, value) for name, value in headers if name not in already]
    return out


# --- cases --------------------------------------------------------------------------------


class Corpus:
    def __init__(self):
        self.written = {"valid": set(), "invalid": set()}

    def _write(self, folder, name, data, lines):
        directory = HERE / folder
        directory.mkdir(exist_ok=True)
        (directory / f"{name}.bin").write_bytes(data)
        (directory / f"{name}.expect").write_text("\n".join(lines) + "\n")
        self.written[folder].update({f"{name}.bin", f"{name}.expect"})

    def valid(self, name, comment, pairs, content_length, body=b"", modifier2=0,
              max_vars=None, finds=(), absent=()):
        block = vars_block(pairs)
        data = packet(block, modifier2=modifier2) + body
        lines = [f"# {comment}"]
        if max_vars is not None:
            lines.append(f"max_vars {max_vars}")
        lines += [
            "modifier1 0",
            f"modifier2 {modifier2}",
            f"head_size {4 + len(block)}",
            f"content_length {content_length}",
            f"body_bytes {len(body)}",
        ]
        lines += [f"var {escape(k)}={escape(v)}" for k, v in pairs]
        lines += [f"find {escape(k)}={escape(v)}" for k, v in finds]
        lines += [f"absent {escape(k)}" for k in absent]
        self._write("valid", name, data, lines)

    def invalid(self, name, comment, data, error, reported_by, max_vars=None, head_size=None):
        lines = [f"# {comment}"]
        if max_vars is not None:
            lines.append(f"max_vars {max_vars}")
        lines += [f"error {error}", f"reported_by {reported_by}"]
        if head_size is not None:
            lines.append(f"head_size {head_size}")
        self._write("invalid", name, data, lines)

    def remove_stale(self):
        for folder, names in self.written.items():
            for path in (HERE / folder).iterdir():
                if path.suffix in (".bin", ".expect") and path.name not in names:
                    path.unlink()


def valid_cases(corpus):
    get = nginx_vars(NGINX_GET, NGINX_GET_HEADERS)
    names = {name for name, _, _ in read_uwsgi_params()}
    missing = names - {name for name, _ in get}
    assert not missing, f"nginx_get lacks {missing}"
    corpus.valid(
        "nginx_get", "a GET over TLS as nginx sends it with the stock uwsgi_params",
        get, content_length=0,
        finds=[("REQUEST_METHOD", "GET"), ("HTTP_HOST", "example.com"), ("CONTENT_LENGTH", "")],
        absent=["HTTP_AUTHORIZATION", "wsgi.input"])

    body = b"name=gantry&lang=c%2B%2B&stars=5"
    post_variables = dict(NGINX_GET, request_method="POST", query_string="",
                          request_uri="/signup", document_uri="/signup",
                          content_type="application/x-www-form-urlencoded",
                          content_length=str(len(body)), scheme="http", https="",
                          server_port="80")
    post = nginx_vars(post_variables, [("HTTP_ORIGIN", "http://example.com")])
    corpus.valid(
        "nginx_post_form", "a form POST with its body after the head (plain http: no HTTPS var)",
        post, content_length=len(body), body=body,
        finds=[("CONTENT_LENGTH", str(len(body)))], absent=["HTTPS"])

    corpus.valid("empty_vars", "datasize 0: a head with no vars at all", [], content_length=0,
                 absent=["CONTENT_LENGTH", "REQUEST_METHOD"])

    corpus.valid(
        "empty_value", "a var whose value is empty is there, unlike an absent one",
        [("REQUEST_METHOD", "GET"), ("QUERY_STRING", ""), ("PATH_INFO", "/")], content_length=0,
        finds=[("QUERY_STRING", "")], absent=["HTTP_COOKIE"])

    corpus.valid(
        "empty_content_length", "nginx sends CONTENT_LENGTH empty when there is no body",
        [("REQUEST_METHOD", "GET"), ("CONTENT_LENGTH", ""), ("CONTENT_TYPE", "")],
        content_length=0)

    corpus.valid(
        "content_length_zero", "an explicit 0",
        [("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "0")], content_length=0)

    corpus.valid(
        "content_length_max", "the largest CONTENT_LENGTH that fits 64 bits (body not sent yet)",
        [("REQUEST_METHOD", "PUT"), ("CONTENT_LENGTH", "18446744073709551615")],
        content_length=18446744073709551615)

    corpus.valid(
        "repeated_key", "a header sent twice: both vars are kept, find() returns the last",
        [("REQUEST_METHOD", "GET"), ("HTTP_X_FORWARDED_FOR", "198.51.100.1"),
         ("PATH_INFO", "/"), ("HTTP_X_FORWARDED_FOR", "203.0.113.9")],
        content_length=0, finds=[("HTTP_X_FORWARDED_FOR", "203.0.113.9")])

    # The biggest block the u16 datasize can describe, at the default limit; the key of 300
    # bytes and the long value need both bytes of their u16 lengths.
    fixed = [("REQUEST_METHOD", "GET"), ("HTTP_X_" + "K" * 293, "x"), ("CONTENT_LENGTH", "")]
    filler = 65535 - len(vars_block(fixed)) - len(vars_block([("QUERY_STRING", "")]))
    query = ("q=" + "abcdefghij" * 6600)[:filler]
    big = fixed + [("QUERY_STRING", query)]
    assert len(vars_block(big)) == 65535
    corpus.valid("vars_65535", "datasize 65535, the u16 maximum, with the default limit",
                 big, content_length=0)

    at_limit = [("REQUEST_METHOD", "GET")]
    filler = SMALL_MAX_VARS - len(vars_block(at_limit)) - len(vars_block([("HTTP_COOKIE", "")]))
    at_limit.append(("HTTP_COOKIE", "c" * filler))
    assert len(vars_block(at_limit)) == SMALL_MAX_VARS
    corpus.valid("vars_at_limit", "datasize equal to max_vars is accepted", at_limit,
                 content_length=0, max_vars=SMALL_MAX_VARS)

    corpus.valid(
        "binary_values",
        "nginx passes raw bytes: latin-1, NUL, 0xff, CR LF, `=` and `%` in values and keys",
        [("PATH_INFO", "/caf\xe9/\xfc\xdf"), ("HTTP_X_BLOB", b"\x00\x01\xff\xfe\x80\x7f"),
         ("HTTP_X_CRLF", "a\r\nb"), ("QUERY_STRING", "a=1&b=%41%00 c"),
         ("HTTP_X_\xe9=%", "key with latin-1, `=` and `%`"), ("CONTENT_LENGTH", "3")],
        content_length=3, body=b"\x00\xff\n",
        finds=[("HTTP_X_BLOB", b"\x00\x01\xff\xfe\x80\x7f"), ("HTTP_X_\xe9=%",
                                                               "key with latin-1, `=` and `%`")])

    corpus.valid("modifier2_nonzero", "modifier2 255 is decoded unsigned and otherwise ignored",
                 [("REQUEST_METHOD", "GET"), ("PATH_INFO", "/")], content_length=0,
                 modifier2=255)


def invalid_cases(corpus):
    get = vars_block([("REQUEST_METHOD", "GET"), ("PATH_INFO", "/")])
    body = b"BODYBYTES-THAT-ARE-NOT-VARS"

    for n in (1, 2, 3):
        corpus.invalid(f"truncated_header_{n}", f"the peer closed after {n} of the 4 header bytes",
                       packet(get)[:n], "truncated_header", "finish", head_size=0)
    corpus.invalid("eof_after_header", "the peer closed right after the 4-byte header",
                   packet(get)[:4], "truncated_vars", "finish", head_size=4 + len(get))
    corpus.invalid("eof_in_vars", "the peer closed in the middle of a value",
                   packet(get)[:4 + len(get) - 3], "truncated_vars", "finish",
                   head_size=4 + len(get))

    # A key length past the block's end must not be satisfied by the body bytes behind it.
    block = u16(2) + b"OK" + u16(1) + b"v" + u16(20) + b"SHORT"
    corpus.invalid("key_past_end", "the second key's length runs 15 bytes past the block (into "
                   "the body)", packet(block) + body, "truncated_key", "feed")
    block = vars_block([("REQUEST_METHOD", "GET")]) + b"\x07"
    corpus.invalid("lone_trailing_byte", "one byte left after the last var: half a key length",
                   packet(block), "truncated_key", "feed")
    block = vars_block([("REQUEST_METHOD", "GET")]) + u16(4) + b"PATH" + u16(10) + b"/abc"
    corpus.invalid("value_past_end", "a value length 6 bytes past the block (into the body)",
                   packet(block) + body, "truncated_value", "feed")
    block = vars_block([("REQUEST_METHOD", "GET")]) + u16(4) + b"PATH"
    corpus.invalid("value_length_missing", "the block ends right after a key",
                   packet(block), "truncated_value", "feed")
    block = vars_block([("REQUEST_METHOD", "GET")]) + u16(4) + b"PATH" + b"\x01"
    corpus.invalid("value_length_cut", "the block ends inside a value length",
                   packet(block), "truncated_value", "feed")
    block = vars_block([("REQUEST_METHOD", "GET")]) + u16(0) + u16(3) + b"abc"
    corpus.invalid("empty_key", "a var with a zero-length key", packet(block), "empty_key", "feed")

    block = vars_block([("REQUEST_METHOD", "GET")])
    filler = SMALL_MAX_VARS + 1 - len(block) - len(vars_block([("HTTP_COOKIE", "")]))
    block += vars_block([("HTTP_COOKIE", "c" * filler)])
    assert len(block) == SMALL_MAX_VARS + 1
    corpus.invalid("vars_too_large", "datasize one byte over max_vars (a well-formed block)",
                   packet(block), "vars_too_large", "feed", max_vars=SMALL_MAX_VARS)

    for name, value in [("abc", "abc"), ("negative", "-1"), ("plus_sign", "+5"),
                        ("leading_space", " 5"), ("trailing_space", "5 "),
                        ("overflow", "18446744073709551616"), ("hex", "0x10")]:
        block = vars_block([("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", value)])
        corpus.invalid(f"content_length_{name}", f"CONTENT_LENGTH {value!r}",
                       packet(block) + b"hello", "bad_content_length", "feed")

    corpus.invalid("modifier1_5", "modifier1 5 (PSGI in uWSGI), otherwise a fine GET",
                   packet(get, modifier1=5), "unsupported_modifier", "feed")


def main():
    corpus = Corpus()
    valid_cases(corpus)
    invalid_cases(corpus)
    corpus.remove_stale()
    for folder, names in corpus.written.items():
        print(f"{folder}: {len(names) // 2} cases")


if __name__ == "__main__":
    main()
