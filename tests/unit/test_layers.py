"""kinfolk.core and kinfolk.db never import Qt or the GUI (DESIGN.md §1)."""

import textwrap

from kinfolk.devtools import check_imports


def test_core_and_db_do_not_import_qt():
    assert check_imports.violations() == []


def test_the_checker_catches_a_violation(tmp_path, monkeypatch):
    pkg = tmp_path / "kinfolk"
    (pkg / "core").mkdir(parents=True)
    (pkg / "db").mkdir()
    (pkg / "core" / "bad.py").write_text(textwrap.dedent("""
        def f():
            from PySide6.QtCore import QObject
        from ..gui import main_window
    """))
    monkeypatch.setattr(check_imports, "PACKAGE", pkg)
    found = check_imports.violations()
    joined = "\n".join(found)
    assert len(found) == 2 and "PySide6.QtCore" in joined and "kinfolk.gui" in joined
