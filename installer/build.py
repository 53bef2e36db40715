"""Build Kinfolk's frozen app (and optionally its installer) on the machine this runs on.

    python -m venv .venv-dist && .venv-dist/bin/pip install ".[dist]"
    .venv-dist/bin/python installer/build.py [--package] [--models DIR]

1. PyInstaller builds the one-folder app from ``installer/kinfolk.spec`` into ``dist/Kinfolk``
   (``dist/Kinfolk.app`` on macOS).
2. The built app's own ``kinfolk self-test`` must pass (``--models DIR`` also loads a pack from DIR).
3. With ``--package``: the installer for this OS, into ``dist/``:
   Linux ``kinfolk_<version>_<arch>.deb`` (``installer/linux/make_deb.py``), Windows
   ``Kinfolk-<version>-setup.exe`` (Inno Setup's ``iscc`` on ``installer/windows/kinfolk.iss``),
   macOS ``Kinfolk-<version>.dmg`` (``installer/macos/make_dmg.sh``; signing: see installer/README.md).
Prints the build time and the app folder's size. Exit status 0 only if every step passed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "installer"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def app_paths(dist: Path) -> tuple[Path, Path]:
    """(the folder to package, the console program inside it) for this OS."""
    if sys.platform == "darwin":
        app = dist / "Kinfolk.app"
        return app, app / "Contents" / "MacOS" / "kinfolk"
    exe = "kinfolk.exe" if sys.platform == "win32" else "kinfolk"
    return dist / "Kinfolk", dist / "Kinfolk" / exe


def version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("kinfolk")


def freeze(dist: Path, work: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                    "--distpath", str(dist), "--workpath", str(work), str(HERE / "kinfolk.spec")],
                   check=True)
    return time.perf_counter() - t0


def self_test(program: Path, models: str | None) -> None:
    cmd = [str(program), "self-test"] + (["--models", models] if models else [])
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    subprocess.run(cmd, check=True, env=env)


def package(app: Path, dist: Path) -> Path:
    ver = version()
    if sys.platform.startswith("linux"):
        sys.path.insert(0, str(HERE / "linux"))
        from make_deb import make_deb

        return make_deb(app, dist, ver)
    if sys.platform == "win32":
        iscc = shutil.which("iscc") or r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
        subprocess.run([iscc, f"/DAppVersion={ver}", f"/DSourceDir={app}", f"/O{dist}",
                        str(HERE / "windows" / "kinfolk.iss")], check=True)
        return dist / f"Kinfolk-{ver}-setup.exe"
    if sys.platform == "darwin":
        out = dist / f"Kinfolk-{ver}.dmg"
        subprocess.run(["bash", str(HERE / "macos" / "make_dmg.sh"), str(app), str(out)], check=True)
        return out
    raise SystemExit(f"no installer format for {sys.platform}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default dist/)")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                    help="PyInstaller's work folder")
    ap.add_argument("--models", help="also let the self-test load a model pack from this folder")
    ap.add_argument("--package", action="store_true", help="then build this OS's installer")
    args = ap.parse_args(argv)
    seconds = freeze(args.dist, args.work)
    app, program = app_paths(args.dist)
    print(f"built {app} in {seconds:.0f} s; {folder_size(app) / 1e6:.0f} MB", flush=True)
    self_test(program, args.models)
    if args.package:
        out = package(app, args.dist)
        print(f"installer: {out} ({out.stat().st_size / 1e6:.0f} MB)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
