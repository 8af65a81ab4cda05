"""The edge's health check (edge/health.py): SIP and workers, not the control plane."""

import json
import os
import time

from edge.health import LOOP_STALL_LIMIT, STALE_AFTER, HealthReporter, check, running
from edge.settings import EdgeSettings


def settings(tmp_path) -> EdgeSettings:
    return EdgeSettings(edge_id="e", health_file=tmp_path / "health.json")


def worker(pid=None, alive=True) -> dict:
    return {"index": 0, "pid": pid or os.getpid(), "alive": alive, "ready": True, "trunks": []}


def test_a_fresh_file_with_running_workers_is_healthy(tmp_path):
    reporter = HealthReporter(tmp_path / "health.json", "e")
    reporter.update([worker()])
    reporter.write()
    assert check(settings(tmp_path)) == []
    state = json.loads((tmp_path / "health.json").read_text())
    assert state["workers"][0]["alive"] is True and state["edge"] == "e"


def test_a_loop_waiting_on_aws_stays_healthy_while_the_writer_thread_runs(tmp_path):
    """The loop's last turn is a minute old (a DynamoDB stall), the file is fresh."""
    reporter = HealthReporter(tmp_path / "health.json", "e")
    reporter.update([worker()])
    reporter.write()
    now = time.time() + 60
    state = json.loads((tmp_path / "health.json").read_text())
    state["time"] = now  # the thread kept writing
    (tmp_path / "health.json").write_text(json.dumps(state))
    assert check(settings(tmp_path), now=now) == []
    later = state["loop_at"] + LOOP_STALL_LIMIT + 1
    state["time"] = later
    (tmp_path / "health.json").write_text(json.dumps(state))
    assert check(settings(tmp_path), now=later) == [
        f"the supervisor's loop has not turned for {LOOP_STALL_LIMIT + 1:.0f} s"]


def test_a_file_nobody_writes_any_more_is_unhealthy(tmp_path):
    reporter = HealthReporter(tmp_path / "health.json", "e")
    reporter.update([worker()])
    reporter.write()
    now = time.time() + STALE_AFTER + 5
    assert any(p.startswith("the supervisor last reported") for p in check(settings(tmp_path),
                                                                            now=now))


def test_a_worker_that_exited_is_reported_even_before_the_loop_sees_it(tmp_path):
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    while running(child.pid):  # exited, not reaped yet: a zombie
        time.sleep(0.01)
    reporter = HealthReporter(tmp_path / "health.json", "e")
    reporter.update([worker(child.pid, alive=True)])  # the loop still thinks it runs
    reporter.write()
    assert check(settings(tmp_path)) == ["worker 0 is not running"]
    child.wait()
    assert not running(child.pid) and not running(None)


def test_the_reporter_thread_writes_without_the_loop_and_says_when_it_stopped(tmp_path):
    path = tmp_path / "health.json"
    reporter = HealthReporter(path, "e")
    reporter.update([worker()])
    reporter.start()
    deadline = time.monotonic() + 5
    while not path.exists():
        assert time.monotonic() < deadline, "the reporter never wrote"
        time.sleep(0.05)
    first = json.loads(path.read_text())["time"]
    while json.loads(path.read_text())["time"] == first:
        assert time.monotonic() < deadline, "the reporter wrote only once"
        time.sleep(0.05)
    reporter.stop()
    assert check(settings(tmp_path)) == ["the supervisor has stopped"]


def test_a_change_the_loop_reports_is_written_at_once(tmp_path):
    """A worker replaced or a trunk placed shows in the file without waiting for the thread."""
    path = tmp_path / "health.json"
    reporter = HealthReporter(path, "e")
    reporter.update([worker()])
    assert json.loads(path.read_text())["workers"][0]["trunks"] == []
    reporter.update([dict(worker(), trunks=["trk_1"])])
    assert json.loads(path.read_text())["workers"][0]["trunks"] == ["trk_1"]
