"""YAML configuration: same behaviour as the flags, command line wins, errors name file:line."""

import json
import re

import pytest

from gantry_proc import free_ports
from paths import EXAMPLES, REPO
from procs import listening_tcp_ports

FLASK_YAML = EXAMPLES / "flask" / "gantry.yaml"


def normalized(g, path):
    """A response with the serving worker's pid taken out (it differs between runs)."""
    resp = g.request(path=path.partition("?")[0], query=path.partition("?")[2])
    assert resp.status == 200, resp.body
    workers = g.worker_pids()
    if resp.header("Content-Type", "").startswith("application/json"):
        data = json.loads(resp.body)
        assert data.pop("pid") in workers
        return resp.status, data
    m = re.search(r"worker pid (\d+)", resp.text)
    assert m and int(m.group(1)) in workers
    return resp.status, resp.text.replace(m.group(0), "worker pid N")


@pytest.mark.parametrize("where", ["repo-root", "other-cwd"])
def test_flask_yaml_serves_like_equivalent_flags(gantry, tmp_path, where):
    yaml_port, flags_port = free_ports(2)
    if where == "repo-root":
        from_yaml = gantry.start("--yaml", "examples/flask/gantry.yaml",
                                 "--socket", f"127.0.0.1:{yaml_port}")
    else:  # relative paths in the YAML resolve against the YAML's directory, not the cwd
        from_yaml = gantry.start("--yaml", FLASK_YAML, "--socket", f"127.0.0.1:{yaml_port}",
                                 cwd=tmp_path)
    from_flags = gantry.start("--module", "app:application", "--chdir", "examples/flask",
                              "--processes", "2", "--socket", f"127.0.0.1:{flags_port}")

    assert len(from_yaml.wait_for_workers(2)) == len(from_flags.wait_for_workers(2))
    for path in ("/", "/api/info?x=1"):
        assert normalized(from_yaml, path) == normalized(from_flags, path)
    assert listening_tcp_ports(from_yaml.pid) == {yaml_port}, (
        "--socket on the command line replaces the YAML's socket, it does not add to it")


def test_command_line_wins_whatever_the_order(gantry):
    [port] = free_ports(1)
    g = gantry.start("--processes", "3", "--socket", f"127.0.0.1:{port}",
                     "--yaml", EXAMPLES / "hello" / "gantry.yaml")
    g.wait_for_workers(3)  # the YAML says 2
    assert listening_tcp_ports(g.pid) == {port}
    assert g.request().body == b"Hello, World!\n"


def write_yaml(path, line4, port):
    path.write_text(
        "# a config with one mistake\n"
        "gantry:\n"
        f"  module: app:application\n"
        f"{line4}\n"
        f"  chdir: {REPO / 'examples' / 'hello'}\n"
        f"  socket: 127.0.0.1:{port}\n"
    )


def test_unknown_yaml_key_exits_2_naming_file_line_key(gantry, tmp_path):
    [port] = free_ports(1)
    conf = tmp_path / "unknown-key.yaml"
    write_yaml(conf, "  proceses: 2", port)
    code, out = gantry.run("--yaml", conf, timeout=10)
    assert code == 2, out
    assert "proceses" in out
    assert re.search(r"unknown-key\.yaml\D{0,10}4\b", out), f"no file and line 4 in: {out}"
    assert re.search(r"\bprocesses\b", out), "the message should suggest 'processes'"


def test_bad_yaml_value_exits_2_naming_file_line_key(gantry, tmp_path):
    [port] = free_ports(1)
    conf = tmp_path / "bad-value.yaml"
    write_yaml(conf, "  processes: abc", port)
    code, out = gantry.run("--yaml", conf, timeout=10)
    assert code == 2, out
    assert "processes" in out
    assert re.search(r"bad-value\.yaml\D{0,10}4\b", out), f"no file and line 4 in: {out}"
