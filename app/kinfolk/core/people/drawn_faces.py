"""Faces the detector missed, boxed by the user ("Draw a face" in the viewer).

The box (full-size oriented pixels) is treated like a detection: the photo region around it is
decoded, the detector runs on it once more to find the face's five landmarks (it often finds a face
it missed at scan scale once shown the region); if it finds none overlapping the box, the landmarks
are placed where the ArcFace template puts them inside the box. The face is then aligned, embedded
by the library's recognizer and stored like any detected face: unassigned, in no group, with a crop
and a quality score, so matching suggests who it is and it can be named, moved or undone.
"""

from __future__ import annotations

import sqlite3
from typing import Sequence

import numpy as np

from kinfolk.db import faces as db_faces
from kinfolk.db import photos as db_photos
from kinfolk.db.connection import transaction
from kinfolk.db.faces import StoredFace
from kinfolk.core.imaging import imageio
from kinfolk.core.faces.align import ARCFACE_TEMPLATE, align_face
from kinfolk.core.faces.backend import Detection, FaceBackend
from kinfolk.core.people.edits import Change, PeopleError
from kinfolk.core.faces.quality import face_quality
from kinfolk.core.metadata.regions import iou
from kinfolk.core.imaging.thumbnails import face_thumbnail

MIN_SIDE = 12  # pixels of the full photo: smaller boxes are a slip of the mouse
CONTEXT = 0.6  # region decoded around the box, × its size on each side
REDETECT_IOU = 0.3


def template_landmarks(box: Sequence[float] | np.ndarray) -> np.ndarray:
    """Five landmarks where the ArcFace template puts them in a face filling ``box``."""
    x1, y1, x2, y2 = (float(v) for v in box)
    t = ARCFACE_TEMPLATE / 112.0
    return np.stack([x1 + t[:, 0] * (x2 - x1), y1 + t[:, 1] * (y2 - y1)], axis=1).astype(np.float32)


def add_drawn_face(conn: sqlite3.Connection, backend: FaceBackend, photo_id: int,
                   box: Sequence[float]) -> Change:
    """Store a face on ``box`` of photo ``photo_id``, embedded by ``backend`` (whose ``model_id``
    must be the photo's scan model). ``change.result`` is the new face id; ``change.undo`` deletes
    it. Raises ``PeopleError`` for a box that is too small, off the photo, or on another model."""
    row = db_photos.readable_photo(conn, photo_id)
    if row is None:
        raise PeopleError("this photo is no longer in the library")
    path, width, height, scan_model = row
    if scan_model and scan_model != backend.model_id:
        raise PeopleError("this photo was read with another face model; scan it again first")
    x1, y1, x2, y2 = (float(v) for v in box)
    x1, x2 = sorted((max(0.0, x1), min(float(width or x2), x2)))
    y1, y2 = sorted((max(0.0, y1), min(float(height or y2), y2)))
    if min(x2 - x1, y2 - y1) < MIN_SIDE:
        raise PeopleError("the box is too small to hold a face")
    img = imageio.load_full(path)
    rgb_full = np.asarray(img.convert("RGB"))
    h, w = rgb_full.shape[:2]
    # Boxes are stored in full-size pixels; the decoded photo is full size, but keep the ratio honest.
    sx, sy = w / float(width or w), h / float(height or h)
    bx = np.array([x1 * sx, y1 * sy, x2 * sx, y2 * sy], np.float32)
    m = CONTEXT * max(bx[2] - bx[0], bx[3] - bx[1])
    cx1, cy1 = int(max(0, bx[0] - m)), int(max(0, bx[1] - m))
    cx2, cy2 = int(min(w, bx[2] + m)), int(min(h, bx[3] + m))
    region = np.ascontiguousarray(rgb_full[cy1:cy2, cx1:cx2])
    local = bx - np.array([cx1, cy1, cx1, cy1], np.float32)
    found = [d for d in backend.detect(region) if iou(d.box, local) >= REDETECT_IOU]
    if found:
        best = max(found, key=lambda d: iou(d.box, local))
        det = Detection(local, best.landmarks.astype(np.float32), float(best.score))
    else:
        det = Detection(local, template_landmarks(local), 0.0)
    chip = backend.crop(region, det)
    qchip = chip if chip.shape[:2] == (112, 112) else align_face(region, det.landmarks)
    emb = backend.embed([chip])[0].astype(np.float32)
    quality = face_quality(qchip, det, float(min(local[2] - local[0], local[3] - local[1]) / sx))
    full_landmarks = (det.landmarks + np.array([cx1, cy1], np.float32)) / np.array([sx, sy], np.float32)
    change = Change("Draw a face")
    with transaction(conn):
        fid = db_faces.add_face(conn, photo_id, (x1, y1, x2, y2),
                                full_landmarks.astype(np.float32).tobytes(), det.score,
                                float(quality), backend.model_id, emb.tobytes(),
                                face_thumbnail(rgb_full, bx))
    change.faces_added.append(fid)
    change.result = fid
    return change


def saved_face(conn: sqlite3.Connection, face_id: int) -> tuple[StoredFace, bytes | None]:
    """A face row and its crop, so ``put_back`` can store it again (redo of "Draw a face")."""
    saved = db_faces.stored_face(conn, face_id)
    if saved is None:
        raise PeopleError("this face is no longer in the library")
    return saved


def put_back(conn: sqlite3.Connection, saved: tuple[StoredFace, bytes | None]) -> Change:
    """Store a face saved by ``saved_face`` again, under its id (no model needed)."""
    row, jpeg = saved
    change = Change("Draw a face")
    with transaction(conn):
        db_faces.restore_face(conn, row, jpeg)
    change.faces_added.append(row.id)
    change.result = row.id
    return change
