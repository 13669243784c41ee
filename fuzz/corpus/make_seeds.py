#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from the test corpora
and a few hand-written inputs. Run it again after changing either; make fuzz never writes
here (what a run discovers stays in build-fuzz/corpus/<target>/)."""

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
UNIT = REPO / "tests" / "unit"


def write(target: str, name: str, data: bytes) -> None:
    folder = HERE / target
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)


def copy(target: str, files, prefix: str = "") -> None:
    for f in sorted(files):
        write(target, prefix + f.name, f.read_bytes())


def uwsgi() -> None:
    # The codec corpus as it is (the harness takes raw packets), but for the 64 KiB head: the
    # largest seed sets libFuzzer's -max_len, and vars_at_limit already reaches the limit.
    for kind in ("valid", "invalid"):
        files = (UNIT / "protocol" / "corpus" / kind).glob("*.bin")
        copy("uwsgi_request", [f for f in files if f.name != "vars_65535.bin"], kind + "_")


HTTP = {
    "get": b"GET /hello?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: t\r\n\r\n",
    "post_length": b"POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-"
                   b"urlencoded\r\nContent-Length: 11\r\n\r\nname=gantry",
    "chunked": b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
    "pipelined": b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                 b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                 b"GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "http10_keepalive": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
    "expect_continue": b"PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                       b"Content-Length: 4\r\n\r\nbody",
    "headers_repeated": b"GET /%7Euser/a%20b HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nCookie: b=2\r\n"
                        b"Accept: x\r\nAccept: y\r\nX_Under: dropped\r\n\r\n",
    "chunked_bad": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "length_and_chunked": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "leading_crlf": b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
}


def http() -> None:
    # Two control bytes (see http_request_fuzz.cpp): whole; byte by byte with 3-byte body
    # pieces; 7-byte reads with small limits.
    for name, request in HTTP.items():
        write("http_request", name + "_whole", b"\x00\x00" + request)
        write("http_request", name + "_bytewise", b"\x01\x03" + request)
        write("http_request", name + "_small", b"\x87\x00" + request)


def framing() -> None:
    # FuzzedDataProvider input: any bytes make a response; a few different shapes.
    write("http_framing", "zeros", bytes(64))
    write("http_framing", "ones", b"\xff" * 64)
    write("http_framing", "ramp", bytes(range(256)))
    write("http_framing", "text", b"Content-Length: 12\r\nTransfer-Encoding: chunked\r\n" * 2)


def configs() -> None:
    copy("yaml_config", (UNIT / "server" / "data").glob("*.yaml"), "data_")
    copy("yaml_config", (UNIT / "server" / "config_corpus").glob("*.yaml"))
    copy("ini_config", (UNIT / "server" / "config_corpus").glob("*.ini"))


CRON = [
    "*/5 * * * *", "0 0 1 1 *", "30 4 1,15 * 5", "0 22 * * 1-5", "15 14 1 * *",
    "0 0 29 2 *", "0 0 30 2 *", "5 4 * jan-mar sun", "0 0 * * fri-sun", "*/15 9-17 * * mon-fri",
    "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
    "@every 10s", "@every 1h30m", "@every 90m", "-5 -1 -1 -1 -1", "0 -2 -1 -3 -1",
    "*/5 * * * * /usr/bin/true", "@every 5m tasks:refresh", "@daily   /usr/bin/env  A=1 x",
    "0 */5 * * * *", "61 * * * *", "1-60/7 * * * *",
]


def cron() -> None:
    for i, spec in enumerate(CRON):
        write("cron_schedule", f"spec_{i:02d}", spec.encode())


if __name__ == "__main__":
    for folder in HERE.iterdir():
        if folder.is_dir():
            shutil.rmtree(folder)
    uwsgi()
    http()
    framing()
    configs()
    cron()
