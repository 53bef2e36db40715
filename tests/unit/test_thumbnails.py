"""Face thumbnails are square, centred on the face, and never padded with black at the edges."""

import io

import numpy as np
from PIL import Image

from kinfolk.core.imaging.thumbnails import face_thumbnail


def _img(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def test_face_at_the_edge_is_not_padded():
    rgb = np.full((300, 400, 3), 200, np.uint8)
    thumb = _img(face_thumbnail(rgb, [370, 10, 400, 60], size=64))
    assert thumb.shape == (64, 64, 3) and thumb.min() > 150  # no black bars anywhere


def test_face_is_centred():
    rgb = np.zeros((400, 400, 3), np.uint8)
    rgb[180:220, 180:220] = 255  # the "face"
    thumb = _img(face_thumbnail(rgb, [180, 180, 220, 220], size=60))
    assert thumb[30, 30].min() > 200 and thumb[2, 2].max() < 50


def test_tiny_photo_smaller_than_the_square():
    rgb = np.full((20, 30, 3), 120, np.uint8)
    assert _img(face_thumbnail(rgb, [0, 0, 30, 20], size=32)).shape == (32, 32, 3)
