"""Small square JPEG crops of faces for the UI, cut from an image already in memory."""

from __future__ import annotations

import io
from typing import Any, Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image

THUMB_SIZE = 160
MARGIN = 0.25  # of the box's long side, on each side: shows hair and chin, like a contact photo


def face_thumbnail(rgb: npt.NDArray[np.uint8], box: Sequence[float] | npt.NDArray[np.floating[Any]],
                   size: int = THUMB_SIZE, quality: int = 85) -> bytes:
    """A ``size``×``size`` JPEG of the face in ``box`` (pixels of ``rgb``), clamped to the image."""
    h, w = rgb.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    # A square around the face; near an edge it slides inward rather than padding with black, and it
    # shrinks only when the photo itself is smaller than the square.
    side = min(max(x2 - x1, y2 - y1) * (1 + 2 * MARGIN), w, h)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left = int(round(min(max(cx - side / 2, 0), w - side)))
    top = int(round(min(max(cy - side / 2, 0), h - side)))
    side_px = max(1, int(round(side)))
    crop = Image.fromarray(np.ascontiguousarray(rgb[top:top + side_px, left:left + side_px]))
    if crop.size != (size, size):
        # reducing_gap=1: a box reduction by the whole factor first, then bilinear over less than
        # 2× (0.65 ms a face, against 0.80 with gap 2; no visible difference at 160 px).
        crop = crop.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=1.0)
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=quality)
    return out.getvalue()
