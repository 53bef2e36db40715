"""YuNet face detector (OpenCV Zoo, MIT): the fully permissive detector, paired with SFace.

Same letterbox, frame-filling second pass and NMS as SCRFD (``scrfd.LetterboxDetector``); only the
input and the outputs differ:

- input: BGR, raw 0..255 float, NCHW; the image is first brought to a long side of 640 (at full
  resolution large faces are misplaced, MODELS.md) and padded right/bottom with zeros, like OpenCV's
  ``FaceDetectorYN`` does.
- outputs, per stride 8/16/32, one prior per cell: ``cls`` and ``obj`` (N, 1) → score = √(cls·obj)
  (each clipped to [0, 1]); ``bbox`` (N, 4) = centre offset in cells and log size in strides;
  ``kps`` (N, 10) = offsets in cells. Landmark order is SCRFD's (the eye on the image's left first).

``cls`` and ``obj`` have the same shape, so they are told apart by their names (``cls_8``, ``obj_8``,
… in the official exports), falling back to the official output order.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from kinfolk.core.faces.backend import Float32Array, ImageArray
from kinfolk.core.faces.scrfd import Candidates, LetterboxDetector, joined

_STRIDES = (8, 16, 32)
_NAME = re.compile(r"^(cls|obj|bbox|kps)_(\d+)$")


class YunetDetector(LetterboxDetector):
    """YuNet (2023mar layout) on ONNX Runtime. Thread-safe."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # LetterboxDetector's
        super().__init__(*args, **kwargs)
        names = [o.name for o in self.session.get_outputs()]
        parsed = [m for m in (_NAME.match(n) for n in names) if m is not None]
        if len(parsed) == len(names) == 12:
            self._order = {(m.group(1), int(m.group(2))): i for i, m in enumerate(parsed)}
        elif len(names) == 12:  # official order: cls×3, obj×3, bbox×3, kps×3, strides ascending
            kinds = ("cls", "obj", "bbox", "kps")
            self._order = {(kinds[i // 3], _STRIDES[i % 3]): i for i in range(12)}
        else:
            raise ValueError(f"not a YuNet 2023 model: expected 12 outputs, got {len(names)}")

    def _blob(self, canvas: ImageArray, ch: int, cw: int) -> Float32Array:
        nh, nw = canvas.shape[:2]
        blob = np.zeros((1, 3, ch, cw), np.float32)
        blob[0, :, :nh, :nw] = canvas[..., ::-1].transpose(2, 0, 1)
        return blob

    def _decode(self, outs: list[Float32Array], ch: int, cw: int) -> Candidates:
        def out(kind: str, stride: int) -> Float32Array:
            o = outs[self._order[(kind, stride)]]
            return o[0] if o.ndim == 3 else o

        boxes, kpss, scores = [], [], []
        for stride in _STRIDES:
            cols = -(-cw // stride)
            cls = np.clip(out("cls", stride)[:, 0], 0, 1)
            obj = np.clip(out("obj", stride)[:, 0], 0, 1)
            score = np.sqrt(cls * obj)
            idx = np.nonzero(score >= self.score_threshold)[0]
            if not idx.size:
                continue
            cell = np.stack([idx % cols, idx // cols], axis=1).astype(np.float32)
            bb = out("bbox", stride)[idx]
            centre = (cell + bb[:, :2]) * stride
            half = np.exp(bb[:, 2:4]) * stride / 2
            boxes.append(np.concatenate([centre - half, centre + half], axis=1))
            kpss.append((np.tile(cell, 5) + out("kps", stride)[idx]) * stride)
            scores.append(score[idx])
        return joined(boxes, kpss, scores)
