"""Offline promise: a real scan opens no network connection and leaves no telemetry on disk.

ONNX Runtime's telemetry (DNS lookups of a Microsoft events host, a device id and queued events in
``~/.cache/Microsoft``) is off only if ``ORT_DISABLE_TELEMETRY=1`` is set before it is imported; the
``kinfolk`` package sets it (forcing it even when the user's environment says 0).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TEST_PACK, copy_photos

REPO = Path(__file__).resolve().parents[2]

# Name resolution and any IP traffic. Local Unix sockets (D-Bus, ...) are not the network.
NETWORK = re.compile(r"AF_INET6?\b|/nscd/|sin_port=htons\(53\)")


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               ORT_DISABLE_TELEMETRY="0")  # a user's setting cannot turn it back on
    env.pop("PYTHONPATH", None)
    return env


def _telemetry_files(home: Path) -> list[str]:
    return [str(p.relative_to(home)) for p in home.rglob("*")
            if "Microsoft" in p.parts or "onnxruntime" in p.name]


@pytest.fixture
def photos(tmp_path, faces_dir, labels) -> Path:
    pics = tmp_path / "pics"
    copy_photos(faces_dir, labels, pics, 6, where=lambda i: i not in ("none", "group") and ";" not in i)
    return pics


@pytest.mark.skipif(shutil.which("strace") is None,
                    reason="strace is not installed (Debian package 'strace'; CI installs it)")
def test_scan_makes_no_network_connection(tmp_path, photos, models_dir):
    home = tmp_path / "home"
    home.mkdir()
    trace = tmp_path / "trace.txt"
    cmd = ["strace", "-f", "-qq", "-e", "trace=%network", "-o", str(trace), sys.executable, "-m",
           "kinfolk.cli.main", "--library", str(tmp_path / "lib.sqlite"), "--models", str(models_dir),
           "scan", str(photos), "--pack", TEST_PACK]
    r = subprocess.run(cmd, capture_output=True, text=True, env=_env(home), timeout=300)
    assert r.returncode == 0, r.stderr
    assert "6 photos" in r.stderr  # it really scanned (and ran the models)
    calls = [line for line in trace.read_text().splitlines() if NETWORK.search(line)]
    assert not calls, "network activity during a scan:\n" + "\n".join(calls[:20])
    assert _telemetry_files(home) == []


def test_no_telemetry_written_by_any_entry_point(tmp_path, photos, models_dir):
    """The frozen app's launcher scanning, and the desktop app's import path loading onnxruntime."""
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    r = subprocess.run([sys.executable, str(REPO / "installer" / "launcher.py"), "--library",
                        str(tmp_path / "lib.sqlite"), "--models", str(models_dir), "scan", str(photos),
                        "--pack", TEST_PACK], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert _telemetry_files(home) == []
    env["QT_QPA_PLATFORM"] = "offscreen"
    code = ("import kinfolk.gui.app, onnxruntime, os; "
            "assert os.environ['ORT_DISABLE_TELEMETRY'] == '1'; print(onnxruntime.__version__)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert _telemetry_files(home) == []
