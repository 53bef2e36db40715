"""Similarity estimation and face warping on synthetic points and images."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from kinfolk.core.faces.align import (ARCFACE_TEMPLATE, align_face, estimate_similarity, invert_affine,
    warp_affine)


def _similarity(angle_deg: float, scale: float, tx: float, ty: float) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    r = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.hstack([r, [[tx], [ty]]])


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ m[:, :2].T + m[:, 2]


@pytest.mark.parametrize("angle, scale, tx, ty", [(0, 1, 0, 0), (30, 2.5, 100, -40), (-170, 0.3, 5, 7), (90, 1.1, 0, 9)])
def test_recovers_a_known_similarity(angle, scale, tx, ty):
    rng = np.random.default_rng(1)
    src = rng.uniform(-50, 50, (5, 2))
    m = _similarity(angle, scale, tx, ty)
    np.testing.assert_allclose(estimate_similarity(src, _apply(m, src)), m, atol=1e-9)


def test_least_squares_with_noise():
    rng = np.random.default_rng(2)
    src = ARCFACE_TEMPLATE * 3 + 200
    m = _similarity(12, 0.4, 3, 4)
    dst = _apply(m, src) + rng.normal(0, 0.05, (5, 2))
    est = estimate_similarity(src, dst)
    np.testing.assert_allclose(est[:, :2], m[:, :2], atol=5e-3)
    np.testing.assert_allclose(est[:, 2], m[:, 2], atol=0.5)


def test_never_a_reflection():
    """A mirrored face (landmarks flipped left-right) must map by a rotation, not a mirror."""
    src = ARCFACE_TEMPLATE.copy()
    mirrored = src * [-1, 1] + [112, 0]
    m = estimate_similarity(mirrored, src)
    assert np.linalg.det(m[:, :2]) > 0
    # The best rotation cannot match a mirror image exactly: the residual stays large.
    assert np.abs(_apply(m, mirrored) - src).max() > 5


def test_rejects_bad_shapes():
    with pytest.raises(ValueError):
        estimate_similarity(np.zeros((5, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError):
        estimate_similarity(np.ones((5, 2)), np.zeros((5, 2)))


def test_invert_affine_round_trip():
    m = _similarity(33, 1.7, 10, -20)
    pts = np.array([[0.0, 0.0], [10.0, 5.0], [-3.0, 8.0]])
    np.testing.assert_allclose(_apply(invert_affine(m), _apply(m, pts)), pts, atol=1e-9)


def _dotted_image(points: np.ndarray, shape=(600, 800), sigma: float = 2.0) -> np.ndarray:
    """A dark image with one bright Gaussian dot per point, in a different colour channel pattern."""
    h, w = shape
    ys, xs = np.mgrid[:h, :w]
    img = np.zeros((h, w), np.float64)
    for x, y in points:
        img += np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))
    img = np.clip(img * 250, 0, 255).astype(np.uint8)
    return np.repeat(img[..., None], 3, axis=2)


def _dot_centres(chip: np.ndarray, near: np.ndarray, radius: int = 6) -> np.ndarray:
    """Intensity centroid of the chip around each expected position."""
    g = chip[..., 0].astype(np.float64)
    out = []
    for x, y in near:
        x0, y0 = int(round(x)), int(round(y))
        patch = g[y0 - radius : y0 + radius + 1, x0 - radius : x0 + radius + 1]
        py, px = np.mgrid[y0 - radius : y0 + radius + 1, x0 - radius : x0 + radius + 1]
        out.append([(patch * px).sum() / patch.sum(), (patch * py).sum() / patch.sum()])
    return np.array(out)


@pytest.mark.parametrize("scale", [1.3, 2.0, 4.5])  # 4.5: the box-filtered path for large faces
def test_landmarks_land_on_the_template(scale):
    m = _similarity(25, scale, 300, 150)  # template → image: a tilted face
    landmarks = _apply(m, ARCFACE_TEMPLATE)
    shape = (int(landmarks[:, 1].max()) + 60, int(landmarks[:, 0].max()) + 60)
    img = _dotted_image(landmarks, shape, sigma=0.8 * scale)
    chip = align_face(img, landmarks)
    assert chip.shape == (112, 112, 3) and chip.dtype == np.uint8
    np.testing.assert_allclose(_dot_centres(chip, ARCFACE_TEMPLATE), ARCFACE_TEMPLATE, atol=0.35)


def test_pixel_convention_matches_opencv():
    """Identity warp of a ramp: integer output coordinates sample integer input pixels (centres)."""
    ramp = np.tile(np.arange(200, dtype=np.uint8), (150, 1))
    img = np.repeat(ramp[..., None], 3, axis=2)
    shift = np.array([[1.0, 0, -40.3], [0, 1.0, -10]])  # output x = input x − 40.3
    chip = warp_affine(img, shift, 64)
    # Output pixel u samples input x = u + 40.3 → value u + 40.3 → u + 40. Under Pillow's own
    # convention (pixel i spans [i, i+1)) it would read u + 40.8 → u + 41.
    np.testing.assert_array_equal(chip[5, :, 0], np.arange(64) + 40)


def test_face_at_the_edge_is_black_outside():
    m = _similarity(0, 2.0, -60, 100)  # the left part of the face lies left of the image
    landmarks = _apply(m, ARCFACE_TEMPLATE)
    img = np.full((400, 400, 3), 200, np.uint8)
    chip = align_face(img, landmarks)
    assert (chip[:, :25] == 0).all()  # outside: black
    assert (chip[:, 40:] == 200).all()  # inside: the image


def test_face_entirely_outside_gives_a_black_chip():
    landmarks = ARCFACE_TEMPLATE + 5000
    chip = align_face(np.full((100, 100, 3), 90, np.uint8), landmarks)
    assert chip.shape == (112, 112, 3) and not chip.any()


def test_rejects_non_rgb_images():
    with pytest.raises(ValueError):
        align_face(np.zeros((100, 100), np.uint8), ARCFACE_TEMPLATE)
    with pytest.raises(ValueError):
        align_face(np.zeros((100, 100, 3), np.float32), ARCFACE_TEMPLATE)


def test_thread_safe():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    cases = [_apply(_similarity(a, 1 + a / 90, 320, 240), ARCFACE_TEMPLATE - 56) for a in range(-40, 41, 5)]
    expected = [align_face(img, lm) for lm in cases]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda lm: align_face(img, lm), cases * 4))
    for i, chip in enumerate(results):
        np.testing.assert_array_equal(chip, expected[i % len(cases)])
