"""Small square JPEG crops of faces for the UI, cut from an image already in memory."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

THUMB_SIZE = 160
MARGIN = 0.25  # of the box's long side, on each side: shows hair and chin, like a contact photo


def face_thumbnail(rgb: np.ndarray, box, size: int = THUMB_SIZE, quality: int = 85) -> bytes:
    """A ``size``×``size`` JPEG of the face in ``box`` (pixels of ``rgb``), clamped to the image."""
    h, w = rgb.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    side = max(x2 - x1, y2 - y1) * (1 + 2 * MARGIN)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    half = side / 2
    l, t = int(max(0, round(cx - half))), int(max(0, round(cy - half)))
    r, b = int(min(w, round(cx + half))), int(min(h, round(cy + half)))
    if r <= l or b <= t:
        l, t, r, b = 0, 0, w, h
    crop = Image.fromarray(np.ascontiguousarray(rgb[t:b, l:r]))
    crop.thumbnail((size, size), Image.BILINEAR)
    square = Image.new("RGB", (size, size), (0, 0, 0))
    square.paste(crop, ((size - crop.width) // 2, (size - crop.height) // 2))
    out = io.BytesIO()
    square.save(out, "JPEG", quality=quality)
    return out.getvalue()
