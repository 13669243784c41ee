"""A unix-socket listener behind nginx; the socket file is removed on shutdown."""

import stat

import requests

from paths import EXAMPLES


def test_unix_socket_through_nginx(gantry, nginx, tmp_path):
    sock = tmp_path / "g.sock"
    g = gantry.start("--module", "app:application", "--chdir", "examples/hello",
                     "--socket", sock, "--processes", "2")
    assert stat.S_ISSOCK(sock.stat().st_mode)
    assert stat.S_IMODE(sock.stat().st_mode) == 0o660, "default --chmod-socket is 660"

    site, _ = nginx.render(EXAMPLES / "hello" / "nginx-site.conf", f"unix:{sock}")
    front = nginx.start(site)
    for _ in range(5):
        resp = requests.get(front.url + "over/unix", timeout=10)
        assert resp.status_code == 200
        assert resp.content == b"Hello, World!\n"

    g.stop()
    assert not sock.exists(), "the socket file must be removed after SIGTERM"
