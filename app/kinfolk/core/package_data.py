"""Files Kinfolk reads at run time that ship inside the ``kinfolk`` package (package data).

``kinfolk/models/manifest.json`` (the model packs), ``kinfolk/resources/`` (icons, .desktop and
AppStream files) and ``kinfolk/resources/selftest/`` (the self-test image). They are found through
``importlib.resources``, so the same code works from a source checkout, an installed wheel and a
PyInstaller build (whose loader maps ``kinfolk`` to the bundled folder); nothing reads a path
relative to the source tree.

The package is always installed as plain files (wheels are unpacked, PyInstaller collects data files
to disk), so :func:`data_path` returns a real ``Path`` that Qt and other C libraries can open.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(*parts: str) -> Path:
    """The path of package data ``kinfolk/<parts...>``. Raises ``FileNotFoundError`` (naming the
    file) when the install lacks it: a broken install, said plainly."""
    root = resources.files("kinfolk")
    target = root.joinpath(*parts)
    path = Path(str(target))
    if not path.exists():
        raise FileNotFoundError(f"Kinfolk's installation is incomplete: {'/'.join(parts)} is "
                                f"missing (looked in {root}); reinstall Kinfolk")
    return path
