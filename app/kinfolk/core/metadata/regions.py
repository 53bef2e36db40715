"""Named face regions read from photo metadata, and the geometry between their space and Kinfolk's.

A ``Region`` holds a name and a normalized box (left, top, right, bottom in 0..1) **in the stored
image's space**, i.e. before EXIF Orientation is applied. That is what the metadata standards mean:
- MWG Guidelines 2.0 §5.9 (Regions): the area refers to the image as stored; a viewer applies the
  Orientation to the regions exactly as to the pixels (the guideline's figure; Immich's import was
  fixed to follow it, immich-app/immich#18021, and its export applies the inverse orientation).
- digiKam writes MWG and Microsoft regions from one geometry in the stored space (since KDE bugs
  372340/395243), and ExifTool ships ``rotate_regions.config`` because rotating the stored pixels
  requires rotating the regions. Microsoft's and Picasa's rectangles are treated the same way.
One exception is detected, not assumed: when ``AppliedToDimensions`` equals the *displayed* size of
a photo turned by 90° (and not its stored size), the writer used displayed coordinates, and the
region is taken as such.

Kinfolk stores every box in the *oriented* full-size image's pixels (``core.imageio``), so
``to_oriented_box`` / ``from_oriented_box`` convert with the photo's orientation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Box = tuple[float, float, float, float]  # x1, y1, x2, y2

# Where a point (u, v) of the stored image lands in the displayed one, per EXIF Orientation
# (the same transposes Pillow's ``exif_transpose`` applies to the pixels).
_FORWARD: dict[int, Callable[[float, float], tuple[float, float]]] = {
    1: lambda u, v: (u, v),
    2: lambda u, v: (1 - u, v),
    3: lambda u, v: (1 - u, 1 - v),
    4: lambda u, v: (u, 1 - v),
    5: lambda u, v: (v, u),
    6: lambda u, v: (1 - v, u),
    7: lambda u, v: (1 - v, 1 - u),
    8: lambda u, v: (v, 1 - u),
}
_INVERSE_ORIENTATION = {6: 8, 8: 6}  # the others undo themselves


@dataclass
class Region:
    """One named face area found in a photo's metadata."""

    name: str
    box: Box  # normalized, stored-image space
    origin: str  # "mwg" | "mp" | "picasa"
    file: str  # the file it was read from (the photo, a sidecar, a .picasa.ini)
    displayed: bool = False  # True: ``box`` is already in the displayed (oriented) space


def _map_box(box: Box, orientation: int) -> Box:
    f = _FORWARD.get(orientation, _FORWARD[1])
    (ax, ay), (bx, by) = f(box[0], box[1]), f(box[2], box[3])
    return (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))


def stored_to_displayed(box: Box, orientation: int) -> Box:
    """A normalized box of the stored image, in the displayed image's normalized space."""
    return _map_box(box, orientation)


def displayed_to_stored(box: Box, orientation: int) -> Box:
    return _map_box(box, _INVERSE_ORIENTATION.get(orientation, orientation))


def to_oriented_box(region: Region, orientation: int, oriented_size: tuple[int, int]) -> Box:
    """The region in Kinfolk's space: pixels of the oriented full-size image."""
    b = region.box if region.displayed else stored_to_displayed(region.box, orientation)
    w, h = oriented_size
    return (b[0] * w, b[1] * h, b[2] * w, b[3] * h)


def from_oriented_box(box: Sequence[float], orientation: int, oriented_size: tuple[int, int]) -> Box:
    """A Kinfolk box (oriented pixels) as a normalized stored-image box, clamped to the image."""
    w, h = oriented_size
    x1, y1, x2, y2 = (min(1.0, max(0.0, v)) for v in (box[0] / w, box[1] / h, box[2] / w, box[3] / h))
    return displayed_to_stored((x1, y1, x2, y2), orientation)


def iou(a: Sequence[float] | npt.NDArray[np.floating[Any]],
        b: Sequence[float] | npt.NDArray[np.floating[Any]]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def clean_box(x1: float, y1: float, x2: float, y2: float) -> Box | None:
    """A normalized box clamped to the image, or None if it is empty or not finite (bad input)."""
    vals = [x1, y1, x2, y2]
    if any(v != v or v in (float("inf"), float("-inf")) for v in vals):
        return None
    x1, y1, x2, y2 = (min(1.0, max(0.0, v)) for v in vals)
    if x2 - x1 <= 1e-6 or y2 - y1 <= 1e-6:
        return None
    return (x1, y1, x2, y2)
