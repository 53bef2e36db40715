"""Screenshots of every main view.

    KINFOLK_MODELS=../shared/models QT_QPA_PLATFORM=offscreen \\
        .venv/bin/python tests/gui/screenshots.py [--out docs/screenshots] [--photos 60] [--size 1000x700]

Under Xvfb with a window manager (what a user sees, window frames and all), e.g.
    Xvfb :99 -screen 0 1920x1200x24 & DISPLAY=:99 openbox & DISPLAY=:99 QT_QPA_PLATFORM=xcb …

1. Real photos, real models: copies photos of the labeled set into a temp folder (never into the
   repo), scans them, groups the faces, names two groups after their true labels, and saves PNGs of:
   the welcome dialog (empty library), the library during a paused scan and after it, its problems
   tab, people, a person, unnamed groups, suggestions, the photo viewer, search, and the settings
   dialog.
2. Drawn people (``synthetic_library``: cartoon avatars, no real faces): the views that show faces
   (library, people, a person's photos and faces, unnamed groups, suggestions, the photo viewer with
   "Why is this face here?", search), for the user guide.

Not a test (pytest does not collect it); review the pictures by eye.

Pictures of real photos that show faces go to ``--faces-out`` (default: a folder in /tmp), not into
the repository: the labeled photos must not be copied into the project
(``../shared/data/faces/README.md``), and face crops are copies. Only face-free pictures and pictures
of the drawn people go to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "app"))
sys.path.insert(0, str(REPO))  # tests.gui.synthetic_library

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from kinfolk.gui.app import make_application  # noqa: E402

SIZE = (1180, 760)


def pump(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def wait(app: QApplication, cond, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError("gave up waiting")
        app.processEvents()
        time.sleep(0.02)


def pick(faces: Path, n: int) -> list[str]:
    """Photos of the most frequent identities plus a few group photos and photos without faces."""
    with open(faces / "labels.csv", newline="") as f:
        labels = {r["file"]: r["identity"] for r in csv.DictReader(f)}
    by_id: dict[str, list[str]] = {}
    for file, ident in sorted(labels.items()):
        by_id.setdefault(ident, []).append(file)
    singles = sorted((k for k in by_id if k not in ("none", "group") and ";" not in k),
                     key=lambda k: (-len(by_id[k]), k))
    out = [f for k in (k for k in by_id if ";" in k or k == "group") for f in by_id[k]][:6]
    out += by_id.get("none", [])[:2]
    for k in singles:
        out += by_id[k][:6]
        if len(out) >= n:
            break
    return out[:n]


def save(widget: QWidget, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)


def main() -> int:
    global SIZE
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    ap.add_argument("--faces-out", default=str(Path(tempfile.gettempdir()) / "kinfolk-screenshots"))
    ap.add_argument("--photos", type=int, default=60)
    ap.add_argument("--faces", default=str(REPO.parent / "shared" / "data" / "faces"))
    ap.add_argument("--size", default="x".join(map(str, SIZE)), help="main window WxH")
    ap.add_argument("--drawn-only", action="store_true", help="only the drawn people (for docs/)")
    args = ap.parse_args()
    SIZE = tuple(int(v) for v in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    faces_out = Path(args.faces_out)
    faces_out.mkdir(parents=True, exist_ok=True)
    models = os.environ.get("KINFOLK_MODELS", str(REPO.parent / "shared" / "models"))
    work = Path(tempfile.mkdtemp(prefix="kinfolk-shots-"))
    os.environ["HOME"] = str(work)  # isolated settings and model dir; no ~/Pictures suggestion
    app = make_application()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "settings"))

    from kinfolk.core.people import edits
    from kinfolk.gui.main_window import MainWindow
    from kinfolk.gui.session import Session

    if args.drawn_only:
        drawn_people(app, work, out)
        shutil.rmtree(work, ignore_errors=True)
        return 0
    photos = work / "Family photos"
    photos.mkdir()
    faces = Path(args.faces)
    with open(faces / "labels.csv", newline="") as fh:
        labels = {r["file"]: r["identity"] for r in csv.DictReader(fh)}
    truth = {}
    for f in pick(faces, args.photos):
        shutil.copy(faces / f, photos / f.replace("/", "_"))
        truth[str((photos / f.replace("/", "_")).resolve())] = labels[f]
    (photos / "scan-0042.jpg").write_bytes(b"")  # broken files, to show the Problems tab
    (photos / "holiday-cut.jpg").write_bytes((faces / pick(faces, 1)[0]).read_bytes()[:3000])

    session = Session(work / "library.sqlite", models)
    win = MainWindow(session, QSettings())
    win.resize(*SIZE)
    win.show()
    pump(app)

    dlg = win.maybe_show_welcome()
    wait(app, lambda: dlg.models.info is not None, 60)
    dlg.add_folder(photos)
    pump(app)
    save(dlg, out, "welcome")
    dlg.reject()
    pump(app)
    save(win, out, "library-empty")

    win.library_view.add_folder(photos)
    def far_enough() -> bool:
        p = session.scans.last_progress
        return not session.scans.running or (p is not None and p.phase == "scanning"
                                             and p.done >= max(3, p.total // 3))

    wait(app, far_enough, 120)
    if session.scans.running:
        session.scans.pause()
        pump(app, 1.5)
        save(win, faces_out, "library-scanning")
        session.scans.resume()
    wait(app, lambda: not session.scans.running and not win.organizing, 600)
    pump(app, 1.5)
    save(win, faces_out, "library")
    win.library_view.tabs.setCurrentIndex(1)
    pump(app)
    save(win, out, "library-problems")
    win.library_view.tabs.setCurrentIndex(0)

    # Name the two largest groups after who they really are (majority label of their photos), so
    # People, Suggestions and Search have something to show.
    clusters = edits.list_clusters(session.conn, min_faces=2)
    for c in clusters[:2]:
        paths = [session.conn.execute("SELECT p.path FROM faces f JOIN photos p ON p.id = f.photo_id "
                                      "WHERE f.id = ?", (fid,)).fetchone()[0]
                 for fid in edits.face_ids_of_cluster(session.conn, c.id)]
        votes = [truth.get(p, "") for p in paths]
        label = max(set(votes), key=votes.count)
        edits.name_cluster(session.conn, c.id, label.replace("_", " ").title())
    session.people_changed.emit()
    if clusters:
        win.organize()
        wait(app, lambda: not win.organizing, 300)
    wait(app, lambda: not session.people.busy, 60)
    for key in ("people", "groups", "suggestions"):
        win.show_page(key)
        pump(app, 1.5)
        has_faces = {"people": bool(session.people.snapshot.people),
                     "groups": bool(session.people.snapshot.clusters),
                     "suggestions": bool(session.people.snapshot.suggestions)}[key]
        save(win, faces_out if has_faces else out, key)
    snap = session.people.snapshot
    if snap.people:
        win.show_page("people")
        win.people_view.open_person(snap.people[0].id)
        pump(app, 1.5)
        save(win, faces_out, "person")
        win.people_view.show_list()
        win.show_page("search")
        win.search_view.with_edit.setText(snap.people[0].name)
        win.search_view.search()
        wait(app, lambda: not win.search_view.searching, 60)
        pump(app, 1.5)
        save(win, faces_out, "search")  # photo thumbnails: real faces
        win.search_view.view_row(0)
        wait(app, lambda: win.viewer is not None and not win.viewer.loading, 60)
        pump(app, 1)
        save(win.viewer, faces_out, "viewer")
        win.viewer.close()
        win.show_page("people")
        win.people_view.open_person(snap.people[0].id)
        win.people_view.person_page.tabs.setCurrentIndex(1)
        pump(app, 1.5)
        save(win, faces_out, "person-faces")
        win.people_view.person_page.tabs.setCurrentIndex(0)
        win.people_view.show_list()
    if win.review_single_faces() is not None:
        wait(app, lambda: not win.viewer.loading, 60)
        pump(app, 1)
        save(win.viewer, faces_out, "review")
        win.viewer.close()
    win.show_page("library")

    sdlg = win.open_settings()
    wait(app, lambda: sdlg.pack_combo.count() > 0, 60)
    pump(app)
    for i, name in enumerate(("settings-folders", "settings-models", "settings-faces")):
        sdlg.tabs.setCurrentIndex(i)
        pump(app)
        save(sdlg, out, name)
    sdlg.advanced.setChecked(True)
    pump(app)
    save(sdlg, out, "settings-faces-advanced")
    sdlg.reject()
    win.close()
    drawn_people(app, work, out)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def drawn_people(app: QApplication, work: Path, out: Path) -> None:
    """The views with faces, on a library of drawn people (safe to publish)."""
    from kinfolk.gui.main_window import MainWindow
    from kinfolk.gui.session import Session

    from tests.gui import synthetic_library

    persons = synthetic_library.build(work / "Drawn photos", work / "drawn.sqlite")
    session = Session(work / "drawn.sqlite", None)
    win = MainWindow(session, QSettings())
    win.resize(*SIZE)
    win.show()
    wait(app, lambda: session.people.generation > 0 and not session.people.busy, 60)
    win.show_page("library")
    wait(app, lambda: win.library_view.grid_model.rowCount() > 0, 30)
    pump(app, 1.5)
    save(win, out, "library")
    win.show_page("people")
    pump(app, 1.5)
    save(win, out, "people")
    pv = win.people_view
    pv.open_person(persons["Anna Berg"])
    pump(app, 2.5)
    save(win, out, "person")
    pv.person_page.tabs.setCurrentIndex(1)
    pump(app, 1)
    save(win, out, "person-faces")
    pv.person_page.tabs.setCurrentIndex(0)
    pv.show_list()
    win.show_page("groups")
    pump(app, 1.5)
    save(win, out, "groups")
    win.show_page("suggestions")
    pump(app, 1.5)
    save(win, out, "suggestions")
    sv = win.suggestions_view
    sv.show_face(sv.model.cards[0])
    viewer = win.viewer
    viewer.resize(min(1100, SIZE[0]), min(720, SIZE[1]))
    wait(app, lambda: not viewer.loading, 30)
    viewer.explain_selected()
    pump(app, 1.5)
    save(viewer, out, "viewer")
    viewer.close()
    win.show_page("search")
    search = win.search_view
    search.with_edit.setText("Anna Berg, Ben Okafor")
    search.date_from.setText("2019")
    search.search()
    wait(app, lambda: not search.searching, 30)
    pump(app, 2)
    save(win, out, "search")
    if win.review_single_faces() is not None:
        wait(app, lambda: not win.viewer.loading, 30)
        pump(app, 1)
        save(win.viewer, out, "review")
        win.viewer.close()
    win.close()


if __name__ == "__main__":
    sys.exit(main())
