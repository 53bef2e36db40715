"""Face alignment: five landmarks onto the ArcFace 112×112 template by a similarity transform.

Recognizers of the ArcFace family (and SFace, faceplugin) were trained on faces warped exactly this way:
the Umeyama least-squares similarity (rotation + uniform scale + translation, never a reflection) from the
detected landmarks to ``ARCFACE_TEMPLATE``, applied with bilinear sampling and a black border, in
OpenCV's ``warpAffine`` pixel convention (integer coordinates are pixel centres). Matching that recipe
matters more than any refinement: a chip shifted by a pixel or two loses accuracy.

numpy for the geometry, Pillow's C code for the warp; no shared state: safe to call from many threads.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kinfolk.core.faces.backend import ImageArray

Matrix = npt.NDArray[np.float64]

#: The standard 5-point template (left eye, right eye, nose, left mouth, right mouth) for 112×112 chips.
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


def estimate_similarity(src: npt.ArrayLike, dst: npt.ArrayLike) -> Matrix:
    """The 2×3 matrix M of the similarity minimising Σ‖M·[src,1] − dst‖² (Umeyama 1991, no reflection).

    ``src`` and ``dst`` are (N, 2) with N ≥ 2 corresponding points.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 2:
        raise ValueError(f"need two (N, 2) arrays with N >= 2, got {src.shape} and {dst.shape}")
    mean_s, mean_d = src.mean(0), dst.mean(0)
    sc, dc = src - mean_s, dst - mean_d
    cov = dc.T @ sc / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.array([1.0, 1.0])
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1.0  # the best orthogonal map would be a reflection: take the best rotation instead
    rot = u @ np.diag(d) @ vt
    var_s = (sc**2).sum() / len(src)
    if var_s <= 0:
        raise ValueError("source points are all identical")
    scale = float((sig * d).sum() / var_s)
    m = np.empty((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mean_d - scale * rot @ mean_s
    return m


def invert_affine(m: npt.ArrayLike) -> Matrix:
    """The 2×3 inverse of a 2×3 affine map."""
    a = np.asarray(m, dtype=np.float64)[:, :2]
    inv = np.linalg.inv(a)
    out = np.empty((2, 3))
    out[:, :2] = inv
    out[:, 2] = -inv @ np.asarray(m, dtype=np.float64)[:, 2]
    return out


def warp_affine(rgb: ImageArray, m: npt.ArrayLike, size: int) -> ImageArray:
    """``rgb`` warped by ``m`` (source → destination pixel coords) into a (size, size, 3) uint8 image.

    Bilinear, black outside the image, OpenCV's convention (integer coordinates are pixel centres).
    Only the region the chip covers is handed to Pillow (no copy of a 12 MP frame per face), and when
    the warp shrinks by more than 2× that region is first box-filtered by an integer factor: bilinear
    sampling at a stride of several pixels aliases. Pillow's C code makes this ~0.3 ms per chip.
    """
    from PIL import Image

    h, w = rgb.shape[:2]
    m = np.asarray(m, dtype=np.float64)
    inv = invert_affine(m)
    corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], float) @ inv.T
    scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))  # destination pixels per source pixel
    k = int(1.0 / scale) if 0 < scale < 0.5 else 1
    margin = 2 * k + 1
    x0 = max(int(np.floor(corners[:, 0].min())) - margin, 0)
    y0 = max(int(np.floor(corners[:, 1].min())) - margin, 0)
    x1 = min(int(np.ceil(corners[:, 0].max())) + margin, w)
    y1 = min(int(np.ceil(corners[:, 1].max())) + margin, h)
    if x1 - x0 < 2 * k or y1 - y0 < 2 * k:  # the chip lies (almost) entirely outside the image
        return np.zeros((size, size, 3), np.uint8)
    region = Image.fromarray(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
    # Source pixel (x, y) of the full image is at (x - x0, y - y0) in the region; after reduce(k) region
    # pixel j averages pixels k*j .. k*j+k-1, so it sits at region coordinate k*j + (k-1)/2.
    off = np.array([x0 + (k - 1) / 2, y0 + (k - 1) / 2])
    if k > 1:
        region = region.reduce(k)
    a = m[:, :2] * k
    t = m[:, :2] @ off + m[:, 2]
    inv_a = np.linalg.inv(a)
    inv_t = -inv_a @ t
    # Pillow samples output pixel (u, v) at P·(u+½, v+½) in a space where pixel i spans [i, i+1);
    # OpenCV samples inv·(u, v) with pixel i centred on i. Equal when P's offset is shifted like this:
    c = inv_t + 0.5 - inv_a @ np.array([0.5, 0.5])
    data = (inv_a[0, 0], inv_a[0, 1], c[0], inv_a[1, 0], inv_a[1, 1], c[1])
    chip = region.transform((size, size), Image.Transform.AFFINE, data, Image.Resampling.BILINEAR)
    return np.asarray(chip)


def similarity_to_template(landmarks: npt.ArrayLike, size: int = 112) -> Matrix:
    """The 2×3 matrix taking the five ``landmarks`` onto the ArcFace template scaled to ``size``."""
    dst = ARCFACE_TEMPLATE * (size / 112.0)
    return estimate_similarity(np.asarray(landmarks, dtype=np.float64).reshape(5, 2), dst)


def align_face(rgb: ImageArray, landmarks: npt.ArrayLike, size: int = 112) -> ImageArray:
    """The (size, size, 3) uint8 RGB chip of the face whose 5 landmarks are given (pixels of ``rgb``)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 image, got {rgb.shape} {rgb.dtype}")
    return warp_affine(rgb, similarity_to_template(landmarks, size), size)
