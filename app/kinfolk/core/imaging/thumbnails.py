"""Small square JPEG crops of faces for the UI, cut from an image already in memory."""

from __future__ import annotations

import io
from typing import Any, Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image

THUMB_SIZE = 160
MARGIN = 0.25  # of the box's long side, on each side: shows hair and chin, like a contact photo


def thumbnail_square(box: Sequence[float] | npt.NDArray[np.floating[Any]], width: float, height: float,
                     margin: float = MARGIN) -> tuple[float, float, float]:
    """(left, top, side) of the square a face's thumbnail shows, in the pixels ``box`` is in: the box's
    long side plus ``margin`` of it on each side, around its centre. Near an edge the square slides
    inward rather than padding with black; it shrinks only when the photo is smaller than it."""
    x1, y1, x2, y2 = (float(v) for v in box)
    side = min(max(x2 - x1, y2 - y1) * (1 + 2 * margin), width, height)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    return min(max(cx - side / 2, 0.0), width - side), min(max(cy - side / 2, 0.0), height - side), side


def face_thumbnail(rgb: npt.NDArray[np.uint8], box: Sequence[float] | npt.NDArray[np.floating[Any]],
                   size: int = THUMB_SIZE, quality: int = 85) -> bytes:
    """A ``size``×``size`` JPEG of the face in ``box`` (pixels of ``rgb``), clamped to the image."""
    h, w = rgb.shape[:2]
    fleft, ftop, side = thumbnail_square(box, w, h)
    left, top = int(round(fleft)), int(round(ftop))
    side_px = max(1, int(round(side)))
    crop = Image.fromarray(np.ascontiguousarray(rgb[top:top + side_px, left:left + side_px]))
    if crop.size != (size, size):
        # reducing_gap=1: a box reduction by the whole factor first, then bilinear over less than
        # 2× (0.65 ms a face, against 0.80 with gap 2; no visible difference at 160 px).
        crop = crop.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=1.0)
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=quality)
    return out.getvalue()
