"""The contract every recognition backend (ONNX packs, dlib) fulfils.

A backend turns an RGB image into face detections and detections into embeddings. The scanner only
talks to this interface, so it can batch recognition across photos and run either backend unchanged.

Contracts:
- Images are ``numpy.ndarray`` of shape (H, W, 3), dtype uint8, RGB, already EXIF-oriented.
- Coordinates (boxes, landmarks) are in pixels of the image passed in; the caller rescales them.
- ``crop`` is cheap and thread-safe (it runs in decode workers); ``embed`` takes a batch of crops from
  any number of photos and returns float32 rows with unit L2 norm.
- ``model_id`` names the recognizer that made an embedding. Embeddings with different ids are never
  compared (DESIGN.md §3).
- ``embed_in_workers`` (optional, default False): True when batching across photos gains nothing
  (a CPU recognizer), so the scanner embeds each photo's faces in the worker that found them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
import numpy.typing as npt

#: An image: (H, W, 3) uint8 RGB. Also an aligned face chip (S, S, 3).
ImageArray = npt.NDArray[np.uint8]
#: Float32 rows: boxes, landmarks, embeddings.
Float32Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Detection:
    """One detected face in the coordinates of the image it was found in."""

    box: Float32Array  # (4,) x1, y1, x2, y2
    landmarks: Float32Array  # (5, 2): left eye, right eye, nose, left mouth, right mouth
    score: float

    def scaled(self, factor: float) -> "Detection":
        """The same face in an image ``factor`` times larger (used to map to full-size pixels)."""
        return Detection(self.box * factor, self.landmarks * factor, self.score)

    @property
    def size(self) -> float:
        """Short side of the box in pixels: the figure the minimum-face-size setting compares with."""
        return float(min(self.box[2] - self.box[0], self.box[3] - self.box[1]))


def l2_normalize(x: npt.ArrayLike) -> Float32Array:
    """Rows of ``x`` scaled to unit length (an all-zero row stays zero) as float32: what ``embed``
    returns."""
    rows = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    unit: Float32Array = rows / np.maximum(norms, 1e-12)
    return unit


class FaceBackend(Protocol):
    """Detector + aligner + recognizer behind one interface."""

    pack_id: str  # the model pack, e.g. "buffalo_l", "dlib"
    model_id: str  # the recognizer that made the embeddings, stored with each one
    embedding_dim: int
    detect_size: int  # the decoder delivers images whose long side is at least this (when possible)

    @property
    def providers(self) -> Sequence[str]:
        """Execution providers in use ("CPUExecutionProvider", ...), or ["dlib"]."""
        ...

    def detect(self, rgb: ImageArray) -> list[Detection]:
        """Faces in ``rgb``, best first. Thread-safe."""
        ...

    def crop(self, rgb: ImageArray, det: Detection) -> ImageArray:
        """The aligned face chip the recognizer takes (e.g. 112x112x3 uint8 RGB)."""
        ...

    def embed(self, chips: Sequence[ImageArray]) -> Float32Array:
        """(n, embedding_dim) float32, each row L2-normalized. An empty input gives shape (0, d)."""
        ...
