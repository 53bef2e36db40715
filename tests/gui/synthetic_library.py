"""A library of drawn people (cartoon avatars, no real faces) for screenshots of the views that show
faces: the labeled photo set's terms keep real faces out of the repository, drawings are ours.

``build(folder, library)`` draws photos of a few invented people (each with a fixed look: skin,
hair, eyes, clothes; pose and size vary per photo) into ``folder`` and writes the library rows a scan
and a few user decisions would have left: named people with confirmed faces, one automatic match,
unnamed groups, pending suggestions with their evidence, and face crops cut from the drawings.
Embeddings are random per person (nothing is matched or clustered here: the rows say the outcome).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from kinfolk.core.imaging.thumbnails import face_thumbnail

MODEL = "faceplugin_mbf512"


@dataclass(frozen=True)
class Look:
    name: str | None  # None: someone not named yet (an unnamed group)
    skin: tuple
    hair: tuple
    shirt: tuple
    eyes: tuple = (60, 40, 30)
    hair_style: str = "short"  # short | long | bun | bald
    glasses: bool = False
    beard: bool = False


LOOKS = [
    Look("Anna Berg", (241, 200, 170), (120, 70, 40), (200, 60, 80), hair_style="long"),
    Look("Ben Okafor", (141, 93, 63), (30, 25, 25), (40, 110, 190), beard=True),
    Look("Clara Jensen", (250, 220, 195), (230, 190, 90), (90, 160, 90), (70, 120, 170), "bun"),
    Look("David Moreau", (222, 180, 140), (90, 90, 95), (230, 150, 40), glasses=True),
    Look("Emma Sato", (238, 205, 160), (25, 20, 20), (150, 90, 180), hair_style="long"),
    Look(None, (200, 150, 110), (60, 40, 30), (70, 70, 80), beard=True),
    Look(None, (250, 215, 190), (170, 60, 30), (240, 210, 60), hair_style="long", glasses=True),
    Look(None, (180, 130, 95), (20, 20, 20), (60, 150, 150), hair_style="bald"),
]

SCENES = [((135, 190, 235), (120, 170, 90)), ((250, 210, 150), (200, 150, 110)),
          ((180, 200, 220), (90, 100, 120)), ((240, 230, 215), (170, 130, 100)),
          ((120, 160, 200), (230, 220, 190))]


def draw_person(d: ImageDraw.ImageDraw, look: Look, cx: float, cy: float, r: float,
                smile: float, tilt: float) -> tuple[float, float, float, float]:
    """A head of radius ``r`` at (cx, cy) on shoulders; returns the face box (x1, y1, x2, y2)."""
    # Body and neck.
    d.rounded_rectangle((cx - 1.75 * r, cy + 1.05 * r, cx + 1.75 * r, cy + 4.2 * r),
                        radius=0.9 * r, fill=look.shirt)
    d.rectangle((cx - 0.35 * r, cy + 0.7 * r, cx + 0.35 * r, cy + 1.2 * r), fill=look.skin)
    if look.hair_style == "long":
        d.rounded_rectangle((cx - 1.15 * r, cy - 1.1 * r, cx + 1.15 * r, cy + 1.6 * r),
                            radius=r * 0.9, fill=look.hair)
    d.ellipse((cx - 0.92 * r, cy - 1.1 * r, cx + 0.92 * r, cy + 1.0 * r), fill=look.skin)
    if look.hair_style in ("short", "long", "bun"):
        d.chord((cx - 0.98 * r, cy - 1.2 * r, cx + 0.98 * r, cy + 0.2 * r), 180, 360,
                fill=look.hair)
    if look.hair_style == "bun":
        d.ellipse((cx - 0.45 * r, cy - 1.75 * r, cx + 0.45 * r, cy - 0.9 * r), fill=look.hair)
    if look.beard:
        d.chord((cx - 0.85 * r, cy - 0.2 * r, cx + 0.85 * r, cy + 1.02 * r), 0, 180, fill=look.hair)
    dx = math.sin(tilt) * r * 0.15
    for side in (-1, 1):  # eyes
        ex, ey = cx + side * 0.36 * r + dx, cy - 0.05 * r
        d.ellipse((ex - 0.16 * r, ey - 0.1 * r, ex + 0.16 * r, ey + 0.1 * r), fill=(250, 250, 250))
        d.ellipse((ex - 0.07 * r, ey - 0.07 * r, ex + 0.07 * r, ey + 0.07 * r), fill=look.eyes)
        if look.glasses:
            d.ellipse((ex - 0.24 * r, ey - 0.2 * r, ex + 0.24 * r, ey + 0.2 * r),
                      outline=(40, 40, 40), width=max(2, int(r * 0.05)))
    d.line((cx - 0.2 * r + dx, cy - 0.3 * r, cx - 0.5 * r + dx, cy - 0.32 * r), fill=look.hair,
           width=max(2, int(r * 0.07)))
    d.line((cx + 0.2 * r + dx, cy - 0.3 * r, cx + 0.5 * r + dx, cy - 0.32 * r), fill=look.hair,
           width=max(2, int(r * 0.07)))
    nose = tuple(int(c * 0.85) for c in look.skin)
    d.polygon([(cx + dx, cy), (cx - 0.1 * r + dx, cy + 0.28 * r), (cx + 0.1 * r + dx, cy + 0.28 * r)],
              fill=nose)
    mouth_h = 0.08 + 0.25 * smile
    d.chord((cx - 0.32 * r + dx, cy + 0.35 * r, cx + 0.32 * r + dx, cy + (0.45 + mouth_h) * r),
            0, 180, fill=(170, 60, 60))
    return (cx - 0.95 * r, cy - 1.15 * r, cx + 0.95 * r, cy + 1.05 * r)


def draw_photo(rng: np.random.Generator, looks: list[Look], size=(1600, 1200)):
    """A photo of ``looks`` side by side; their face boxes, in the same order."""
    w, h = size
    sky, ground = SCENES[int(rng.integers(len(SCENES)))]
    img = Image.new("RGB", size, sky)
    d = ImageDraw.Draw(img)
    d.rectangle((0, int(h * 0.62), w, h), fill=ground)
    for _ in range(3):  # a few soft shapes in the background
        x, y, s = rng.uniform(0, w), rng.uniform(0, h * 0.6), rng.uniform(80, 260)
        c = tuple(int(v) for v in rng.integers(150, 255, 3))
        d.ellipse((x - s, y - s / 2, x + s, y + s / 2), fill=c)
    boxes = []
    n = len(looks)
    for i, look in enumerate(looks):
        r = rng.uniform(95, 150) if n > 1 else rng.uniform(170, 230)
        cx = w * (i + 0.5) / n + rng.uniform(-40, 40)
        cy = h * 0.42 + rng.uniform(-60, 60)
        boxes.append(draw_person(d, look, cx, cy, r, rng.uniform(0, 1), rng.uniform(-0.6, 0.6)))
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    return img, boxes


# Photos: which looks (indices into LOOKS) appear together. Named people first, then strangers.
SCRIPT = [[0], [0, 1], [0, 2], [1], [1, 3], [2], [2, 4], [0, 1, 2], [3], [3, 0], [4], [4, 1],
          [0, 4], [2, 3], [5], [5, 0], [5, 1], [6], [6, 2], [6, 3], [7], [7, 4], [0], [1, 2],
          [3, 4], [5, 6], [0, 3], [2], [4, 0, 1], [7, 5]]

# Photos come in bursts (a holiday, a birthday): (first photo of the event, its month). The last
# three photos have no date of their own.
EVENTS = [(0, "2019-04"), (7, "2019-12"), (9, "2021-12"), (15, "2022-06"), (23, "2022-12"), (27, None)]


def build(folder: Path, library: Path, seed: int = 3) -> dict:
    """Draw the photos into ``folder`` and write ``library``. Returns names → person ids."""
    from kinfolk.db.connection import connect, transaction

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    conn = connect(library)
    centers = {i: rng.standard_normal(512) for i in range(len(LOOKS))}
    persons: dict[str, int] = {}
    faces_of: dict[int, list[int]] = {}
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO folders(path) VALUES (?)", (str(folder),))
        for look in LOOKS[:4]:  # Emma (index 4) is not named yet: her faces are a group
            persons[look.name] = int(conn.execute("INSERT INTO persons(name) VALUES (?)",
                                                  (look.name,)).lastrowid)
        for n, who in enumerate(SCRIPT):
            img, boxes = draw_photo(rng, [LOOKS[i] for i in who])
            path = folder / f"IMG_{2041 + n:04d}.jpg"
            img.save(path, "JPEG", quality=88)
            month = [m for first, m in EVENTS if first <= n][-1]
            day, source = (f"{month}-{3 + n % 25:02d}T{10 + n % 8}:15:00", "exif") if month else \
                ("2024-05-18T21:40:00", "file")  # no date in the photo: the copy's file time
            pid = conn.execute(
                "INSERT INTO photos(path, size, mtime_ns, status, width, height, format, taken_at, "
                "taken_at_source, scan_model) VALUES (?, ?, ?, 'ok', ?, ?, 'JPEG', ?, ?, ?)",
                (str(path), path.stat().st_size, path.stat().st_mtime_ns, img.width, img.height,
                 day, source, MODEL)).lastrowid
            rgb = np.asarray(img)
            for i, box in zip(who, boxes):
                e = centers[i] + 0.6 * rng.standard_normal(512)
                e = (e / np.linalg.norm(e)).astype(np.float32)
                fid = conn.execute(
                    "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, score, quality, model_id, "
                    "embedding) VALUES (?, ?, ?, ?, ?, ?, 0.9, ?, ?, ?)",
                    (pid, *box, np.zeros((5, 2), np.float32).tobytes(), float(rng.uniform(0.5, 1)),
                     MODEL, e.tobytes())).lastrowid
                conn.execute("INSERT INTO thumbnails(face_id, jpeg) VALUES (?, ?)",
                             (fid, face_thumbnail(rgb, box)))
                faces_of.setdefault(i, []).append(int(fid))
        # Decisions: named people's faces confirmed, except one automatic match and one
        # suggestion each for Anna and Ben; Emma and two strangers in groups; one face alone.
        for i, look in enumerate(LOOKS[:4]):
            pid = persons[look.name]
            ids = faces_of[i]
            conn.execute(f"UPDATE faces SET person_id = ?, state = 'confirmed' WHERE id IN "
                         f"({','.join('?' * len(ids))})", (pid, *ids))
        anna, ben = persons["Anna Berg"], persons["Ben Okafor"]

        def evidence(fid: int, pid: int, i: int, score: float, runner: float) -> str:
            others = [f for f in faces_of[i] if f != fid][:4]
            return json.dumps({"score": score, "runner_up": runner,
                               "neighbours": [{"face": f, "person": pid,
                                               "similarity": round(score + 0.08 - 0.03 * k, 2)}
                                              for k, f in enumerate(others)],
                               "thresholds": {"auto": 0.46, "suggest": 0.35, "margin": 0.05}})

        auto_face = faces_of[0][-1]
        conn.execute("UPDATE faces SET state = 'auto', match_similarity = 0.58, match_evidence = ? "
                     "WHERE id = ?", (evidence(auto_face, anna, 0, 0.58, 0.21), auto_face))
        for i, pid, sim in ((0, anna, 0.43), (1, ben, 0.4)):
            fid = faces_of[i][-2]
            conn.execute("UPDATE faces SET person_id = NULL, state = 'unassigned' WHERE id = ?",
                         (fid,))
            conn.execute("INSERT INTO suggestions(face_id, person_id, similarity, evidence) "
                         "VALUES (?, ?, ?, ?)", (fid, pid, sim, evidence(fid, pid, i, sim, 0.18)))
        for cluster, i in ((1, 4), (2, 5), (3, 6)):
            ids = faces_of[i]
            conn.execute(f"UPDATE faces SET cluster_id = ? WHERE id IN ({','.join('?' * len(ids))})",
                         (cluster, *ids))
    conn.close()
    return persons

