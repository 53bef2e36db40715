"""The import rules that keep the layers visible (DESIGN.md §1; issue 8):

- ``kinfolk.core`` and ``kinfolk.db`` never import Qt or the GUI (a **must**);
- ``kinfolk.db`` never imports ``kinfolk.core`` (the index knows nothing of the rules on it);
- inside ``kinfolk.core`` no module imports a module of a higher level (``CORE_LEVELS``), so the
  pipeline reads bottom-up and a building block never depends on a workflow rule above it. A new
  core module must be given a level here.

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

#: ``kinfolk.core``'s modules, lowest level first; a module may import its own level and below.
CORE_LEVELS: tuple[frozenset[str], ...] = (
    # 0: building blocks (no photo, no library)
    frozenset({"__init__", "cancel", "filenames", "regions", "photo_dates", "raw_preview", "thresholds",
               "metrics", "align", "package_data", "graph_rewrite", "providers", "backend", "thumbnails"}),
    # 1: reading photos and their metadata, running the models
    frozenset({"imageio", "quality", "scrfd", "yunet", "onnx_backend", "dlib_backend", "models",
               "backend_choice", "xmp_regions", "picasa_ini", "photo_regions"}),
    # 2: the rules on the index: people, matching, groups, search, forgetting, imports
    frozenset({"people", "matching", "clustering", "search", "calibration", "settings", "grouping",
               "forget", "sidecar_writer", "region_import", "drawn_faces", "missing", "scan_lock"}),
    # 3: the scan pipeline
    frozenset({"scanner"}),
    # 4: whole-library workflows and tools
    frozenset({"library", "evaluation", "lfw_pairs", "selftest"}),
)


def _level(module: str) -> int | None:
    return next((i for i, names in enumerate(CORE_LEVELS) if module in names), None)


def _imported(path: Path, node: ast.AST) -> list[str]:
    """Absolute module names an import statement names (relative ones resolved against ``path``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if not node.level:
            return [node.module or ""]
        base = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-node.level]
        if node.module:
            return [".".join(base + (node.module,))]
        return [".".join(base + (a.name,)) for a in node.names]  # from . import x, y
    return []


def violations() -> list[str]:
    out = []
    for layer in LAYERS:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            where = path.relative_to(PACKAGE.parent)
            level = _level(path.stem) if layer == "core" else None
            if layer == "core" and level is None:
                out.append(f"{where}: not placed in check_imports.CORE_LEVELS")
            tree = ast.parse(path.read_text("utf-8"), str(path))
            for node in ast.walk(tree):
                for name in _imported(path, node):
                    if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                        out.append(f"{where}:{node.lineno}: imports {name}")
                    elif layer == "db" and (name == "kinfolk.core" or name.startswith("kinfolk.core.")):
                        out.append(f"{where}:{node.lineno}: db imports {name}")
                    elif level is not None and name.startswith("kinfolk.core."):
                        target = _level(name.split(".")[2])
                        if target is not None and target > level:
                            out.append(f"{where}:{node.lineno}: imports {name}, a higher level "
                                       f"({target} > {level})")
    return out


def main() -> int:
    bad = violations()
    for line in bad:
        print(line, file=sys.stderr)
    if bad:
        print("import rules broken (kinfolk/devtools/check_imports.py says why)", file=sys.stderr)
        return 1
    print("import layers OK: core and db do not import Qt; db does not import core; "
          "no upward imports inside core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
