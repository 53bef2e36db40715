"""SCRFD face detector (InsightFace): boxes, five landmarks and a score per face.

Pre-processing: letterbox (resize keeping aspect so the long side is ``input_size``, pad right/bottom
with zeros), RGB, (x − 127.5) / 128, NCHW. A model with a dynamic input (``det_500m.onnx``) gets a
canvas padded only to a multiple of 32 (a 4:3 photo runs at 640×480, 25% less work than 640×640); a
fixed-size model (``scrfd_2.5g_kps.onnx``, 640×640) gets its exact size.

Decoding: nine outputs, (scores, box distances, keypoint offsets) × strides 8/16/32, with or without a
leading batch dimension. They are told apart by their shapes (last dimension 1/4/10; more rows = finer
stride), never by their names, which differ between exports. Distances and offsets are in units of the
stride, measured from anchor centres (``num_anchors`` per cell, 2 for the InsightFace models).

Frame-filling faces (shared with YuNet through ``LetterboxDetector``): a face that fills the whole
picture (a tight face crop) is missed, because the detector never saw a face without surroundings. When the first pass finds nothing, a second pass runs
on the image centred in a mean-grey border (``FILL_PAD`` of its size on each side); coordinates are
mapped back. Photos with a face found cost one inference. Measured on the 40 tight 150 px crops of the
labeled set: one plain pass finds none of them (det_500m and SCRFD-2.5G alike); a 50% border finds all
40 (grey or black; grey scores higher), a 25% border 36 (det_500m) / 13 (2.5G), 15% none.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image

from kinfolk.core.faces.backend import Detection, Float32Array, ImageArray

if TYPE_CHECKING:
    from kinfolk.core.faces.providers import Session

Floats = npt.NDArray[np.floating[Any]]
#: Candidate faces in canvas pixels: boxes (n, 4) x1y1x2y2, keypoints (n, 10), scores (n,).
Candidates = tuple[Floats, Floats, Floats]

#: Border added on each side, as a fraction of the image's size, for the second (frame-filling) pass.
FILL_PAD = 0.5
#: Grey of that border: 127.5 normalises to 0, the mean input the network saw.
FILL_GREY = 128
_STRIDES = (8, 16, 32)
_MAX_CANDIDATES = 2000  # before NMS; a photo never holds more real faces than this


def nms(boxes: Floats, scores: Floats, threshold: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression (IoU > ``threshold`` suppresses), best first."""
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = scores.argsort()[::-1]
    keep: list[int] = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        order = rest[iou <= threshold]
    return keep


def joined(boxes: list[Floats], kpss: list[Floats], scores: list[Floats]) -> Candidates:
    """The per-stride candidates of a detector's outputs as one (boxes, landmarks, scores) triple."""
    if not scores:
        return np.zeros((0, 4)), np.zeros((0, 10)), np.zeros(0)
    return np.concatenate(boxes), np.concatenate(kpss), np.concatenate(scores)


class LetterboxDetector:
    """What SCRFD and YuNet share: letterbox, the frame-filling second pass, NMS, mapping back.

    Subclasses turn the letterboxed uint8 RGB canvas into the network input (``_blob``) and the
    network outputs into candidate boxes, keypoints and scores in canvas pixels (``_decode``).
    Thread-safe: onnxruntime sessions are, and the caches are written under a lock.
    """

    def __init__(
        self,
        session_or_path: Session | str | os.PathLike[str],
        input_size: int = 640,
        score_threshold: float = 0.5,
        nms_threshold: float = 0.4,
        min_size: float = 0,
        *,
        providers_override: str | Sequence[str] | None = None,
        threads: int | None = None,
    ) -> None:
        if isinstance(session_or_path, (str, os.PathLike)):
            from kinfolk.core.faces.providers import create_session

            session_or_path = create_session(session_or_path, override=providers_override, threads=threads)
        self.session: Session = session_or_path
        inp = self.session.get_inputs()[0]
        self._input_name = inp.name
        h, w = inp.shape[2], inp.shape[3]
        # A fixed input size (ints in the declared shape) overrides ``input_size``.
        self.fixed_shape: tuple[int, int] | None = (h, w) if isinstance(h, int) and isinstance(w, int) else None
        self.input_size = max(self.fixed_shape) if self.fixed_shape else int(input_size)
        self.score_threshold = float(score_threshold)
        self.nms_threshold = float(nms_threshold)
        self.min_size = float(min_size)
        self._lock = threading.Lock()

    # -- public ------------------------------------------------------------------------------------
    def detect(self, rgb: ImageArray) -> list[Detection]:
        """Faces in ``rgb`` ((H, W, 3) uint8 RGB), best score first, in ``rgb``'s pixel coordinates.

        Boxes are clipped to the image; landmarks are not (an eye may lie just outside the frame).
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) RGB image, got shape {rgb.shape}")
        dets = self._detect_once(rgb, pad=0.0)
        if not dets:
            dets = self._detect_once(rgb, pad=FILL_PAD)
        if self.min_size > 0:
            dets = [d for d in dets if d.size >= self.min_size]
        return dets

    # -- for subclasses ----------------------------------------------------------------------------
    def _blob(self, canvas: ImageArray, ch: int, cw: int) -> Float32Array:
        """The (1, 3, ch, cw) float32 input for an (nh, nw, 3) uint8 RGB image placed top-left."""
        raise NotImplementedError

    def _decode(self, outs: list[Float32Array], ch: int, cw: int) -> Candidates:
        """(boxes (n, 4) x1y1x2y2, keypoints (n, 10), scores (n,)) in input pixels, score-thresholded."""
        raise NotImplementedError

    # -- internals ---------------------------------------------------------------------------------
    def _canvas_shape(self, h: int, w: int) -> tuple[int, int, float]:
        """(canvas height, canvas width, scale) of the letterbox for an h×w image."""
        if self.fixed_shape:
            ch, cw = self.fixed_shape
            return ch, cw, min(ch / h, cw / w)
        scale = self.input_size / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        return -(-nh // 32) * 32, -(-nw // 32) * 32, scale

    def _letterbox(self, rgb: ImageArray, pad: float) -> tuple[ImageArray, int, int, float, int]:
        """(resized uint8 image, canvas height, canvas width, scale image→input, border in image px)."""
        h, w = rgb.shape[:2]
        border = 0
        img = Image.fromarray(np.ascontiguousarray(rgb))
        if pad > 0:
            border = int(round(max(h, w) * pad))
            framed = Image.new("RGB", (w + 2 * border, h + 2 * border), (FILL_GREY,) * 3)
            framed.paste(img, (border, border))
            img = framed
        fw, fh = img.size
        ch, cw, scale = self._canvas_shape(fh, fw)
        nw, nh = min(cw, max(1, round(fw * scale))), min(ch, max(1, round(fh * scale)))
        if (nw, nh) != (fw, fh):
            img = img.resize((nw, nh), Image.Resampling.BILINEAR)
        return np.asarray(img), ch, cw, scale, border

    def _detect_once(self, rgb: ImageArray, pad: float) -> list[Detection]:
        canvas, ch, cw, scale, border = self._letterbox(rgb, pad)
        outs = self.session.run(None, {self._input_name: self._blob(canvas, ch, cw)})
        boxes, kps, scores = self._decode(outs, ch, cw)
        if not len(scores):
            return []
        if len(scores) > _MAX_CANDIDATES:
            top = np.argsort(scores)[::-1][:_MAX_CANDIDATES]
            boxes, kps, scores = boxes[top], kps[top], scores[top]
        keep = nms(boxes, scores, self.nms_threshold)
        h, w = rgb.shape[:2]
        result = []
        for i in keep:
            box = np.clip(boxes[i] / scale - border, 0, [w, h, w, h]).astype(np.float32)
            if box[2] <= box[0] or box[3] <= box[1]:
                continue  # a detection in the grey border only
            lms = (kps[i].reshape(5, 2) / scale - border).astype(np.float32)
            result.append(Detection(box, lms, float(scores[i])))
        return result


class ScrfdDetector(LetterboxDetector):
    """SCRFD (InsightFace) with 5 keypoints; see the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # LetterboxDetector's
        super().__init__(*args, **kwargs)
        self._anchors: dict[tuple[int, int, int, int], Float32Array] = {}

    def _blob(self, canvas: ImageArray, ch: int, cw: int) -> Float32Array:
        nh, nw = canvas.shape[:2]
        # InsightFace letterboxes onto a black canvas, then normalises: the padding becomes −127.5/128.
        blob = np.zeros((1, 3, ch, cw), np.float32)
        blob[0, :, :nh, :nw] = canvas.transpose(2, 0, 1)
        blob -= 127.5
        blob *= 1.0 / 128.0
        return blob

    def _anchor_centres(self, ch: int, cw: int, stride: int, num_anchors: int) -> Float32Array:
        key = (ch, cw, stride, num_anchors)
        centres = self._anchors.get(key)
        if centres is None:
            fh, fw = -(-ch // stride), -(-cw // stride)
            ys, xs = np.mgrid[:fh, :fw]
            grid = (np.stack([xs, ys], axis=-1).reshape(-1, 2) * stride).astype(np.float32)
            centres = np.repeat(grid, num_anchors, axis=0)
            with self._lock:
                self._anchors[key] = centres
        return centres

    @staticmethod
    def _split_outputs(outs: list[Float32Array]) -> list[tuple[Float32Array, Float32Array, Float32Array]]:
        """(scores, distances, keypoints) per stride, finest first, identified by shape."""
        by_dim: dict[int, list[Float32Array]] = {1: [], 4: [], 10: []}
        for o in outs:
            if o.ndim == 3:
                o = o[0]
            if o.ndim != 2 or o.shape[1] not in by_dim:
                raise ValueError(f"unexpected SCRFD output shape {o.shape}")
            by_dim[o.shape[1]].append(o)
        if not (len(by_dim[1]) == len(by_dim[4]) == len(by_dim[10]) == len(_STRIDES)):
            raise ValueError(
                "not a 5-keypoint SCRFD model: expected 3 score, 3 box and 3 keypoint outputs, got "
                + ", ".join(f"{len(v)}×(N,{k})" for k, v in by_dim.items())
            )
        for k in by_dim:
            by_dim[k].sort(key=len, reverse=True)  # more rows = finer stride
        return list(zip(by_dim[1], by_dim[4], by_dim[10]))

    def _decode(self, outs: list[Float32Array], ch: int, cw: int) -> Candidates:
        boxes, kpss, scores = [], [], []
        for stride, (sc, dist, kps) in zip(_STRIDES, self._split_outputs(outs)):
            cells = (-(-ch // stride)) * (-(-cw // stride))
            num_anchors = max(1, len(sc) // cells)
            idx = np.nonzero(sc[:, 0] >= self.score_threshold)[0]
            if not idx.size:
                continue
            centres = self._anchor_centres(ch, cw, stride, num_anchors)[idx]
            d = dist[idx] * stride
            boxes.append(np.concatenate([centres - d[:, :2], centres + d[:, 2:]], axis=1))
            kpss.append(np.tile(centres, 5) + kps[idx] * stride)
            scores.append(sc[idx, 0])
        return joined(boxes, kpss, scores)
