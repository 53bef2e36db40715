"""The import rules (DESIGN.md §1, issue 8): core and db never import Qt or the GUI, db never imports
core, and no core module imports one of a higher level."""

import textwrap

from kinfolk.devtools import check_imports


def test_the_project_keeps_its_layers():
    assert check_imports.violations() == []


def _fake_package(tmp_path, monkeypatch, files: dict[str, str]) -> list[str]:
    pkg = tmp_path / "kinfolk"
    (pkg / "core").mkdir(parents=True)
    (pkg / "db").mkdir()
    for rel, text in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(textwrap.dedent(text))
    monkeypatch.setattr(check_imports, "PACKAGE", pkg)
    return check_imports.violations()


def test_the_checker_catches_qt_and_the_gui(tmp_path, monkeypatch):
    found = _fake_package(tmp_path, monkeypatch, {"core/cancel.py": """
        def f():
            from PySide6.QtCore import QObject
        from ..gui import main_window
    """})
    joined = "\n".join(found)
    assert len(found) == 2 and "PySide6.QtCore" in joined and "kinfolk.gui" in joined


def test_the_checker_catches_upward_imports_and_unplaced_modules(tmp_path, monkeypatch):
    found = _fake_package(tmp_path, monkeypatch, {
        "core/cancel.py": "from .scan.scanner import Scanner\nfrom . import library\n"
                          "from kinfolk.core.metadata import regions\n",
        "core/people/edits.py": "from ..cancel import CancelToken\nfrom kinfolk.core.imaging import imageio\n",
        "core/newthing.py": "",
        "db/repo.py": "from ..core.people.thresholds import Thresholds\n",
        **{f"core/{m}.py": "" for m in ("library", "scan/scanner", "metadata/regions", "imaging/imageio",
                                        "people/thresholds")},
    })
    joined = "\n".join(found)
    assert "core/cancel.py:1: imports kinfolk.core.scan.scanner, a higher level (3 > 0)" in joined
    assert "imports kinfolk.core.library, a higher level (4 > 0)" in joined
    assert "kinfolk.core.metadata.regions" not in joined  # same level
    assert "core/people/edits.py" not in joined  # downward imports are fine
    assert "core/newthing.py: not placed in check_imports.CORE_LEVELS" in joined
    assert "db/repo.py:1: db imports kinfolk.core.people.thresholds" in joined
    assert len(found) == 4


def test_a_module_imported_by_name_from_its_package_is_checked(tmp_path, monkeypatch):
    found = _fake_package(tmp_path, monkeypatch, {
        "core/faces/align.py": "from kinfolk.core.people import edits\n",
        "core/people/edits.py": "",
    })
    assert found == ["kinfolk/core/faces/align.py:1: imports kinfolk.core.people.edits, a higher level (2 > 0)"]
