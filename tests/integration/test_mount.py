"""--mount /prefix=module:callable: the longest prefix that PATH_INFO starts with, at a '/'
boundary, picks the app, and moves from PATH_INFO into SCRIPT_NAME (PEP 3333)."""

from __future__ import annotations

import json

from paths import APPS

MOUNTS = ("--mount", "/a=mounted:app_a", "--mount", "/b=mountpkg.b_app",
          "--mount", "/a/deep=mounted:app_deep")


def mount_app(port, *extra):
    return ("--chdir", APPS / "mount", "--socket", f"127.0.0.1:{port}", *extra)


def seen(g, path, query="", **kwargs) -> dict:
    resp = g.request(path=path, query=query, **kwargs)
    assert resp.status == 200, f"{path}: {resp.raw[:300]!r}"
    return json.loads(resp.body)


CASES = [
    # path, query: app, SCRIPT_NAME, PATH_INFO
    ("/a", "", "a", "/a", ""),
    ("/a/", "", "a", "/a", "/"),
    ("/a/x/y", "q=1", "a", "/a", "/x/y"),
    ("/a/deep", "", "a/deep", "/a/deep", ""),
    ("/a/deep/er", "", "a/deep", "/a/deep", "/er"),
    ("/a/deeper", "", "a", "/a", "/deeper"),
    ("/b/z", "", "b", "/b", "/z"),
    ("/ab", "", "root", "", "/ab"),
    ("/bb/a", "", "root", "", "/bb/a"),
    ("/", "", "root", "", "/"),
    ("/c/a", "k=v", "root", "", "/c/a"),
]


def test_mounted_apps_get_their_prefix_in_script_name(gantry, port):
    g = gantry.start(*mount_app(port, "--module", "mounted:root", *MOUNTS))
    failures = []
    for path, query, app, script_name, path_info in CASES:
        got = seen(g, path, query)
        want = {"app": app, "SCRIPT_NAME": script_name, "PATH_INFO": path_info,
                "QUERY_STRING": query, "REQUEST_URI": path + (f"?{query}" if query else "")}
        if got != want:
            failures.append(f"{path}?{query}: want {want}\n    got {got}")
    assert not failures, "\n".join(failures)


def test_script_name_from_the_front_is_honoured(gantry, port):
    """No mount matches: the SCRIPT_NAME that nginx sent (uwsgi_param) reaches the app."""
    g = gantry.start(*mount_app(port, "--module", "mounted:root", *MOUNTS))
    got = seen(g, "/x/y", extra_vars=[(b"SCRIPT_NAME", b"/front")])
    assert (got["app"], got["SCRIPT_NAME"], got["PATH_INFO"]) == ("root", "/front", "/x/y")


def test_only_mounts_and_no_root_app(gantry, port):
    """Without --module nothing serves the paths outside the mounts: 404, not a crash."""
    g = gantry.start(*mount_app(port, *MOUNTS))
    [worker] = g.wait_for_workers(1)
    assert seen(g, "/a/q")["app"] == "a"
    assert g.request(path="/elsewhere").status == 404
    assert g.request(path="/ab").status == 404
    assert seen(g, "/b")["app"] == "b"
    assert g.worker_pids() == [worker]
