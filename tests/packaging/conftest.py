"""Fixtures for packaging tests: Kinfolk built as a user gets it (sdist → wheel), installed into a
fresh virtual environment in a temporary folder away from the checkout.

The venv is created once per session and shared by the wheel test and the frozen-app test. pip uses
its usual configuration and cache (so the dependencies come from the local wheel cache here).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def bin_path(env: Path, name: str) -> Path:
    sub = "Scripts" if sys.platform == "win32" else "bin"
    return env / sub / (name + (".exe" if sys.platform == "win32" else ""))


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment a new user has: no PYTHONPATH, no Kinfolk variables, an empty home."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KINFOLK_", "PYTHON", "VIRTUAL_ENV", "XDG_"))}
    env.update(HOME=str(home), USERPROFILE=str(home), QT_QPA_PLATFORM="offscreen",
               XDG_DATA_HOME=str(home / ".local" / "share"), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_CACHE_HOME=str(home / ".cache"))
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """``python -m build``: the sdist, and the wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], check=True,
                   stdout=subprocess.DEVNULL)
    sdists, wheels = list(out.glob("kinfolk-*.tar.gz")), list(out.glob("kinfolk-*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, sorted(p.name for p in out.iterdir())
    return {"sdist": sdists[0], "wheel": wheels[0]}


@pytest.fixture(scope="session")
def wheel_venv(built, tmp_path_factory) -> Path:
    """A fresh venv (outside the checkout) with the wheel and its dependencies installed."""
    env_dir = tmp_path_factory.mktemp("user") / "venv"
    venv.create(env_dir, with_pip=True)
    subprocess.run([str(bin_path(env_dir, "python")), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", str(built["wheel"])], check=True,
                   cwd=env_dir.parent, env=clean_env(env_dir.parent))
    return env_dir


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


@pytest.fixture(scope="session")
def models_dir() -> Path:
    path = Path(os.environ.get("KINFOLK_MODELS", REPO.parent / "shared" / "models")).resolve()
    if not (path / "det_500m.onnx").is_file():
        pytest.skip(f"model files not found in {path}")
    return path
