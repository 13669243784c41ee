"""The soak's hostile traffic, straight to gantry's sockets, each run by threads until
`stop` is set; what happened goes to the traffic.Ledger.

- Slow clients (SlowClient): a request head or body a byte at a time, or stalled half-way.
  Gantry is expected to cut them off; how long it took (or that it never did) is recorded,
  not judged.
- Malformed traffic (Malformed): broken uwsgi packets and broken HTTP requests. Expected:
  refused (an error status, or a closed connection).
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time

import uwsgi_client
from uwsgi_client import encode_packet, encode_vars, header, nginx_vars


# -- slow clients -------------------------------------------------------------------------

class SlowClient(threading.Thread):
    """One slow connection after another, straight to gantry: to the uwsgi socket or to
    the --http-socket, a head or a body, either trickled (a byte every `trickle`
    seconds) or stalled (half of it at once, then silence). Gives up after `cap`
    seconds ("outlasted")."""

    def __init__(self, name, ledger, stop, proto, address, cap, trickle, seed):
        super().__init__(name=name, daemon=True)
        self.ledger, self.stop, self.proto, self.address = ledger, stop, proto, address
        self.cap, self.trickle = cap, trickle
        self.rng = random.Random(seed)

    def request_bytes(self, part: str) -> tuple[bytes, int]:
        """The whole request, and how many leading bytes to send at once."""
        if self.proto == "http":
            head = (b"POST /up/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: soak-slow\r\n"
                    b"Content-Type: application/octet-stream\r\nContent-Length: 4096\r\n"
                    b"X-Padding: " + b"p" * 200 + b"\r\n\r\n")
        else:
            vars_ = nginx_vars("POST", "/up/upload", body=b"x" * 4096,
                               headers={"Content-Type": "application/octet-stream",
                                        "X-Padding": "p" * 200})
            head = encode_packet(vars_)
        body = b"b" * 4096
        # A head: its first 10 bytes at once, then the rest slowly; a body: the head at once.
        return head + body, (10 if part == "head" else len(head))

    def run(self) -> None:
        modes = [(part, style) for part in ("head", "body") for style in ("trickle", "stall")]
        i = self.rng.randrange(len(modes))
        while not self.stop.is_set():
            part, style = modes[i % len(modes)]
            i += 1
            self.one(part, style)

    def one(self, part: str, style: str) -> None:
        data, first = self.request_bytes(part)
        rec = {"proto": self.proto, "part": part, "style": style,
               "start": round(self.ledger.now(), 3)}
        t = time.monotonic()
        try:
            sock = uwsgi_client.connect(self.address, timeout=5)
        except OSError as e:
            rec.update(outcome="connect-failed", error=repr(e), seconds=0)
            self.ledger.add("slow", rec)
            self.stop.wait(1)
            return
        answer = bytearray()
        sent = 0
        outcome = "outlasted"
        try:
            if style == "stall":  # half of what is left at once too, then silence
                first, stall_at = first + (len(data) - first) // 2, 0
            else:
                stall_at = len(data)
            sock.sendall(data[:first])
            sent = first
            sock.setblocking(False)
            next_byte = time.monotonic() + self.trickle
            while True:
                now = time.monotonic()
                if now - t > self.cap:
                    break
                if self.stop.is_set():
                    outcome = "soak-ended"
                    break
                try:
                    chunk = sock.recv(65536)
                    if not chunk:
                        outcome = "cut-off"
                        break
                    answer += chunk
                except BlockingIOError:
                    pass
                if sent < stall_at and now >= next_byte:
                    sock.send(data[sent:sent + 1])
                    sent += 1
                    next_byte = now + self.trickle
                time.sleep(0.05)
        except (ConnectionResetError, BrokenPipeError) as e:
            outcome, rec["error"] = "cut-off", repr(e)
        finally:
            sock.close()
        rec.update(outcome=outcome, seconds=round(time.monotonic() - t, 2), bytes_sent=sent,
                   answer=bytes(answer[:60]).decode("latin-1"))
        self.ledger.add("slow", rec)


# -- malformed traffic --------------------------------------------------------------------

def _vars_with(name: bytes, value: bytes) -> list:
    return [(k, value if k == name else v)
            for k, v in nginx_vars("POST", "/up/upload", body=b"x")]


def _packet(block: bytes) -> bytes:
    return header(len(block)) + block


UWSGI_MALFORMED = {
    # name: (bytes, close our write side after sending)
    "truncated-header": (b"\x00\x10", True),
    "bad-modifier1": (encode_packet(nginx_vars(), modifier1=5), False),
    "key-past-block": (header(10) + struct.pack("<H", 100) + b"PATH_INF", False),
    "value-past-block": (header(17) + struct.pack("<H", 4) + b"HOST" + struct.pack("<H", 200)
                         + b"localhost", False),
    "zero-length-key": (_packet(encode_vars(nginx_vars()) + b"\0\0\3\0abc"), False),
    "truncated-block": (header(1000) + encode_vars(nginx_vars())[:20], True),
    "content-length-abc": (encode_packet(_vars_with(b"CONTENT_LENGTH", b"abc"), b"x"), False),
    "content-length-negative": (encode_packet(_vars_with(b"CONTENT_LENGTH", b"-1"), b"x"), False),
    "body-shorter-than-length": (encode_packet(_vars_with(b"CONTENT_LENGTH", b"1000"), b"x" * 10),
                                 True),
}

HTTP_MALFORMED = {
    "garbage": (b"GARBAGE\r\n\r\n", False),
    "header-without-colon": (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n", False),
    "content-length-abc": (b"POST /up/upload HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                           False),
    "two-content-lengths": (b"POST /up/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                            b"Content-Length: 5\r\n\r\nabcde", False),
    "bad-chunk-size": (b"POST /up/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       b"\r\nzz\r\n", False),
    "nul-in-header-name": (b"GET / HTTP/1.1\r\nHo\0st: x\r\n\r\n", False),
    "huge-header": (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n", False),
    "body-shorter-than-length": (b"POST /up/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000"
                                 b"\r\n\r\nabc", True),
}


class Malformed(threading.Thread):
    """One malformed request every `every` seconds, uwsgi and HTTP in turn."""

    VERDICT_TIMEOUT = 10.0

    def __init__(self, ledger, stop, uwsgi_address, http_address, every, seed):
        super().__init__(name="malformed", daemon=True)
        self.ledger, self.stop, self.every = ledger, stop, every
        self.cases = ([("uwsgi", n, d, s, uwsgi_address) for n, (d, s) in UWSGI_MALFORMED.items()]
                      + [("http", n, d, s, http_address) for n, (d, s) in HTTP_MALFORMED.items()])
        random.Random(seed).shuffle(self.cases)

    def run(self) -> None:
        i = 0
        while not self.stop.wait(self.every):
            proto, name, data, shutdown, address = self.cases[i % len(self.cases)]
            i += 1
            rec = {"proto": proto, "case": name, "at": round(self.ledger.now(), 3)}
            try:
                res = uwsgi_client.send_raw(address, data, timeout=self.VERDICT_TIMEOUT,
                                            shutdown_write=shutdown)
                status = res.data[9:12] if res.data.startswith(b"HTTP/1.") else b""
                if not res.data:
                    rec["outcome"] = "closed"  # no answer, connection closed (or reset)
                elif status[:1] in (b"4", b"5"):
                    rec["outcome"] = "refused"
                else:
                    rec["outcome"] = "accepted"
                rec["answer"] = res.data[:80].decode("latin-1")
            except socket.timeout:
                rec["outcome"] = "no-verdict"
            except OSError as e:
                rec["outcome"], rec["error"] = "closed", repr(e)
            self.ledger.add("malformed", rec)
