"""Fail if ``kinfolk.core`` or ``kinfolk.db`` import Qt or the GUI (DESIGN.md §1, a **must**).

Walks the source with ``ast`` (no import side effects), so it also catches imports inside functions.
Run: ``python -m kinfolk.devtools.check_imports``; CI runs it, and ``tests/unit/test_layers.py`` too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "kinfolk.gui")
LAYERS = ("core", "db")


def violations() -> list[str]:
    out = []
    for layer in LAYERS:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"), str(path))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    if node.level:  # relative: resolve against the module's package
                        rel = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-node.level]
                        names = [".".join(rel + ((node.module,) if node.module else ()))]
                    else:
                        names = [node.module or ""]
                for name in names:
                    if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                        out.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: imports {name}")
    return out


def main() -> int:
    bad = violations()
    for line in bad:
        print(line, file=sys.stderr)
    if bad:
        print("kinfolk.core and kinfolk.db must not import Qt or kinfolk.gui", file=sys.stderr)
        return 1
    print("import layers OK: core and db do not import Qt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
