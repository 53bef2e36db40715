"""The dlib backend: HOG face detector + 5-point shape predictor + ResNet 128-d recognizer, CPU only.

The fallback that works on a fresh machine with nothing but PyPI wheels: ``dlib-bin`` (prebuilt dlib)
and ``face-recognition-models`` (the three weight files). Weights load when a :class:`DlibBackend` is
constructed, never when this module is imported (importing it does not even import dlib).

Detection (:meth:`DlibBackend.detect`)
    dlib's HOG frontal-face detector. Its sliding window is 80×80 px, so the smallest face it finds
    is 80 px in the image it scans, or 40 px with one 2× upsampling (which costs ~4× the time).
    The input is first reduced so its long side is at most ``detect_size`` (default 960: the JPEG
    decoder's 1/4 scale of a 4000/4032 px camera photo is ≥ 960 px, so it never has to decode at 1/2).
    Measured on the labeled photos rescaled to a camera-like long side: 960 px without upsampling
    finds as many faces as 800 px with upsampling at a third of the time, and more than 800 px
    without. Images that are small to begin with (long side ≤ 3/4 of ``detect_size``) are upsampled
    once, so their faces down to 40 px are found; the cost is bounded by that 3/4.
    Frame-filling faces (a 100–250 px crop that is all face) give HOG too little context: when a
    small image (long side ≤ 400 px) yields nothing with a raw score ≥ 0, it is scanned again with a
    25 % border of its mean colour on every side and the better result is kept. Measured on tight
    crops of the labeled photos (face box ×0.8, 150 px): raw scores < 0 or misses fell from 22 to 5
    of 124; replicating the edge pixels instead helped less (15 of 124).

Scores
    ``detector.run(img, upsample, -0.5)`` returns raw SVM margins (dlib's own threshold is 0; real
    faces mostly score 0.5–3). They are mapped to [0, 1] by the logistic ``1 / (1 + exp(-2·raw))``:
    raw 0 → 0.5 (so a 0.5 score threshold is dlib's default), −0.5 → 0.27, 0.5 → 0.73, 1 → 0.88,
    2 → 0.98. dlib is asked for everything down to raw −0.5 (the padded pass decides on those
    scores); :meth:`DlibBackend.detect` returns those with a score ≥ ``score_threshold`` (default
    0.5 = raw 0, as the ONNX backends' default threshold; the scanner does not filter by score).

Landmarks
    Returned in the ArcFace order (left eye centre, right eye centre, nose tip, left mouth corner,
    right mouth corner; "left" = smaller x in the image), in pixels of the image passed in. dlib's
    5-point model gives both corners of each eye and the bottom of the nose (subnasale), no mouth:
    eye centres are the mean of each eye's corners; the nose tip and mouth corners are estimated from
    the nose bottom in a face frame (origin at the eyes' midpoint, x along the eye line, unit = eye
    distance; see :func:`arcface_landmarks`). The coefficients were fitted (least squares, mirror
    symmetric) to SCRFD-2.5G keypoints on 226 faces of the project's labeled photos; median error
    0.06 eye distances for the nose tip, 0.10 for the mouth corners (eye centres agree with SCRFD to
    0.04). They serve quality/pose checks and drawing only: dlib's recognizer aligns its own chip
    from the 5 raw points (:meth:`DlibBackend.crop`).

Boxes
    ``x1, y1, x2, y2`` with ``x2 - x1`` = dlib's rectangle width; a box may reach a few pixels past
    the image edge when the face is cut by the frame (dlib does not clip).

Embeddings
    dlib's ResNet-34 descriptor (128-d, the recognizer of the ``face_recognition`` package),
    L2-normalised so the rest of the app compares every model by cosine similarity. dlib's raw
    descriptors are not unit length: their norms are ≈ √2 (1.30–1.56 on our photos). dlib's usual
    "same person below 0.6 euclidean distance" therefore maps to cos ≈ 1 − 0.6²/(2·2) ≈ 0.91 on the
    normalised vectors, not to the 1 − 0.6²/2 = 0.82 the unit-vector identity ``d² = 2 − 2·cos``
    would give, and only approximately, because the norms vary (measured: pairs at raw distance 0.6
    have cos 0.89–0.93). The scale is compressed: different people score cos ≈ 0.83 (median), the
    same person ≈ 0.96. Use thresholds measured for ``dlib_resnet_v1``, never another model's.

Threads
    dlib documents its object detectors as unsafe for concurrent use of one instance, and its DNN
    holds per-instance buffers. The detector and shape predictor are therefore per-thread instances
    (created on a thread's first call, ~0.1–0.3 s and ~10 MB each), so decode workers detect and
    crop in parallel: measured with this dlib-bin build, the HOG scan releases the GIL (a Python
    thread keeps running during it). The recognizer is one instance behind a lock, and it holds the
    GIL for a whole call (~75 ms of CPU per chip), so :meth:`DlibBackend.embed` feeds it
    ``EMBED_BATCH`` chips per call: other threads get the GIL back at least every ~0.3 s, at no
    cost in speed (dlib's CPU batch is no faster than single chips).
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
import warnings
from typing import TYPE_CHECKING, Sequence

import numpy as np
import numpy.typing as npt

from kinfolk.core.faces.backend import Detection, Float32Array, ImageArray, l2_normalize

if TYPE_CHECKING:
    import dlib  # no type stubs: its classes are Any to mypy, named here for the reader

__all__ = ["DlibBackend", "arcface_landmarks", "model_paths", "raw_to_score"]

CHIP_SIZE = 150  # the recognizer's input (dlib.get_face_chip's default)
CHIP_PADDING = 0.25  # the padding the recognizer was trained with (compute_face_descriptor default)
RAW_SCORE_MIN = -0.5  # dlib reports detections down to this raw HOG margin
SCORE_SLOPE = 2.0  # logistic slope of the raw-margin → [0, 1] mapping
SMALL_FRACTION = 0.75  # images with long side ≤ this × detect_size are upsampled once
PAD_MAX_SIDE = 400  # images up to this long side get the padded second pass when nothing good is found
PAD_FRACTION = 0.25  # border added on each side in that pass, × long side
EMBED_BATCH = 4  # chips per recognizer call (the GIL is held for a whole call)

# Face-frame coefficients (unit = eye distance, origin = eyes' midpoint, y towards the chin) of the
# points dlib's 5-point model lacks, as functions of its nose-bottom point (nx, ny); fitted to SCRFD
# keypoints (module docstring). Nose tip: (NOSE_X·nx, NOSE_Y0 + NOSE_Y·ny). Mouth corners:
# (∓MOUTH_HALF + MOUTH_X·nx, MOUTH_Y0 + MOUTH_Y·ny).
NOSE_X, NOSE_Y0, NOSE_Y = 1.45, -0.16, 0.96
MOUTH_HALF, MOUTH_X, MOUTH_Y0, MOUTH_Y = 0.46, 0.07, 0.45, 0.79

_MODEL_FILES = {
    "shape_predictor": ("pose_predictor_five_point_model_location",
                        "shape_predictor_5_face_landmarks.dat"),
    "recognizer": ("face_recognition_model_location", "dlib_face_recognition_resnet_model_v1.dat"),
    "cnn_detector": ("cnn_face_detector_model_location", "mmod_human_face_detector.dat"),
}


def model_paths() -> dict[str, str]:
    """Paths of the ``face_recognition_models`` weight files: shape_predictor, recognizer, cnn_detector.

    Uses the package's own location functions. Those import ``pkg_resources``, which fresh Python
    3.12+ environments no longer have (setuptools is not preinstalled); then the files are located
    next to the package without running its ``__init__``. Raises ``ImportError`` when the package
    is not installed and ``FileNotFoundError`` when a file is missing.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pkg_resources' deprecation warning
            import face_recognition_models as frm
        paths = {key: getattr(frm, func)() for key, (func, _) in _MODEL_FILES.items()}
    except ImportError as exc:
        spec = importlib.util.find_spec("face_recognition_models")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("the dlib backend needs the 'face-recognition-models' package") from exc
        root = list(spec.submodule_search_locations)[0]
        paths = {key: os.path.join(root, "models", name) for key, (_, name) in _MODEL_FILES.items()}
    for key in ("shape_predictor", "recognizer"):
        if not os.path.isfile(paths[key]):
            raise FileNotFoundError(f"dlib model file missing: {paths[key]}")
    return paths


def raw_to_score(raw: float) -> float:
    """Map a raw HOG margin to [0, 1]: logistic, slope ``SCORE_SLOPE``; raw 0 (dlib's threshold) → 0.5."""
    return 1.0 / (1.0 + math.exp(-SCORE_SLOPE * raw))


def arcface_landmarks(parts: npt.ArrayLike) -> Float32Array:
    """ArcFace-order 5 landmarks (float32 (5, 2)) from dlib's 5-point shape (``parts``: (5, 2)).

    dlib's points: 0/1 outer/inner corner of the eye at larger x, 2/3 outer/inner corner of the eye
    at smaller x, 4 bottom of the nose. Eye centres are corner means; nose tip and mouth corners are
    the face-frame estimates described in the module docstring (they follow roll and scale exactly,
    yaw and pitch through the nose-bottom offset).
    """
    p = np.asarray(parts, dtype=np.float64).reshape(5, 2)
    eye_l = (p[2] + p[3]) / 2
    eye_r = (p[0] + p[1]) / 2
    mid = (eye_l + eye_r) / 2
    axis = eye_r - eye_l
    dist = float(np.hypot(*axis))
    if dist < 1e-6:  # degenerate shape: put everything on the nose bottom rather than divide by 0
        return np.array([eye_l, eye_r, p[4], p[4], p[4]], dtype=np.float32)
    ux = axis / dist
    uy = np.array([-ux[1], ux[0]])  # towards the chin when the eyes are level

    nx, ny = float((p[4] - mid) @ ux) / dist, float((p[4] - mid) @ uy) / dist

    def point(fx: float, fy: float) -> npt.NDArray[np.float64]:
        at: npt.NDArray[np.float64] = mid + dist * (fx * ux + fy * uy)
        return at

    mouth_y = MOUTH_Y0 + MOUTH_Y * ny
    return np.array([
        eye_l,
        eye_r,
        point(NOSE_X * nx, NOSE_Y0 + NOSE_Y * ny),
        point(-MOUTH_HALF + MOUTH_X * nx, mouth_y),
        point(MOUTH_HALF + MOUTH_X * nx, mouth_y),
    ], dtype=np.float32)


def _check_rgb(rgb: ImageArray) -> ImageArray:
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("expected an (H, W, 3) uint8 RGB array")
    return np.ascontiguousarray(rgb)


class DlibBackend:
    """:class:`~kinfolk.core.faces.backend.FaceBackend` on dlib (see the module docstring for the choices).

    ``detect_size``: long side, in pixels, the HOG detector scans at (larger inputs are reduced).
    ``upsample``: force dlib's upsampling count (0, 1, 2) instead of choosing it by image size.
    ``score_threshold``: the lowest mapped score returned (≥ 0.27, i.e. raw −0.5, to have effect).
    ``pad_small``: the padded second pass for small images (on by default; off to measure it).
    Constructing loads the weights (~0.5 s, ~40 MB); raises ``ImportError`` without dlib or
    face-recognition-models, ``FileNotFoundError`` without the weight files.
    """

    pack_id = "dlib"
    model_id = "dlib_resnet_v1"
    embedding_dim = 128

    def __init__(self, detect_size: int = 960, *, upsample: int | None = None,
                 score_threshold: float = 0.5, pad_small: bool = True) -> None:
        try:
            import dlib
        except ImportError as exc:  # pragma: no cover - dlib-bin is a dependency
            raise ImportError("the dlib backend needs the 'dlib-bin' package") from exc
        if detect_size < 80:
            raise ValueError("detect_size must be ≥ 80 (HOG's window)")
        if upsample is not None and upsample not in (0, 1, 2):
            raise ValueError("upsample must be 0, 1 or 2")
        self._dlib = dlib
        self.detect_size = int(detect_size)
        self.providers = ["dlib"]
        self._upsample = upsample
        self._pad_small = pad_small
        self.score_threshold = float(score_threshold)
        self._paths = model_paths()
        self._encoder = dlib.face_recognition_model_v1(self._paths["recognizer"])
        self._encoder_lock = threading.Lock()
        self._local = threading.local()
        self._tools()  # load this thread's detector and shape predictor now: fail early

    # -- per-thread dlib objects --------------------------------------------------------------

    def _tools(self) -> tuple[dlib.fhog_object_detector, dlib.shape_predictor]:
        """This thread's (HOG detector, shape predictor), created on first use."""
        tools = getattr(self._local, "tools", None)
        if tools is None:
            tools = (self._dlib.get_frontal_face_detector(),
                     self._dlib.shape_predictor(self._paths["shape_predictor"]))
            self._local.tools = tools
        return tools

    # -- detection ----------------------------------------------------------------------------

    def upsample_for(self, long_side: int) -> int:
        """Upsampling count used for an image whose long side (after reduction) is ``long_side``."""
        if self._upsample is not None:
            return self._upsample
        return 1 if long_side <= SMALL_FRACTION * self.detect_size else 0

    def _hog(self, img: ImageArray, upsample: int) -> list[tuple[float, float, float, float, float]]:
        """Raw HOG detections (x1, y1, x2, y2, raw score) in ``img`` pixels, best first."""
        detector, _ = self._tools()
        rects, raws, _ = detector.run(img, upsample, RAW_SCORE_MIN)
        found = [(r.left(), r.top(), r.right() + 1, r.bottom() + 1, float(s)) for r, s in zip(rects, raws)]
        return sorted(found, key=lambda d: -d[4])

    def _find(self, img: ImageArray) -> list[tuple[float, float, float, float, float]]:
        """HOG on ``img`` (already at most detect_size), with the padded pass for small images."""
        long_side = max(img.shape[:2])
        up = self.upsample_for(long_side)
        found = self._hog(img, up)
        if self._pad_small and long_side <= PAD_MAX_SIDE and (not found or found[0][4] < 0):
            pad = max(1, round(long_side * PAD_FRACTION))
            fill = img.reshape(-1, 3).mean(axis=0).round().astype(np.uint8)
            padded = np.empty((img.shape[0] + 2 * pad, img.shape[1] + 2 * pad, 3), np.uint8)
            padded[:] = fill
            padded[pad:-pad, pad:-pad] = img
            second = [(x1 - pad, y1 - pad, x2 - pad, y2 - pad, s)
                      for x1, y1, x2, y2, s in self._hog(padded, up)]
            if second and (not found or second[0][4] > found[0][4]):
                found = second
        return found

    def detect(self, rgb: ImageArray) -> list[Detection]:
        """Faces in ``rgb`` (H, W, 3 uint8 RGB), best score first; coordinates in ``rgb`` pixels.

        Thread-safe. Scans a copy reduced to ``detect_size``; landmarks come from the shape predictor
        run on ``rgb`` itself, so they are as precise as the input allows.
        """
        rgb = _check_rgb(rgb)
        h, w = rgb.shape[:2]
        factor = 1.0
        work = rgb
        if max(h, w) > self.detect_size:
            from PIL import Image  # Pillow's antialiased reduction; imported here to keep import light

            factor = max(h, w) / self.detect_size
            size = (max(1, round(w / factor)), max(1, round(h / factor)))
            work = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))
            factor = w / size[0] if w >= h else h / size[1]
        _, predictor = self._tools()
        out = []
        for x1, y1, x2, y2, raw in self._find(work):
            score = raw_to_score(raw)
            if score < self.score_threshold:
                break  # best first
            box = np.array([x1, y1, x2, y2], dtype=np.float32) * np.float32(factor)
            shape = predictor(rgb, self._rect(box))
            parts = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
            out.append(Detection(box=box, landmarks=arcface_landmarks(parts), score=score))
        return out

    def _rect(self, box: Float32Array) -> dlib.rectangle:
        x1, y1, x2, y2 = (int(round(float(v))) for v in box)
        return self._dlib.rectangle(x1, y1, max(x1, x2 - 1), max(y1, y2 - 1))

    # -- alignment and recognition ------------------------------------------------------------

    def crop(self, rgb: ImageArray, det: Detection) -> ImageArray:
        """dlib's aligned 150×150×3 uint8 RGB chip of ``det`` (5-point shape on its box). Thread-safe."""
        rgb = _check_rgb(rgb)
        _, predictor = self._tools()
        shape = predictor(rgb, self._rect(det.box))
        chip: ImageArray = self._dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
        return chip

    def embed(self, chips: Sequence[ImageArray]) -> Float32Array:
        """(n, 128) float32 unit-norm descriptors of 150×150 chips from :meth:`crop`; (0, 128) for none."""
        if len(chips) == 0:
            return np.zeros((0, self.embedding_dim), np.float32)
        batch = []
        for chip in chips:
            chip = np.ascontiguousarray(chip, dtype=np.uint8)
            if chip.shape != (CHIP_SIZE, CHIP_SIZE, 3):
                raise ValueError(f"dlib chips are {CHIP_SIZE}x{CHIP_SIZE}x3, got {chip.shape}")
            batch.append(chip)
        rows: list[Float32Array] = []
        for i in range(0, len(batch), EMBED_BATCH):
            with self._encoder_lock:
                desc = self._encoder.compute_face_descriptor(batch[i : i + EMBED_BATCH])
            rows.extend(np.asarray(d, dtype=np.float32) for d in desc)
        return l2_normalize(np.stack(rows).reshape(len(batch), self.embedding_dim))
