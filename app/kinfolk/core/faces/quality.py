"""Face quality: how much an embedding of this face can be trusted (DESIGN.md §2.5).

Low-quality faces (tiny, blurred, in profile, doubtful detections) give embeddings that sit between
identities and chain clusters together, so they are stored but do not seed clusters.

Formula — four factors, each mapped to [0, 1] by a ramp, combined by their geometric mean so that one
bad factor pulls the score down without a single mediocre one zeroing it::

    size  = clip(log(s / SIZE_LOW) / log(SIZE_HIGH / SIZE_LOW))     s: box short side, full-size px
    det   = clip((score − SCORE_LOW) / (SCORE_HIGH − SCORE_LOW))     the detector's confidence
    blur  = clip(log(v / BLUR_LOW) / log(BLUR_HIGH / BLUR_LOW))      v: variance of the Laplacian of
                                                                     the grey chip's central face area
    pose  = yaw · pitch                                              from the 5 landmarks, see ``pose_score``
    quality = (size · det · blur · pose) ** (1/4)

Ramp ends were measured with det_500m on the project's labeled photos: the median sharp 112×112 chip
has v ≈ 340 and its 25th percentile ≈ 160; blurring the source by σ = 1 chip pixel brings the median to
≈ 95, by σ = 2 to ≈ 22. Detector scores of real faces are mostly 0.7–0.9. With ``CLUSTER_QUALITY``
0.5, ~99% of the main faces of single-person photos pass and ~70% of the other faces (small
background and group faces); see tests/integration/test_onnx_backend.py. The blur ramp assumes
112-px chips (other chip sizes shift the Laplacian's variance).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from kinfolk.core.faces.align import ARCFACE_TEMPLATE
from kinfolk.core.faces.backend import Detection, ImageArray

SIZE_LOW, SIZE_HIGH = 16.0, 96.0  # px: a 16 px face carries no identity; from 96 px on, the chip is sharp
SCORE_LOW, SCORE_HIGH = 0.3, 0.8
BLUR_LOW, BLUR_HIGH = 20.0, 150.0  # variance of the Laplacian on 0..255 grey
#: Nose-to-frontal offsets at which yaw / pitch scores reach 0 (fractions of eye distance / eye–mouth).
YAW_LIMIT, PITCH_LIMIT = 1.25, 0.45
#: The nose's relative height between the eye line and the mouth line on the ArcFace template (≈ 0.495).
FRONTAL_NOSE_HEIGHT = float(
    (ARCFACE_TEMPLATE[2, 1] - ARCFACE_TEMPLATE[:2, 1].mean())
    / (ARCFACE_TEMPLATE[3:, 1].mean() - ARCFACE_TEMPLATE[:2, 1].mean())
)

#: Faces at or above this quality may seed clusters; those below are stored and can still be assigned.
CLUSTER_QUALITY = 0.5
#: ...and only faces the detector is this sure of (its own score, not the quality's ramp): the
#: "faces" of pets, statues and posters that pass the quality gate. Measured with det_500m
#: (docs/evaluation.md, "False faces"): the main face of every labeled photo scores ≥ 0.71 on the
#: family photos and 99.8 % of lfw-dev's centred faces ≥ 0.65, while a dog's face scored 0.62 (quality
#: 0.79) and the kittens of issue 9 0.51. dlib's scores are a logistic of its HOG margin on another
#: scale (real main faces from 0.50), so its floor is its own detection threshold.
SEED_SCORE = 0.65
SEED_SCORE_BY_MODEL = {"dlib_resnet_v1": 0.5}

_GREY = np.array([0.299, 0.587, 0.114], np.float32)


def _ramp(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def _log_ramp(value: float, low: float, high: float) -> float:
    if value <= low:
        return 0.0
    return _ramp(math.log(value / low) / math.log(high / low))


def sharpness(chip: ImageArray) -> float:
    """Variance of the 4-neighbour Laplacian over the chip's central face area (0..255 grey).

    Pixels near the black fill that alignment leaves where the face touches the photo's edge are left
    out: that artificial edge would look very sharp. Returns 0 when too little of the face remains.
    """
    chip = np.asarray(chip)
    if chip.ndim == 3:
        # Channel by channel: a (H, W, 3) @ (3,) product and a max over the last axis cost ~4× more.
        rgb = chip.astype(np.float32)
        grey = rgb[..., 0] * _GREY[0]
        grey += rgb[..., 1] * _GREY[1]
        grey += rgb[..., 2] * _GREY[2]
        black = (chip[..., 0] == 0) & (chip[..., 1] == 0) & (chip[..., 2] == 0)
    else:
        grey, black = chip.astype(np.float32), chip == 0
    h, w = grey.shape
    if black.any():
        for _ in range(2):  # dilate the fill by 2 px: the bilinear blend makes a ramp at its edge
            grown = black.copy()
            grown[1:] |= black[:-1]
            grown[:-1] |= black[1:]
            grown[:, 1:] |= black[:, :-1]
            grown[:, :-1] |= black[:, 1:]
            black = grown
    # Central area: eyes to chin, inside the cheeks (on a 112 chip rows 15..103, columns 15..95),
    # so hair and background texture count little. Rows and columns of the Laplacian (which
    # starts one pixel in).
    my, mx = round(h * 15 / 112), round(w * 15 / 112)
    rows = slice(my - 1, h - 1 - round(h * 8 / 112))
    cols = slice(mx - 1, w - 1 - round(w * 16 / 112))
    lap = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
    lap = lap[rows, cols]
    ok = ~black[1:-1, 1:-1][rows, cols]
    if ok.sum() < 0.25 * ok.size:
        return 0.0
    return float(lap[ok].var())


def pose_score(landmarks: npt.ArrayLike) -> tuple[float, float]:
    """(yaw, pitch) frontalness in [0, 1] from 5 landmarks (any scale, any roll).

    In a frame where the eyes are level: yaw compares the nose's horizontal offset from the eyes'
    midpoint with half the eye distance (a profile puts the nose at or beyond an eye); pitch compares
    the nose's height between the eye line and the mouth line with the template's.
    """
    lm = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    eye_l, eye_r, nose, mouth_l, mouth_r = lm
    eye_mid = (eye_l + eye_r) / 2
    mouth_mid = (mouth_l + mouth_r) / 2
    axis = eye_r - eye_l
    eye_dist = float(np.hypot(*axis))
    if eye_dist < 1e-6:
        return 0.0, 0.0
    ux = axis / eye_dist
    uy = np.array([-ux[1], ux[0]])  # points down (image y) when the eyes are level
    nose_x = float((nose - eye_mid) @ ux)
    yaw_off = abs(nose_x) / (eye_dist / 2)
    yaw = _ramp(1.0 - yaw_off / YAW_LIMIT)
    span = float((mouth_mid - eye_mid) @ uy)
    if span <= 1e-6:
        return yaw, 0.0
    height = float((nose - eye_mid) @ uy) / span
    pitch = _ramp(1.0 - abs(height - FRONTAL_NOSE_HEIGHT) / PITCH_LIMIT)
    return yaw, pitch


def quality_factors(chip: ImageArray, det: Detection, face_size: float | None = None) -> dict[str, float]:
    """The four factors of ``face_quality`` (for display and debugging)."""
    size = det.size if face_size is None else float(face_size)
    yaw, pitch = pose_score(det.landmarks)
    return {
        "size": _log_ramp(size, SIZE_LOW, SIZE_HIGH),
        "det": _ramp((det.score - SCORE_LOW) / (SCORE_HIGH - SCORE_LOW)),
        "blur": _log_ramp(sharpness(chip), BLUR_LOW, BLUR_HIGH),
        "pose": yaw * pitch,
    }


def face_quality(chip: ImageArray, det: Detection, face_size: float | None = None) -> float:
    """Quality in [0, 1] of an aligned ``chip`` of ``det`` (formula in the module docstring).

    ``face_size``: the box's short side in pixels of the *full-size* photo (``det`` may come from a
    downscaled image); defaults to ``det.size``.
    """
    f = quality_factors(chip, det, face_size)
    return float((f["size"] * f["det"] * f["blur"] * f["pose"]) ** 0.25)


def is_good_for_clustering(quality: float, score: float | None = None, model_id: str = "") -> bool:
    """Whether a face may seed clusters: quality ≥ ``CLUSTER_QUALITY`` and, when the detector's
    ``score`` is given, score ≥ the seed floor of the recognizer ``model_id``'s pack (``SEED_SCORE``,
    dlib's own in ``SEED_SCORE_BY_MODEL``)."""
    if quality < CLUSTER_QUALITY:
        return False
    return score is None or score >= SEED_SCORE_BY_MODEL.get(model_id, SEED_SCORE)
