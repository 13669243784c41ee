"""Malformed uwsgi packets: a logged, closed connection, never a dead worker.

Each case runs against its own gantry (two workers, --buffer-size 4096) on
its own connection; afterwards normal requests still work and the worker pids
are unchanged.
"""

import struct

import pytest

import uwsgi_client
from uwsgi_client import encode_packet, encode_vars, header, nginx_vars

HELLO = b"Hello, World!\n"
BUFFER_SIZE = 4096


def vars_with(name: bytes, value: bytes) -> list:
    return [(k, value if k == name else v) for k, v in nginx_vars("POST", "/", body=b"x")]


def packet_key_past_block() -> bytes:
    # The block says it holds 10 bytes; the first key claims 100.
    block = struct.pack("<H", 100) + b"PATH_INF"
    return header(len(block)) + block


def packet_value_past_block() -> bytes:
    block = struct.pack("<H", 4) + b"HOST" + struct.pack("<H", 200) + b"localhost"
    return header(len(block)) + block


def packet_zero_length_key() -> bytes:
    block = encode_vars(nginx_vars()) + struct.pack("<H", 0) + struct.pack("<H", 3) + b"abc"
    return header(len(block)) + block


def packet_too_large() -> bytes:
    pairs = nginx_vars() + [(b"HTTP_X_PADDING", b"p" * 5000)]
    block = encode_vars(pairs)
    assert BUFFER_SIZE < len(block) < 65536
    return header(len(block)) + block


CASES = {
    # name: (bytes to send, close our write side after sending, log reason)
    "truncated-header": (b"\x00\x10", True, "truncated packet header"),
    "bad-modifier1": (encode_packet(nginx_vars(), modifier1=5), False, "unsupported modifier1"),
    "key-past-block": (packet_key_past_block(), False, "truncated key"),
    "value-past-block": (packet_value_past_block(), False, "truncated value"),
    "zero-length-key": (packet_zero_length_key(), False, "zero-length key"),
    "vars-larger-than-buffer": (packet_too_large(), False, "vars block larger than"),
    "content-length-abc": (encode_packet(vars_with(b"CONTENT_LENGTH", b"abc"), b"x"), False,
                           "invalid CONTENT_LENGTH"),
    "content-length-negative": (encode_packet(vars_with(b"CONTENT_LENGTH", b"-1"), b"x"), False,
                                "invalid CONTENT_LENGTH"),
}


@pytest.mark.parametrize("case", CASES)
def test_malformed_packet_closes_only_that_connection(gantry, port, case):
    data, shutdown_write, reason = CASES[case]
    g = gantry.start("--module", "app:application", "--chdir", "examples/hello",
                     "--socket", f"127.0.0.1:{port}", "--processes", "2",
                     "--buffer-size", str(BUFFER_SIZE))
    workers = g.wait_for_workers(2)

    result = g.send_raw(data, shutdown_write=shutdown_write, timeout=10)
    assert not result.data.startswith((b"HTTP/1.1 2", b"HTTP/1.0 2")), (
        f"a malformed packet got a success response: {result.data[:200]!r}")

    g.wait_for_log(reason)
    for _ in range(4):
        resp = g.request()
        assert (resp.status, resp.body) == (200, HELLO)
    assert g.worker_pids() == workers, "no worker may die on a malformed packet"


def test_vars_block_of_exactly_buffer_size_is_accepted(gantry, port):
    """--buffer-size is the largest block accepted: a block of exactly that size is served."""
    g = gantry.start("--module", "app:application", "--chdir", "examples/hello",
                     "--socket", f"127.0.0.1:{port}", "--buffer-size", str(BUFFER_SIZE))
    base = len(encode_vars(nginx_vars() + [(b"HTTP_X_PADDING", b"")]))
    pairs = nginx_vars() + [(b"HTTP_X_PADDING", b"p" * (BUFFER_SIZE - base))]
    assert len(encode_vars(pairs)) == BUFFER_SIZE
    resp = uwsgi_client.parse_response(g.send_raw(encode_packet(pairs)).data)
    assert (resp.status, resp.body) == (200, HELLO)
