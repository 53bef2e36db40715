"""``kinfolk self-test``: the core checks pass on a working install, and a failure is a clear line
and exit status 1 (the Qt check: tests/gui/test_selftest.py)."""

import os

import pytest

from kinfolk.cli.main import main

CORE = ["decode", "dlib", "clustering", "sqlite"]


def test_core_checks_pass(capsys):
    assert main(["self-test", *sum((["--only", c] for c in CORE), [])]) == 0
    out = capsys.readouterr().out
    assert "4 passed, 0 failed" in out
    assert "face found" in out and "embedded (128-d)" in out and "WAL" in out


@pytest.fixture(autouse=True)
def _restore_env(monkeypatch):
    """``main`` exports ``--models`` as $KINFOLK_MODELS (for the worker threads): restore it after."""
    monkeypatch.setenv("KINFOLK_MODELS", os.environ.get("KINFOLK_MODELS", ""))
    if not os.environ["KINFOLK_MODELS"]:
        monkeypatch.delenv("KINFOLK_MODELS")


def test_onnx_check_runs_a_pack(models_dir, capsys):
    assert main(["self-test", "--only", "decode", "--only", "dlib", "--only", "onnx",
                 "--models", str(models_dir)]) == 0
    assert "ONNX Runtime" in capsys.readouterr().out


def test_explicit_models_folder_without_a_pack_fails_plainly(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["self-test", "--only", "onnx", "--models", str(empty)]) == 1
    out = capsys.readouterr().out
    assert "FAIL onnx" in out and "no verified model pack in" in out and "0 passed, 1 failed" in out
