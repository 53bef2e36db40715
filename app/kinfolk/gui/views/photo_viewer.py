"""The photo viewer: one photo, scaled to the window, with a box and a name on every face.

Opened by double-clicking a face or a photo anywhere (face grids, a person's photos, suggestions,
search results). It walks through the list it was opened with (← / →). The photo is decoded off the
GUI thread with ``core.imageio.load_full`` (EXIF-oriented, reduced to the screen's size); face boxes
are stored in full-size oriented pixels, so they are scaled by (shown width / ``photos.width``).

Clicking a face selects it; the panel on the right (and a right-click menu on the box) offers: name
it (the name completes from the people already named), "Yes, it's <name>" for a suggestion or an
automatic match, "Not <name>", "Move to…", and "Why is this face here?" (``core.matching.explain``:
its similarity, the runner-up, and the closest faces the user confirmed). Every edit goes through
``Session.edit``, so Undo (Ctrl+Z, also in this window) takes it back.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import QByteArray, QEvent, QPoint, QSettings, QStringListModel, Qt
from PySide6.QtGui import QAction, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (QAbstractButton, QDialog, QHBoxLayout, QLabel, QListWidgetItem,
                               QMenu, QMessageBox, QPushButton, QSplitter, QToolButton,
                               QVBoxLayout, QWidget)

from kinfolk.core.imaging import imageio
from kinfolk.core.people import edits, matching
from kinfolk.core.filenames import readable
from kinfolk.core.imaging.photo_dates import shown_date
from kinfolk.db import faces as db_faces
from kinfolk.db import people as db_people
from kinfolk.db import photos as db_photos
from kinfolk.db.faces import FaceInPhoto
from kinfolk.db.photos import PhotoInfo
from kinfolk.gui import desktop, resources
from kinfolk.gui.preferences import K_VIEWER_GEOMETRY, K_VIEWER_SPLITTER
from kinfolk.gui.widgets.edit_notice import EditNotice
from kinfolk.gui.widgets.face_panel import CROP_SIZE, FacePanel
from kinfolk.gui.widgets.face_words import Explanation, explain_face, face_label, state_text
from kinfolk.gui.widgets.photo_canvas import PhotoCanvas
from kinfolk.gui.widgets.photo_details import PhotoDetails
from kinfolk.gui.widgets.photo_grid import pil_to_qimage
from kinfolk.gui.session import Session
from kinfolk.gui.widgets.common import ask_name, fmt_count, name_completer, pass_undo_to_window

log = logging.getLogger(__name__)

ViewerItem = tuple[str, int]  # ("photo", photo id) or ("face", face id: its photo, face selected)


# ------------------------------------------------------------------------------ worker functions

def load_photo_image(path: str, max_side: int) -> QImage:
    """The photo, oriented, fitted in ``max_side`` (worker thread). Raises ``ImageLoadError``."""
    return pil_to_qimage(imageio.load_full(path, max_side))


def load_face_crop(path: str, box: Sequence[float], size: int) -> QImage:
    """A sharp square crop of one face, cut from the original file (worker thread)."""
    img = QImage()
    img.loadFromData(imageio.face_thumbnail(path, box, size))
    return img


# ------------------------------------------------------------------------------------- viewer

class PhotoViewer(QDialog):
    """A window that shows photos of the library one at a time, with their faces."""

    def __init__(self, session: Session, parent: QWidget | None = None,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        # Injected so tests drive the viewer without modal dialogs.
        self.choose_person: Callable[[str, str, list[str], bool], str | None] = self._ask_person
        self.error: Callable[[str], None] = lambda m: QMessageBox.warning(self, "Kinfolk", m)
        self.open_file: Callable[[str], object] = desktop.open_file
        self.reveal: Callable[[str], object] = desktop.reveal
        self.items: list[ViewerItem] = []
        self.index = -1
        self.photo: PhotoInfo | None = None
        self.faces: list[FaceInPhoto] = []
        self.selected: int | None = None
        self.explanation: Explanation | None = None
        self.loading = False
        self.load_error: str | None = None
        self._gen = 0
        self.review = False  # one-by-one review: every answer moves on to the next face
        self._task = None
        self._crop_gen = 0
        self.sharp_crop: int | None = None  # the face whose crop from the original is shown
        self.setWindowTitle("Kinfolk")
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.setSizeGripEnabled(True)
        self.resize(1100, 760)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        top = QHBoxLayout()
        self.prev_button = QToolButton()
        self.prev_button.setText("←")
        self.prev_button.setAccessibleName("Previous photo")
        self.prev_button.setToolTip("Previous photo (Left arrow)")
        self.prev_button.clicked.connect(self.previous)
        self.next_button = QToolButton()
        self.next_button.setText("→")
        self.next_button.setAccessibleName("Next photo")
        self.next_button.setToolTip("Next photo (Right arrow)")
        self.next_button.clicked.connect(self.next)
        self.title = QLabel()
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.prev_button)
        top.addWidget(self.next_button)
        top.addWidget(self.title, 1)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the photo in your usual photo app")
        self.open_button.clicked.connect(self.open_photo)
        self.reveal_button = QPushButton(resources.icon("folder"), "Show in folder")
        self.reveal_button.clicked.connect(self.reveal_photo)
        self.draw_button = QPushButton("Draw a face")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("A face Kinfolk missed? Drag a box around it on the photo")
        self.draw_button.toggled.connect(lambda on: self.canvas.set_drawing(on))
        top.addWidget(self.draw_button)
        top.addWidget(self.open_button)
        top.addWidget(self.reveal_button)
        lay.addLayout(top)

        self.splitter = QSplitter()
        self.canvas = PhotoCanvas()
        self.canvas.face_clicked.connect(self._face_clicked)
        self.canvas.face_menu_requested.connect(self._face_menu)
        self.canvas.box_drawn.connect(self.add_drawn_face)
        self.adding_face = False
        self.panel = FacePanel()
        self.splitter.addWidget(self.canvas)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setCollapsible(0, False)
        lay.addWidget(self.splitter, 1)
        # What an edit just did, with Undo (the main window's status bar is behind this window), on
        # its own line above the details: sharing one line, each cut the other off. The details
        # stay while the notice shows (the date and file are still there to read); the notice has
        # the whole width and wraps, so "1 face left out: …" is read to its end.
        self.notice = EditNotice(self.session.undo)
        self.notice.label.setWordWrap(True)
        lay.addWidget(self.notice)
        self.status = PhotoDetails()
        lay.addWidget(self.status)

        p = self.panel
        p.name_edit.returnPressed.connect(self.name_selected)
        p.name_button.clicked.connect(self.name_selected)
        p.yes_button.clicked.connect(self.confirm_selected)
        p.not_button.clicked.connect(self.reject_selected)
        p.move_button.clicked.connect(self.move_selected)
        p.not_face_button.clicked.connect(self.not_face_selected)
        not_face = QAction(self)
        not_face.setShortcut(QKeySequence(Qt.KeyboardModifier.ControlModifier | Qt.Key.Key_Delete))
        not_face.triggered.connect(self.not_face_selected)
        self.addAction(not_face)
        p.name_edit.installEventFilter(self)  # review: ← / → in an empty name box change face
        pass_undo_to_window(p.name_edit)  # Ctrl+Z in the empty box undoes the last naming
        p.why_button.toggled.connect(lambda on: on and self.explain_selected())
        p.neighbours.itemDoubleClicked.connect(
            lambda it: self.session.show_face(it.data(Qt.ItemDataRole.UserRole)))

        undo = session.undo.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = session.undo.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.addAction(undo)
        self.addAction(redo)
        self._names = QStringListModel(session.people.snapshot.names, self)
        completer = name_completer([], self)
        completer.setModel(self._names)
        p.name_edit.setCompleter(completer)
        self._store = session.thumbnails(64)
        self._store.ready.connect(self._neighbour_thumbnails)
        session.people_changed.connect(self.reload_faces)
        session.edited.connect(self.notice.show_notice)
        session.people.loaded.connect(self._people_loaded)
        # Enter belongs to the name box (a dialog would also "click" its default button, Open), and
        # ← / → always change photo, even after a button was clicked (buttons use arrows to move focus).
        for b in self.findChildren(QAbstractButton):
            if isinstance(b, QPushButton):
                b.setAutoDefault(False)
                b.setDefault(False)
            b.installEventFilter(self)
        self._restore()

    # -- navigation ---------------------------------------------------------------------------

    def show_items(self, items: Sequence[ViewerItem], index: int = 0, review: bool = False) -> None:
        """Show ``items[index]``; ← / → walk through ``items``. ``review``: faces one by one, the
        name box always ready; naming a face (or "Not a face") moves on to the next one, Enter on
        an empty box skips it."""
        self.items = list(items)
        self.review = review
        self.panel.review_hint.setVisible(review)
        self.show_index(index)

    def show_index(self, index: int) -> None:
        if not self.items:
            return
        index = max(0, min(index, len(self.items) - 1))
        self.index = index
        kind, key = self.items[index]
        conn = self.session.conn
        face_id = key if kind == "face" else None
        photo_id = db_faces.photo_of_face(conn, key) if kind == "face" else key
        info = db_photos.photo_info(conn, photo_id) if photo_id is not None else None
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self.items) - 1)
        self.photo = info
        if info is None:
            self.faces = []
            self.canvas.set_photo(None, [])
            self.canvas.set_message("This photo is no longer in the library.")
            self.title.setText("")
            self.status.set_details("")
            self.panel.show_nothing("")
            self._select(None)
            return
        self.faces = db_faces.faces_in_photo(conn, info.id)
        full = (info.width, info.height) if info.width and info.height else None
        self.canvas.set_photo(full, self.faces)
        position = f" — {index + 1} of {len(self.items)}" if len(self.items) > 1 else ""
        self.title.setText(f"<b>{Path(info.path).name}</b>{position}")
        self.setWindowTitle(f"{Path(info.path).name} — Kinfolk")
        self._update_status()
        self._load(info)
        if face_id is None and len(self.faces) == 1:
            face_id = self.faces[0].id
        self._select(face_id)

    def next(self) -> None:
        if self.index < len(self.items) - 1:
            self.show_index(self.index + 1)

    def previous(self) -> None:
        if self.index > 0:
            self.show_index(self.index - 1)

    def eventFilter(self, obj, event) -> bool:
        if (obj is self.panel.name_edit and event.type() == QEvent.Type.KeyPress
                and not obj.text() and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                self.next() if event.key() == Qt.Key.Key_Right else self.previous()
                return True
            if self.review and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._advance()  # nothing typed: skip this face
                return True
        if (isinstance(obj, QAbstractButton) and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            self.next() if event.key() == Qt.Key.Key_Right else self.previous()
            return True
        return super().eventFilter(obj, event)

    def open_photo(self) -> bool:
        """Open the photo in the system's photo app; say so when that is not possible."""
        if self.photo is None:
            return False
        ok = bool(self.open_file(self.photo.path))
        if not ok:
            self.error(f"No app could open {Path(self.photo.path).name}. Is the file still there, "
                       "and is a photo viewer set as the default for this kind of file?")
        return ok

    def reveal_photo(self) -> bool:
        if self.photo is None:
            return False
        ok = bool(self.reveal(self.photo.path))
        if not ok:
            self.error(f"Could not show {Path(self.photo.path).name} in its folder.")
        return ok

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Space):
            self.next()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_PageUp, Qt.Key.Key_Backspace):
            self.previous()
        else:
            super().keyPressEvent(event)

    def _update_status(self) -> None:
        info = self.photo
        if info is None:
            return
        parts = [fmt_count(len(self.faces), "face")]
        named = sorted({f.person for f in self.faces if f.person}, key=str.casefold)
        if named:
            parts.append(", ".join(named))
        source = db_photos.taken_at_sources(self.session.conn, [info.id]).get(info.id)
        taken, guess = shown_date(info.taken_at, source, info.path)
        if taken and not guess:
            parts.append("taken " + taken.replace("T", " ")[:16])
        elif taken:
            parts.append(f"no date in the photo (file date {taken[:10]}, a guess)")
        if self.load_error:
            parts.append(self.load_error)
        self.status.set_details(" · ".join(parts), info.path)

    # -- loading ------------------------------------------------------------------------------

    def _max_side(self) -> int:
        screen = self.screen()
        if screen is None:
            return 2048
        g = screen.availableGeometry()
        return int(min(4096, max(1024, max(g.width(), g.height()) * screen.devicePixelRatio())))

    def _load(self, info: PhotoInfo) -> None:
        self._gen += 1
        gen = self._gen
        if self._task is not None:
            self._task.cancel()
        self.loading = True
        self.load_error = None
        path, side = info.path, self._max_side()
        self._task = self.session.runner.run(
            lambda ctx: load_photo_image(path, side), name="load photo", owner=self,
            on_success=lambda img: self._loaded(gen, img),
            on_error=lambda exc: self._load_failed(gen, exc),
            on_cancelled=lambda: self._load_cancelled(gen))

    def _loaded(self, gen: int, img: QImage) -> None:
        if gen != self._gen:
            return
        self.loading = False
        self.canvas.set_image(img)

    def _load_failed(self, gen: int, exc: BaseException) -> None:
        if gen != self._gen:
            return
        self.loading = False
        reason = readable(str(exc))
        self.load_error = "cannot be shown"
        if getattr(exc, "reason", None) == "missing":
            reason = ("The file is not there: moved, deleted, or on a drive that is not connected. "
                      "Its faces and names are kept.")
        self.canvas.set_message(f"This photo cannot be shown:\n{reason}")
        self._update_status()

    def _load_cancelled(self, gen: int) -> None:
        if gen == self._gen:
            self.loading = False

    # -- faces --------------------------------------------------------------------------------

    def reload_faces(self) -> None:
        """Re-read the faces of the photo shown (after an edit, an undo, or a re-match)."""
        if self.photo is None or not self.isVisible() or self.session.conn is None:
            return
        self.faces = db_faces.faces_in_photo(self.session.conn, self.photo.id)
        self.canvas.set_faces(self.faces)
        self._update_status()
        self._select(self.selected if any(f.id == self.selected for f in self.faces) else None,
                     keep_edit=True)

    def _people_loaded(self, snap) -> None:
        self._names.setStringList(snap.names)
        self.reload_faces()

    def face(self, face_id: int | None) -> FaceInPhoto | None:
        return next((f for f in self.faces if f.id == face_id), None)

    def _face_clicked(self, face_id: int) -> None:
        self._select(face_id)
        f = self.face(face_id)
        if f is not None and not f.person:
            self.panel.name_edit.setFocus()

    def select_face(self, face_id: int | None) -> None:
        self._select(face_id)

    def _select(self, face_id: int | None, keep_edit: bool = False) -> None:
        changed = face_id != self.selected
        self.selected = face_id
        self.canvas.set_selected(face_id)
        f = self.face(face_id)
        p = self.panel
        if f is None:
            self.explanation = None
            p.show_nothing("No face was found in this photo." if not self.faces
                           else "Click a face to name it, or to see why Kinfolk put it there.")
            return
        p.show_face()
        if changed:
            p.show_refusal("")
        p.name_label.setText(face_label(f))
        p.state_label.setText(state_text(f))
        names = self.session.people.snapshot.names
        if changed or not keep_edit:
            p.name_edit.clear()
        p.name_edit.setPlaceholderText("Someone else?" if f.person else "Who is this?")
        who = f.person or f.suggested
        p.yes_button.setVisible(bool(who) and f.state != "confirmed")
        p.yes_button.setText(f"Yes, it's {who}" if who else "Yes")
        p.not_button.setVisible(bool(who))
        p.not_button.setText(f"Not {who}" if who else "Not")
        p.not_button.setToolTip(f"This is not {who}: never suggest it for them again" if who else "")
        p.move_button.setEnabled(any(n != f.person for n in names))
        if self.review and not f.person:
            p.name_edit.setFocus()
        if changed or not keep_edit:
            self._show_crop(f)
        if p.why_button.isChecked():
            self.explain_selected()

    def _show_crop(self, f: FaceInPhoto) -> None:
        """The stored thumbnail at once, then a sharp crop from the original file."""
        store = self.session.thumbnails(128)
        self.sharp_crop = None
        self.panel.crop.setPixmap(store.pixmap(f.id).scaled(
            CROP_SIZE, CROP_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))
        if self.photo is None:
            return
        self._crop_gen += 1
        gen, fid, path, box = self._crop_gen, f.id, self.photo.path, f.box
        size = round(CROP_SIZE * self.devicePixelRatioF())

        def done(img: QImage) -> None:
            if gen != self._crop_gen or img.isNull():
                return
            pm = QPixmap.fromImage(img)
            pm.setDevicePixelRatio(self.devicePixelRatioF())
            self.panel.crop.setPixmap(pm)
            self.sharp_crop = fid

        self.session.runner.run(lambda ctx: load_face_crop(path, box, size), name="face crop",
                                owner=self, on_success=done,
                                on_error=lambda exc: log.info("no crop of face %s: %s", fid, exc))

    # -- edits --------------------------------------------------------------------------------

    def _edit(self, text: str, op) -> bool:
        return self.session.try_edit(text, op, self.error)

    def name_selected(self, name: str | None = None) -> bool:
        """Name the selected face (``name`` or what is typed); an existing name adds it to them."""
        f = self.face(self.selected)
        name = " ".join((name if name is not None else self.panel.name_edit.text()).split())
        if f is None or not name:
            return False
        existing = next((n for n in self.session.people.snapshot.names
                         if n.casefold() == name.casefold()), name)
        if f.person and existing.casefold() == f.person.casefold():
            if f.state == "confirmed":
                self.panel.name_edit.clear()
                return False
            return self.confirm_selected()
        fid = f.id
        if any(o.id != fid and o.person and o.person.casefold() == existing.casefold()
               for o in self.faces):
            # One person appears once per photo: the naming would change nothing. Say so here and
            # stay on this face (a review must not skip it unseen), the name ready to retype.
            self._refuse(f"{existing} is already in this photo, on another face. Type another "
                         "name" + (", or press Enter on an empty box to skip this face." if
                                   self.review else "."))
            return False
        ok = self._edit(f"Name face {existing}", lambda c: edits.name_faces(c, [fid], existing))
        if not ok:
            return False
        named = self.face(fid)
        if named is None or (named.person or "").casefold() != existing.casefold():
            # Refused by the library after all (its faces changed meanwhile): the notice says why.
            self._refuse(f"This face was not named {existing}: {self.notice.label.text()}")
            return False
        self.panel.name_edit.setText("")  # forgets the typing: Ctrl+Z undoes the naming
        self.panel.show_refusal("")
        self._advance()
        return True

    def _refuse(self, text: str) -> None:
        """Why the name typed for the selected face was not given; the typing is kept, selected."""
        self.panel.show_refusal(text)
        self.panel.name_edit.selectAll()
        self.panel.name_edit.setFocus()

    def add_drawn_face(self, box) -> None:
        """Embed the face in ``box`` (full-size pixels) in the background, then store it as one
        undoable edit; it is selected, ready to be named."""
        self.draw_button.setChecked(False)
        if self.photo is None or self.adding_face:
            return
        from kinfolk.core.people import drawn_faces
        from kinfolk.db.connection import opened

        self.adding_face = True
        photo_id, lib, scans = self.photo.id, self.session.path, self.session.scans
        self.status.set_details("Adding the face you drew…")

        def work(ctx):
            with opened(lib) as conn:
                return drawn_faces.add_drawn_face(conn, scans.backend(), photo_id, box)

        def done(change) -> None:
            self.adding_face = False
            saved = drawn_faces.saved_face(self.session.conn, change.result)
            first = [change]
            self.session.edit("Draw a face", lambda c: first.pop() if first
                              else drawn_faces.put_back(c, saved))
            if self.photo is not None and self.photo.id == photo_id:
                self.reload_faces()
                self._select(change.result)
                self.panel.name_edit.setFocus()

        def failed(exc: BaseException) -> None:
            self.adding_face = False
            self._update_status()
            self.error(f"Could not add that face: {exc}")

        self.session.runner.run(work, name="draw a face", owner=self, on_success=done,
                                on_error=failed)

    def not_face_selected(self) -> bool:
        """"Not a face": the box goes for good (remembered on rescan); undoable."""
        f = self.face(self.selected)
        if f is None:
            return False
        fid = f.id
        ok = self._edit("Not a face", lambda c: edits.mark_not_face(c, [fid]))
        if ok:
            self._advance()
        return ok

    def _advance(self) -> None:
        """In a review, on to the next face (or say that all were seen)."""
        if not self.review:
            return
        if self.index < len(self.items) - 1:
            self.show_index(self.index + 1)
        else:
            self.panel.show_nothing("That was the last one: every single face has been seen.")

    def confirm_selected(self) -> bool:
        return self._answer_selected(True)

    def reject_selected(self) -> bool:
        return self._answer_selected(False)

    def _answer_selected(self, yes: bool) -> bool:
        """"It's <who>" or "Not <who>" for the selected face's person (or suggested person)."""
        f = self.face(self.selected)
        pid = (f.person_id or f.suggested_id) if f else None
        if f is None or pid is None:
            return False
        fid, who = f.id, f.person or f.suggested
        op = edits.confirm if yes else edits.reject
        return self._edit(f"It's {who}" if yes else f"Not {who}", lambda c: op(c, [fid], pid))

    def move_selected(self) -> bool:
        f = self.face(self.selected)
        if f is None:
            return False
        names = [n for n in self.session.people.snapshot.names if n != f.person]
        if not names:
            self.error("Nobody else has a name yet: type a name to name this face.")
            return False
        name = self.choose_person("Move face to…", "Who is this?", names, True)
        if not name:
            return False
        fid = f.id
        return self._edit(f"Move face to {name}", lambda c: edits.move_faces(c, [fid], name))

    def ask_and_name_selected(self) -> bool:
        f = self.face(self.selected)
        if f is None:
            return False
        name = self.choose_person("Name this face", "Who is this? (A new name creates a person.)",
                                  self.session.people.snapshot.names, False)
        return bool(name) and self.name_selected(name)

    def explain_selected(self) -> Explanation | None:
        """Fill "Why is this face here?" for the selected face (a few quick reads)."""
        f = self.face(self.selected)
        if f is None:
            return None
        conn = self.session.conn
        snap = self.session.people.snapshot
        info = matching.explain(conn, f.id)
        names = {p.id: p.name for p in snap.people}
        sizes = {c.id: c.faces for c in snap.clusters}
        if info is not None and info.cluster is not None and info.cluster not in sizes:
            sizes[info.cluster] = len(edits.face_ids_of_cluster(conn, info.cluster))
        ex = explain_face(info, names, sizes, db_people.rejected_names(conn, f.id))
        self.explanation = ex
        p = self.panel
        p.why_text.setText(ex.text)
        p.neighbours.clear()
        for fid, name, sim in ex.neighbours:
            it = QListWidgetItem(self._store.pixmap(fid), f"{name.split()[0] if name else '?'}\n{sim:.2f}")
            it.setData(Qt.ItemDataRole.UserRole, fid)
            it.setToolTip(f"{name}, similarity {sim:.2f}")
            p.neighbours.addItem(it)
        p.neighbours.setVisible(bool(ex.neighbours))
        if not p.why_button.isChecked():
            p.why_button.setChecked(True)
        return ex

    def _neighbour_thumbnails(self, ids: list[int]) -> None:
        lw = self.panel.neighbours
        wanted = set(ids)
        for i in range(lw.count()):
            it = lw.item(i)
            if it.data(Qt.ItemDataRole.UserRole) in wanted:
                it.setIcon(self._store.pixmap(it.data(Qt.ItemDataRole.UserRole)))

    def _face_menu(self, face_id: int, pos: QPoint) -> None:
        menu = self.face_menu(face_id)
        if menu is not None:
            menu.exec(pos)

    def face_menu(self, face_id: int) -> QMenu | None:
        """The right-click menu of a face box (built here so tests can inspect and trigger it)."""
        f = self.face(face_id)
        if f is None:
            return None
        self._select(face_id)
        menu = QMenu(self)
        who = f.person or f.suggested

        def add(text: str, fn) -> QAction:
            a = QAction(text, menu)
            a.triggered.connect(lambda checked=False: fn())
            menu.addAction(a)
            return a

        add("Name this face…" if not f.person else "Someone else…", self.ask_and_name_selected)
        if who and f.state != "confirmed":
            add(f"Yes, it's {who}", self.confirm_selected)
        if who:
            add(f"Not {who}", self.reject_selected)
        if any(n != f.person for n in self.session.people.snapshot.names):
            add("Move to…", self.move_selected)
        add("Not a face", self.not_face_selected)
        menu.addSeparator()
        add("Why is this face here?", self.explain_selected)
        return menu

    # -- window -------------------------------------------------------------------------------

    def _ask_person(self, title: str, prompt: str, names: list[str], existing_only: bool) -> str | None:
        return ask_name(self, title, prompt, names, existing_only)

    def _restore(self) -> None:
        if self.settings is None:
            return
        geo = self.settings.value(K_VIEWER_GEOMETRY)
        if isinstance(geo, (QByteArray, bytes)):
            self.restoreGeometry(geo)
        split = self.settings.value(K_VIEWER_SPLITTER)
        if isinstance(split, (QByteArray, bytes)):
            self.splitter.restoreState(split)

    def done(self, r: int) -> None:  # closing (Esc, the close button): remember the geometry
        if self.settings is not None:
            self.settings.setValue(K_VIEWER_GEOMETRY, self.saveGeometry())
            self.settings.setValue(K_VIEWER_SPLITTER, self.splitter.saveState())
        if self._task is not None:
            self._task.cancel()
        self._gen += 1
        self.loading = False
        super().done(r)
