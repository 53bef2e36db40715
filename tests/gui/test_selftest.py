"""The self-test's Qt check opens the real main window offscreen on a scratch library and closes it
without leaving work running (the leak check in conftest applies)."""

from kinfolk.core.selftest import run_checks
from kinfolk.gui.selftest import check_qt


def test_qt_check_shows_the_main_window(qapp, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    [res] = run_checks({"qt": check_qt})
    assert res.ok, res.detail
    assert "main window shown" in res.detail and "offscreen" in res.detail
