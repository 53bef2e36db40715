"""Named regions written by ExifTool into sidecars of the drawn library (for the import summary's
test and screenshot): Emma's faces get her name (she is only an unnamed group in the library), one
of Anna's confirmed faces is called "Anna Svensson" (a conflict), and one region lies on no face."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path


def _region(name: str, box, w: int, h: int) -> str:
    x1, y1, x2, y2 = box[0] / w, box[1] / h, box[2] / w, box[3] / h
    return ("{Area={X=%.6f,Y=%.6f,W=%.6f,H=%.6f,Unit=normalized},Name=%s,Type=Face}"
            % ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, name))


def write_regions(library: Path) -> dict[str, int]:
    """Returns how many regions of each kind were written: named, conflict, unmatched."""
    conn = sqlite3.connect(library)
    emma = conn.execute("SELECT f.x1, f.y1, f.x2, f.y2, p.path, p.width, p.height FROM faces f "
                        "JOIN photos p ON p.id = f.photo_id WHERE f.cluster_id = 1 ORDER BY p.path").fetchall()
    anna = conn.execute("SELECT f.x1, f.y1, f.x2, f.y2, p.path, p.width, p.height FROM faces f "
                        "JOIN photos p ON p.id = f.photo_id JOIN persons ps ON ps.id = f.person_id "
                        "WHERE ps.name = 'Anna Berg' AND f.state = 'confirmed' ORDER BY p.path").fetchone()
    conn.close()
    per_photo: dict[str, list[str]] = {}
    for *box, path, w, h in emma[:3]:
        per_photo.setdefault(path, []).append(_region("Emma Sato", box, w, h))
    *box, path, w, h = anna
    per_photo.setdefault(path, []).append(_region("Anna Svensson", box, w, h))
    per_photo[path].append(_region("Grandpa Joe", (0, 0, w * 0.05, h * 0.05), w, h))
    for path, regions in per_photo.items():
        subprocess.run(["exiftool", "-q", "-q", f"-RegionInfo={{RegionList=[{','.join(regions)}]}}",
                        f"{path}.xmp"], check=True)
    return {"named": len(emma[:3]), "conflict": 1, "unmatched": 1}
