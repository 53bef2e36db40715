"""The frozen app (PyInstaller, one folder) builds from an installed wheel and proves itself whole
with ``kinfolk self-test``; on Debian the .deb installs (``dpkg -i``), runs, and is removed
(``dpkg -r``, then purged so the machine is left as it was).

Opt-in (a few minutes: PyInstaller analyses ~450 MB of libraries): ``KINFOLK_TEST_FROZEN=1``.
The dpkg part runs only as root, with dpkg present, and never when a ``kinfolk`` package is already
installed (a real install is never touched).

    KINFOLK_TEST_FROZEN=1 KINFOLK_MODELS=../shared/models .venv/bin/python -m pytest -q tests/packaging/test_frozen.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO, bin_path, clean_env

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("KINFOLK_TEST_FROZEN") != "1",
                                 reason="builds the frozen app (minutes): set KINFOLK_TEST_FROZEN=1")]


@pytest.fixture(scope="module")
def frozen(wheel_venv, tmp_path_factory) -> Path:
    """``installer/build.py`` run with the wheel's venv (+ the ``dist`` extra's PyInstaller)."""
    py = str(bin_path(wheel_venv, "python"))
    home = tmp_path_factory.mktemp("builder")
    env = clean_env(home)
    subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "pyinstaller>=6.3"],
                   check=True, env=env)
    dist = tmp_path_factory.mktemp("frozen")
    t0 = time.perf_counter()
    r = subprocess.run([py, str(REPO / "installer" / "build.py"), "--dist", str(dist),
                        "--work", str(dist / "work")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, f"build failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    print(f"\nfrozen build + self-test: {time.perf_counter() - t0:.0f} s\n{r.stdout}")
    assert "6 passed, 0 failed" in r.stdout
    return dist / "Kinfolk"


def test_frozen_app_self_test_with_a_model_pack(frozen, models_dir, tmp_path):
    exe = frozen / ("kinfolk.exe" if sys.platform == "win32" else "kinfolk")
    internal = frozen / "_internal"
    weights = sorted(p.name for p in internal.rglob("*.dat"))
    assert weights == ["dlib_face_recognition_resnet_model_v1.dat", "shape_predictor_5_face_landmarks.dat"]
    assert not list(frozen.rglob("*.onnx"))  # no model pack bundled
    r = subprocess.run([str(exe), "self-test", "--models", str(models_dir)], cwd=tmp_path,
                       env=clean_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "ONNX Runtime" in r.stdout and " ran " in r.stdout, r.stdout + r.stderr
    # An explicit models folder without a pack is a failure, said plainly.
    empty = tmp_path / "empty"
    empty.mkdir()
    r = subprocess.run([str(exe), "self-test", "--only", "onnx", "--models", str(empty)],
                       cwd=tmp_path, env=clean_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "no verified model pack" in r.stdout


def _installed(pkg: str) -> bool:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and "installed" in r.stdout and "not-installed" not in r.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("dpkg") is None
                    or os.geteuid() != 0, reason="needs Debian's dpkg and root")
def test_deb_installs_runs_and_uninstalls(frozen, wheel_venv, tmp_path):
    if _installed("kinfolk"):
        pytest.skip("a kinfolk package is already installed here; not touching it")
    out = tmp_path / "deb"
    subprocess.run([str(bin_path(wheel_venv, "python")), str(REPO / "installer" / "linux" / "make_deb.py"),
                    str(frozen), str(out), "0.1.0", "gzip"], check=True)
    deb = next(out.glob("kinfolk_0.1.0_*.deb"))
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    for path in ("./opt/kinfolk/kinfolk", "./usr/bin/kinfolk -> /opt/kinfolk/kinfolk",
                 "./usr/share/applications/kinfolk.desktop",
                 "./usr/share/icons/hicolor/256x256/apps/io.kinfolk.Kinfolk.png",
                 "./usr/share/icons/hicolor/scalable/apps/io.kinfolk.Kinfolk.svg",
                 "./usr/share/metainfo/io.kinfolk.Kinfolk.metainfo.xml"):
        assert path in listing, path
    try:
        subprocess.run(["dpkg", "-i", str(deb)], check=True, capture_output=True)
        assert _installed("kinfolk")
        r = subprocess.run(["/usr/bin/kinfolk", "self-test"], cwd=tmp_path, env=clean_env(tmp_path),
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0 and "6 passed, 0 failed" in r.stdout, r.stdout + r.stderr
        subprocess.run(["dpkg", "-r", "kinfolk"], check=True, capture_output=True)
        assert not _installed("kinfolk")
        assert not Path("/opt/kinfolk").exists() and not Path("/usr/bin/kinfolk").exists()
    finally:
        subprocess.run(["dpkg", "-P", "kinfolk"], capture_output=True)  # purge: nothing left behind
    assert subprocess.run(["dpkg-query", "-W", "kinfolk"], capture_output=True).returncode != 0
    assert not Path("/opt/kinfolk").exists() and not Path("/usr/bin/kinfolk").exists()
    assert not Path("/usr/share/applications/kinfolk.desktop").exists()
