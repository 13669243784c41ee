"""The private nginx in front of each server (tools/nginx_front.py runs it).

Buffers are sized so that a 1 MiB body, either way, stays in nginx's memory: otherwise
nginx writes it to a temp file per request and the disk, not the server, is measured.
No access log, for the same reason.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from nginx_front import NginxFront, free_port, render_site  # noqa: E402

__all__ = ["NginxFront", "free_port", "uwsgi_site", "proxy_site", "keepalive_site", "ROOT"]

_COMMON = """\
    listen 127.0.0.1:{port};
    access_log off;
    client_max_body_size 2m;
    client_body_buffer_size 2m;
"""

_UWSGI_SITE = """\
server {
%s
    location / {
        include uwsgi_params;
        uwsgi_pass 127.0.0.1:1;
        uwsgi_buffers 16 128k;
    }
}
"""

# gunicorn speaks only HTTP: nginx proxies to it, as gunicorn's own docs deploy it.
_PROXY_SITE = """\
server {
%s
    location / {
        proxy_pass http://%s;
        proxy_set_header Host $http_host;
        proxy_buffers 16 128k;
    }
}
"""


# The keep-alive path: nginx keeps a pool of upstream connections open (HTTP/1.1, no
# "Connection: close" passed on) and reuses them, instead of a connect per request as
# uwsgi_pass must. 64 idle connections per nginx worker: more than the 32 clients.
_KEEPALIVE_SITE = """\
upstream app_server {
    server %s;
    keepalive 64;
}
server {
%s
    location / {
        proxy_pass http://app_server;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_buffers 16 128k;
    }
}
"""


def uwsgi_site(port: int, upstream: str) -> str:
    """A site passing every request to `upstream` ("127.0.0.1:P" or "unix:/path")."""
    return render_site(_UWSGI_SITE % _COMMON.format(port=0), port, upstream)


def proxy_site(port: int, upstream: str) -> str:
    """A site proxying every request over HTTP to `upstream` ("127.0.0.1:P")."""
    return render_site(_PROXY_SITE % (_COMMON.format(port=0), upstream), port, "unused")


def keepalive_site(port: int, upstream: str) -> str:
    """A site proxying over HTTP/1.1 to `upstream` ("127.0.0.1:P" or "unix:/path"), keeping
    upstream connections alive."""
    # render_site points the upstream block's server at `upstream`.
    return render_site(_KEEPALIVE_SITE % ("127.0.0.1:1", _COMMON.format(port=0)), port, upstream)
