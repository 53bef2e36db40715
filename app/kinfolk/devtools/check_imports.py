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

#: ``kinfolk.core``'s modules (dotted below ``kinfolk.core``), lowest level first; a module may import
#: its own level and below. Packages (``faces``, ``people``…) group modules by concern; the levels run
#: across them, because the pipeline's order (read → detect → decide → scan → workflows) is the rule.
CORE_LEVELS: tuple[frozenset[str], ...] = (
    # 0: building blocks (no photo, no library)
    frozenset({"cancel", "filenames", "package_data", "imaging.photo_dates", "imaging.raw_preview",
               "imaging.formats", "imaging.load_errors",
               "imaging.thumbnails", "people.thresholds", "evaluation.metrics", "faces.align",
               "faces.graph_rewrite", "faces.providers", "faces.backend", "metadata.regions",
               "clustering.knn", "scan.content_hash"}),
    # 1: reading photos and their metadata, running the models
    frozenset({"imaging.imageio", "faces.quality", "faces.scrfd", "faces.yunet", "faces.onnx_backend",
               "faces.dlib_backend", "faces.models", "faces.backend_choice", "metadata.xmp_regions",
               "metadata.picasa_ini", "metadata.photo_regions", "clustering.agglomeration", "scan.walk"}),
    # 2: the rules on the index: people, matching, groups, search, forgetting, imports
    frozenset({"people.edits", "people.matching", "people.calibration", "people.forget",
               "people.drawn_faces", "clustering.grouping", "search", "settings",
               "metadata.sidecar_writer", "metadata.region_import", "scan.missing", "scan.scan_lock"}),
    # 3: the scan pipeline
    frozenset({"scan.scanner"}),
    # 4: whole-library workflows and tools
    frozenset({"library", "evaluation.labeled_set", "evaluation.lfw_pairs", "selftest"}),
)


def _core_name(module: str) -> str:
    """``kinfolk.core.faces.scrfd`` → ``faces.scrfd``; a package's ``__init__`` counts as level 0."""
    return module.removeprefix("kinfolk.core.").removesuffix(".__init__").removesuffix("__init__")


def _level(name: str) -> int | None:
    if name in ("", "kinfolk.core") or (PACKAGE / "core" / name.replace(".", "/")).is_dir():
        return 0  # packages import nothing (their __init__ is a docstring)
    return next((i for i, names in enumerate(CORE_LEVELS) if name in names), None)


def _imported(path: Path, node: ast.AST) -> list[str]:
    """Absolute module names an import statement names (relative ones resolved against ``path``).

    ``from kinfolk.core.people import edits`` names ``kinfolk.core.people`` and, because ``edits`` is a
    module of it, ``kinfolk.core.people.edits`` too (the names that are not modules are ignored later).
    """
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-node.level]
            module = ".".join(base + ((node.module,) if node.module else ()))
        else:
            module = node.module or ""
        submodules = [f"{module}.{a.name}" for a in node.names
                      if module.startswith("kinfolk.") and _is_module(f"{module}.{a.name}")]
        return ([module] if node.module else []) + submodules
    return []


def _is_module(dotted: str) -> bool:
    where = PACKAGE.parent.joinpath(*dotted.split("."))
    return where.with_suffix(".py").is_file() or where.is_dir()


def violations() -> list[str]:
    out = []
    for layer in LAYERS:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            where = path.relative_to(PACKAGE.parent)
            core_name = _core_name(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
            level = _level(core_name) if layer == "core" else None
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
                        target = _level(_core_name(name))
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
