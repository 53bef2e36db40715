"""The user guide's picture of the import summary, on the drawn library (no real faces).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/gui/screenshot_xmp_import.py [--out docs/screenshots]

Not a test (pytest does not collect it). Needs ExifTool (it writes the other app's sidecars).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "app"))
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QSettings  # noqa: E402

from kinfolk.gui.app import make_application  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    args = ap.parse_args()
    from kinfolk.gui.main_window import MainWindow
    from kinfolk.gui.session import Session
    from tests.gui import synthetic_library, xmp_drawn

    app = make_application([])
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        work = Path(tmp)
        synthetic_library.build(work / "Drawn photos", work / "drawn.sqlite")
        xmp_drawn.write_regions(work / "drawn.sqlite")
        session = Session(work / "drawn.sqlite")
        w = MainWindow(session, QSettings())
        w.resize(1180, 760)
        w.show()
        w.sidecars.import_names()
        end = time.monotonic() + 60
        while w.sidecars.summary_dialog is None and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)
        dlg = w.sidecars.summary_dialog
        for _ in range(30):
            app.processEvents()
            time.sleep(0.02)
        out = Path(args.out) / "xmp-import.png"
        dlg.grab().save(str(out))
        print(out)
        dlg.close()
        w.close()
        session.close()


if __name__ == "__main__":
    main()
