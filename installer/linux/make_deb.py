"""Wrap the frozen Linux app (``dist/Kinfolk``) in a Debian package with ``dpkg-deb``.

Layout: the app in ``/opt/kinfolk``; ``/usr/bin/kinfolk`` and ``/usr/bin/kinfolk-gui`` link to it;
the .desktop file, the icons (hicolor PNGs + scalable SVG) and the AppStream metainfo where desktops
look for them. Qt's libraries come with the app; the system libraries it loads are dependencies
(the X11 ones are recommended: the command line and ``kinfolk self-test`` run without a display).

    python installer/linux/make_deb.py dist/Kinfolk dist 0.1.0     # → dist/kinfolk_0.1.0_amd64.deb
    sudo apt install ./dist/kinfolk_0.1.0_amd64.deb                 # pulls the dependencies
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

RESOURCES = ("kinfolk", "resources")  # package data inside the frozen app
APP_ID = "io.kinfolk.Kinfolk"
DEPENDS = ("libc6, libgl1, libegl1, libfontconfig1, libdbus-1-3, libglib2.0-0 | libglib2.0-0t64, "
           "libxkbcommon0")
RECOMMENDS = "libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxkbcommon-x11-0"
REFRESH = ("if command -v update-desktop-database >/dev/null; then update-desktop-database -q "
           "/usr/share/applications || true; fi\n"
           "if command -v gtk-update-icon-cache >/dev/null; then gtk-update-icon-cache -q -t "
           "/usr/share/icons/hicolor || true; fi\n")


def _resources(app: Path) -> Path:
    """The app's bundled resources folder (PyInstaller 6 puts data under ``_internal``)."""
    for base in (app / "_internal", app):
        cand = base.joinpath(*RESOURCES)
        if (cand / "kinfolk.desktop").is_file():
            return cand
    raise FileNotFoundError(f"no kinfolk/resources in {app}: is it a Kinfolk build?")


def make_deb(app: Path, out_dir: Path, version: str, compression: str = "xz") -> Path:
    """Build ``out_dir/kinfolk_<version>_<arch>.deb`` from the app folder ``app``. ``compression``:
    ``xz`` for releases (smallest), ``gzip`` for a quick test build."""
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()
    res = _resources(app)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"kinfolk_{version}_{arch}.deb"
    with tempfile.TemporaryDirectory(prefix="kinfolk-deb-") as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(app, root / "opt" / "kinfolk", symlinks=True)
        bin_dir = root / "usr" / "bin"
        bin_dir.mkdir(parents=True)
        for prog in ("kinfolk", "kinfolk-gui"):
            os.symlink(f"/opt/kinfolk/{prog}", bin_dir / prog)
        share = root / "usr" / "share"
        (share / "applications").mkdir(parents=True)
        shutil.copy(res / "kinfolk.desktop", share / "applications" / "kinfolk.desktop")
        (share / "metainfo").mkdir()
        shutil.copy(res / f"{APP_ID}.metainfo.xml", share / "metainfo")
        shutil.copytree(res / "icons" / "hicolor", share / "icons" / "hicolor")
        scalable = share / "icons" / "hicolor" / "scalable" / "apps"
        scalable.mkdir(parents=True)
        shutil.copy(res / "icons" / "kinfolk.svg", scalable / f"{APP_ID}.svg")
        size_kb = sum(p.stat().st_size for p in root.rglob("*")
                      if p.is_file() and not p.is_symlink()) // 1024
        debian = root / "DEBIAN"
        debian.mkdir()
        (debian / "control").write_text(
            f"Package: kinfolk\nVersion: {version}\nArchitecture: {arch}\n"
            "Maintainer: Kinfolk developers <kinfolk@users.noreply.github.com>\n"
            f"Installed-Size: {size_kb}\nDepends: {DEPENDS}\nRecommends: {RECOMMENDS}\n"
            "Section: graphics\nPriority: optional\nHomepage: https://github.com/kinfolk\n"
            "Description: organize a photo library by the people in it, offline\n"
            " Kinfolk finds the faces in your photos, recognizes who is who, groups the faces it\n"
            " does not know yet so you can name them, and finds every photo of someone.\n"
            " Nothing leaves your computer.\n")
        for script in ("postinst", "postrm"):
            path = debian / script
            path.write_text("#!/bin/sh\nset -e\n" + REFRESH)
            path.chmod(0o755)
        for p in root.rglob("*"):  # dpkg wants no group/other write bits
            if not p.is_symlink():
                p.chmod(p.stat().st_mode & ~0o022)
        level = ["-z1"] if compression == "gzip" else []
        subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", *level, "--build",
                        str(root), str(out)],
                       check=True, stdout=subprocess.DEVNULL)
    return out


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: make_deb.py APP_FOLDER OUT_DIR VERSION [xz|gzip]")
    print(make_deb(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], *sys.argv[4:]))
