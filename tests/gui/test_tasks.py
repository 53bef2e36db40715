"""The background-task API: outcomes on the GUI thread, throttled progress, cancel, pause, shutdown."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread

from kinfolk.core.cancel import Cancelled
from kinfolk.gui.tasks import TaskRunner


@pytest.fixture
def runner(qapp):
    r = TaskRunner()
    yield r
    r.shutdown()


def test_success_is_delivered_on_the_gui_thread(qtbot, qapp, runner):
    seen = {}

    def fn(ctx):
        seen["worker"] = threading.current_thread()
        return 6 * 7

    def ok(value):
        seen["value"] = value
        seen["gui"] = QThread.currentThread() is qapp.thread()

    runner.run(fn, on_success=ok)
    qtbot.waitUntil(lambda: "value" in seen, timeout=5000)
    assert seen["value"] == 42
    assert seen["gui"] is True
    assert seen["worker"] is not threading.main_thread()


def test_errors_go_to_on_error_or_the_error_handler(qtbot, runner):
    got = []
    runner.run(lambda ctx: 1 / 0, on_success=lambda v: got.append(("ok", v)),
               on_error=lambda e: got.append(("error", type(e).__name__)))
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got == [("error", "ZeroDivisionError")]

    handled = []
    runner.error_handler = lambda name, exc: handled.append((name, str(exc)))

    def explode(ctx):
        raise ValueError("boom")

    runner.run(explode)
    qtbot.waitUntil(lambda: bool(handled), timeout=5000)
    assert handled == [("explode", "boom")]


def test_progress_is_throttled_and_coalesced(qtbot, runner):
    reports = []
    done = []

    def fn(ctx):
        t_end = time.monotonic() + 0.6
        n = 0
        while time.monotonic() < t_end:
            n += 1
            ctx.progress(n, None, "working")
        return n

    runner.run(fn, on_progress=reports.append, on_success=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    calls = done[0]
    assert calls > 10_000  # the job really reported a lot
    # At most one report per interval (0.08 s) over 0.6 s, plus the first one.
    assert 1 <= len(reports) <= int(0.6 / runner.progress_interval) + 2
    dones = [p.done for p in reports]
    assert dones == sorted(dones)


def test_cancel_and_pause(qtbot, runner):
    steps = []
    cancelled = []
    started = threading.Event()

    def fn(ctx):
        started.set()
        while True:
            ctx.check()  # blocks while paused, raises once cancelled
            steps.append(1)
            time.sleep(0.005)

    h = runner.run(fn, on_cancelled=lambda: cancelled.append(True),
                   on_success=lambda v: pytest.fail("a cancelled task must not succeed"))
    assert started.wait(5)
    qtbot.wait(50)
    h.pause()
    qtbot.wait(60)  # the loop finishes its current step
    n = len(steps)
    qtbot.wait(200)
    assert len(steps) == n, "a paused task kept running"
    assert h.paused
    h.resume()
    qtbot.waitUntil(lambda: len(steps) > n, timeout=2000)
    h.cancel()
    qtbot.waitUntil(lambda: bool(cancelled), timeout=5000)
    assert h.done and h.cancelled


def test_cancel_wakes_a_paused_task(qtbot, runner):
    cancelled = []

    def fn(ctx):
        while True:
            ctx.check()
            time.sleep(0.01)

    h = runner.run(fn, on_cancelled=lambda: cancelled.append(True))
    h.pause()
    qtbot.wait(50)
    h.cancel()
    qtbot.waitUntil(lambda: bool(cancelled), timeout=5000)


def test_shutdown_cancels_waits_and_drops_late_outcomes(qtbot, qapp):
    r = TaskRunner()
    outcomes = []
    running = threading.Event()

    def fn(ctx):
        running.set()
        while not ctx.cancelled:
            time.sleep(0.01)
        raise Cancelled()

    handles = [r.run(fn, on_success=outcomes.append, on_cancelled=lambda: outcomes.append("c"),
                     on_error=outcomes.append) for _ in range(3)]
    assert running.wait(5)
    t0 = time.monotonic()
    assert r.shutdown(timeout_ms=5000)
    assert time.monotonic() - t0 < 2
    assert r.pool.activeThreadCount() == 0
    assert all(h.cancelled and h.done for h in handles)
    qapp.processEvents()
    qtbot.wait(50)
    assert outcomes == []  # the window that asked is going away: nothing is delivered
    with pytest.raises(RuntimeError):
        r.run(fn)


def test_a_deleted_owner_cancels_the_task_and_gets_no_callback(qtbot, runner):
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    calls = []
    running = threading.Event()

    def fn(ctx):
        running.set()
        while not ctx.cancelled:
            time.sleep(0.01)
        return "finished anyway"

    # A bound method of a widget makes the widget the owner.
    h = runner.run(fn, on_success=label.setText, on_cancelled=lambda: calls.append("c"))
    other = runner.run(fn, owner=label, on_success=calls.append)
    assert running.wait(5)
    label.deleteLater()
    qtbot.waitUntil(lambda: h.done and other.done, timeout=5000)
    assert h.cancelled and other.cancelled
    assert calls == []
