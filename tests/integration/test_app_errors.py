"""An exception in the app is a 500 for that request, never a dead worker."""

from paths import APPS


def errors_app(port):
    return ("--module", "app:application", "--chdir", APPS / "errors",
            "--socket", f"127.0.0.1:{port}", "--processes", "1")


def test_exception_gives_500_and_worker_lives_on(gantry, port):
    g = gantry.start(*errors_app(port), allow_log_errors=True)
    [worker] = g.wait_for_workers(1)
    assert g.request(path="/pid").text == str(worker)

    resp = g.request(path="/boom")
    assert resp.status == 500
    assert b"boom from tests" not in resp.body, "the traceback must not leak to the client"

    g.wait_for_log("BoomError: boom from tests/integration/apps/errors")
    assert "Traceback (most recent call last)" in g.log_text()

    resp = g.request(path="/pid")
    assert resp.status == 200
    assert resp.text == str(worker), "the worker that raised should serve the next request"
    assert g.worker_pids() == [worker]


def test_exception_after_start_response_still_500(gantry, port):
    """PEP 3333: headers are sent with the first body chunk, so none went out yet."""
    g = gantry.start(*errors_app(port), allow_log_errors=True)
    [worker] = g.wait_for_workers(1)
    resp = g.request(path="/boom-after-start")
    assert resp.status == 500
    g.wait_for_log("BoomError: boom after start_response")
    assert g.request(path="/pid").text == str(worker)
