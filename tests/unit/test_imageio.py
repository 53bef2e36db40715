"""kinfolk.core.imaging.imageio: sniffing, reduced-scale decoding, orientation, dates, and failure codes.

Synthetic files are built in tmp_path; real photos come from the shared labeled set.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import struct
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin, features

from kinfolk.core.imaging import imageio, photo_dates
from kinfolk.core.imaging.imageio import (MAX_PIXELS, DecodedPhoto, ImageLoadError, face_thumbnail,
    load_for_detection, load_full, read_capture_date, sniff_format)

# ---------------------------------------------------------------------------------------------
# helpers


def _upright(w: int = 64, h: int = 40) -> np.ndarray:
    """An asymmetric test card: red / green on top, blue / yellow at the bottom."""
    a = np.zeros((h, w, 3), np.uint8)
    a[: h // 2, : w // 2] = (255, 0, 0)
    a[: h // 2, w // 2:] = (0, 255, 0)
    a[h // 2:, : w // 2] = (0, 0, 255)
    a[h // 2:, w // 2:] = (255, 255, 0)
    return a


# The pixels a camera stores for each EXIF orientation of an upright scene (the inverse of the
# transform the tag asks for), written with numpy so they do not share code with the loader.
_STORED = {
    1: lambda u: u,
    2: lambda u: u[:, ::-1],
    3: lambda u: u[::-1, ::-1],
    4: lambda u: u[::-1, :],
    5: lambda u: u.transpose(1, 0, 2),
    6: lambda u: np.rot90(u, 1),  # display = rotate 90° clockwise
    7: lambda u: np.rot90(u.transpose(1, 0, 2), 2),
    8: lambda u: np.rot90(u, -1),  # display = rotate 90° counter-clockwise
}


def _save_jpeg(path: Path, arr: np.ndarray, orientation: int | None = None, quality: int = 95,
               **exif_tags) -> Path:
    im = Image.fromarray(np.ascontiguousarray(arr))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    sub = {}
    for name, value in exif_tags.items():
        tag = {"DateTimeOriginal": 0x9003, "DateTimeDigitized": 0x9004}.get(name)
        if tag:
            sub[tag] = value
        elif name == "DateTime":
            exif[0x0132] = value
    if sub:
        exif.get_ifd(0x8769).update(sub)
    im.save(path, "JPEG", quality=quality, exif=exif.tobytes())
    return path


def _quadrant_colors(rgb: np.ndarray) -> list[tuple[int, int, int]]:
    h, w = rgb.shape[:2]
    pts = [(h // 4, w // 4), (h // 4, 3 * w // 4), (3 * h // 4, w // 4), (3 * h // 4, 3 * w // 4)]
    return [tuple(int(v) for v in rgb[y, x]) for y, x in pts]


def _close(c1, c2, tol=40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(c1, c2))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(w: int, h: int, depth: int, color_type: int, raw: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(raw))
            + _png_chunk(b"IEND", b""))


def _reason(path, **kw) -> str:
    with pytest.raises(ImageLoadError) as ei:
        load_for_detection(path, **kw)
    assert str(ei.value)  # a human message, always
    return ei.value.reason


def _red_centroid(rgb: np.ndarray) -> tuple[float, float]:
    """Centre of the red marker in pixel units (x, y), weighting edge pixels by their redness."""
    diff = rgb[..., 0].astype(np.int16) - np.maximum(rgb[..., 1], rgb[..., 2])
    red = np.where(diff >= 128, diff, 0).astype(np.float32)  # not JPEG ringing or skin tones
    total = float(red.sum())
    assert total > 0, "marker not found"
    cx = float(red.sum(axis=0) @ np.arange(red.shape[1])) / total
    cy = float(red.sum(axis=1) @ np.arange(red.shape[0])) / total
    return cx + 0.5, cy + 0.5  # pixel centres


@pytest.fixture(scope="module")
def camera_jpeg(tmp_path_factory, faces_dir) -> tuple[Path, tuple[float, float]]:
    """A 4000×2667 JPEG made from a real photo, with a 48-px red marker whose centre is known."""
    src = Image.open(faces_dir / "deepface/pde_0019.jpg").convert("RGB")
    big = src.resize((4000, round(4000 * src.height / src.width)), Image.Resampling.BILINEAR)
    centre = (3100.0, 620.0)
    big.paste((255, 0, 0), (3076, 596, 3124, 644))
    path = tmp_path_factory.mktemp("cam") / "camera.jpg"
    big.save(path, "JPEG", quality=90)
    return path, centre


# ---------------------------------------------------------------------------------------------
# sniffing


@pytest.mark.parametrize("head, name", [
    (b"\xff\xd8\xff\xe1\x00\x10Exif", "JPEG"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "WEBP"),
    (b"GIF89a\x01\x00", "GIF"),
    (b"BM" + b"\x00" * 12 + struct.pack("<I", 40), "BMP"),
    (b"II*\x00\x08\x00\x00\x00\x00\x00", "TIFF"),
    (b"MM\x00*\x00\x00\x00\x08", "TIFF"),
    (b"II*\x00\x10\x00\x00\x00CR\x02\x00", "CR2"),
    (b"IIRO\x08\x00\x00\x00", "ORF"),
    (b"IIU\x00\x18\x00\x00\x00", "RW2"),
    (b"FUJIFILMCCD-RAW 0201FF383501", "RAF"),
    (b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom", "CR3"),
    (b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1heicmiaf", "HEIF"),
    (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "HEIF"),
    (b"\x00\x00\x00\x20ftypavif\x00\x00\x00\x00avifmif1miafMA1B", "AVIF"),
    (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", "AVIF"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JXL"),
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", None),  # MP4 video
    (b"hello, world\n", None),
    (b"", None),
])
def test_sniff_bytes(head, name):
    assert sniff_format(head) == name


def test_sniff_path_uses_content_and_raw_extension(tmp_path):
    tiff = io.BytesIO()
    Image.new("RGB", (4, 4)).save(tiff, "TIFF")
    for fname, expect in [("a.tif", "TIFF"), ("a.NEF", "NEF"), ("a.dng", "DNG"), ("a.arw", "ARW"),
                          ("a.jpg", "TIFF")]:
        (tmp_path / fname).write_bytes(tiff.getvalue())
        assert sniff_format(tmp_path / fname) == expect
    png = tmp_path / "really_png.jpg"
    Image.new("RGB", (4, 4)).save(png, "PNG")
    assert sniff_format(png) == "PNG"
    with pytest.raises(ImageLoadError) as ei:
        sniff_format(tmp_path / "nope.jpg")
    assert ei.value.reason == "missing"


# ---------------------------------------------------------------------------------------------
# failure codes


def test_empty_file(tmp_path):
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    assert _reason(p) == "empty"


def test_missing_file(tmp_path):
    assert _reason(tmp_path / "gone.jpg") == "missing"


def test_directory_is_not_an_image(tmp_path):
    assert _reason(tmp_path) == "not_image"


def test_random_bytes_and_text_are_not_images(tmp_path):
    rnd = tmp_path / "random.jpg"
    rnd.write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    assert _reason(rnd) == "not_image"
    txt = tmp_path / "notes.jpg"
    txt.write_text("shopping list: milk, eggs\n" * 20)
    with pytest.raises(ImageLoadError) as ei:
        load_for_detection(txt)
    assert ei.value.reason == "not_image" and "text" in str(ei.value)


def test_truncated_jpeg(tmp_path, faces_dir):
    data = (faces_dir / "deepface/pde_0002.jpg").read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 400):  # in the scan data, near the end, in the header
        p = tmp_path / f"cut{cut}.jpg"
        p.write_bytes(data[:cut])
        with pytest.raises(ImageLoadError) as ei:
            load_for_detection(p)
        assert ei.value.reason == "truncated", (cut, str(ei.value))
        assert str(ei.value) == f"truncated JPEG: file ends after {cut:,} bytes"


def test_jpeg_with_garbage_in_the_middle(tmp_path, faces_dir):
    data = bytearray((faces_dir / "deepface/pde_0002.jpg").read_bytes())
    mid = len(data) // 2
    data[mid:mid + 3000] = np.random.default_rng(7).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    p = tmp_path / "garbage.jpg"
    p.write_bytes(bytes(data))
    assert _reason(p) in ("corrupt", "truncated")


def test_truncated_png_and_webp(tmp_path):
    arr = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    for fmt in ("PNG", "WEBP"):
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, fmt)
        data = buf.getvalue()
        for cut in (len(data) // 2, 20):
            p = tmp_path / f"cut{cut}.{fmt.lower()}"
            p.write_bytes(data[:cut])
            assert _reason(p) == "truncated", (fmt, cut)


def test_truncated_heic_is_detected(tmp_path, faces_dir):
    # libheif decodes a HEIC with missing grid tiles without complaint; the box walk catches it.
    data = (faces_dir / "misc/pmi_0003.heic").read_bytes()
    p = tmp_path / "cut.heic"
    p.write_bytes(data[: len(data) // 2])
    assert _reason(p) == "truncated"


def test_header_bombs_are_refused_without_decoding(tmp_path):
    huge = tmp_path / "bomb.png"  # a 100000×100000 header in a 60-byte file
    huge.write_bytes(_png(100_000, 100_000, 8, 2, b""))
    assert _reason(huge) == "too_large"
    # Just above our cap (below twice Pillow's figure, so only our own check stands in the way).
    w, h = 20_000, MAX_PIXELS // 20_000 + 1
    over = tmp_path / "over.png"
    over.write_bytes(_png(w, h, 8, 2, b""))
    with pytest.warns(Image.DecompressionBombWarning):
        assert _reason(over) == "too_large"
    # A JPEG whose SOF claims 65000×65000.
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5: sof + 9] = struct.pack(">HH", 65000, 65000)
    jb = tmp_path / "bomb.jpg"
    jb.write_bytes(bytes(data))
    assert _reason(jb) == "too_large"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads chmod-000 files")
def test_unreadable_file_chmod(tmp_path):
    p = _save_jpeg(tmp_path / "locked.jpg", _upright())
    p.chmod(0)
    try:
        assert _reason(p) == "permission"
    finally:
        p.chmod(0o644)


@pytest.mark.parametrize("err, reason", [
    (PermissionError(errno.EACCES, "Permission denied"), "permission"),
    (FileNotFoundError(errno.ENOENT, "No such file"), "missing"),
    (OSError(errno.ESTALE, "Stale file handle"), "missing"),
    (OSError(errno.EIO, "Input/output error"), "corrupt"),
])
def test_os_errors_map_to_codes(tmp_path, monkeypatch, err, reason):
    p = _save_jpeg(tmp_path / "a.jpg", _upright())

    def failing_open(*a, **k):
        raise err

    monkeypatch.setattr(imageio, "open", failing_open, raising=False)
    assert _reason(p) == reason


def test_error_is_picklable():
    import pickle

    e = pickle.loads(pickle.dumps(ImageLoadError("truncated", "truncated JPEG: x", "/a.jpg")))
    assert (e.reason, str(e), e.path) == ("truncated", "truncated JPEG: x", "/a.jpg")
    with pytest.raises(ValueError):
        ImageLoadError("bad-code", "x")


# ---------------------------------------------------------------------------------------------
# pixel formats


def test_png_named_jpg_is_decoded_as_png(tmp_path):
    p = tmp_path / "photo.jpg"
    Image.fromarray(_upright()).save(p, "PNG")
    photo = load_for_detection(p)
    assert photo.format == "PNG"
    assert np.array_equal(photo.rgb, _upright())


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "WEBP", "AVIF"])
def test_other_formats_named_jpg(tmp_path, fmt):
    if fmt == "AVIF" and not features.check("avif"):
        pytest.skip("Pillow built without AVIF")
    p = tmp_path / "photo.jpg"
    Image.fromarray(_upright(640, 400)).save(p, fmt, **({"quality": 95} if fmt in ("WEBP", "AVIF") else {}))
    photo = load_for_detection(p, min_long_side=160)
    assert photo.format == fmt
    assert photo.rgb.shape == (100, 160, 3)  # box-reduced by 4 (640 // 160)
    assert photo.scale == 4.0 and photo.full_size == (640, 400)
    expected = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    assert all(_close(c, e, 60) for c, e in zip(_quadrant_colors(photo.rgb), expected))


def test_16_bit_grayscale_png_is_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 16).astype(np.uint16).reshape(16, 64)
    p = tmp_path / "g16.png"
    Image.fromarray(ramp).save(p)
    assert Image.open(p).mode.startswith("I")
    rgb = load_for_detection(p).rgb
    assert rgb.dtype == np.uint8 and rgb.shape == (16, 64, 3)
    assert np.array_equal(rgb[..., 0], (ramp >> 8).astype(np.uint8))
    assert np.array_equal(rgb[..., 0], rgb[..., 2])


def test_16_bit_rgb_png(tmp_path):
    w, h = 8, 4
    arr = (np.arange(w * h * 3, dtype=np.uint32).reshape(h, w, 3) * 650).astype(">u2")
    raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(h))
    p = tmp_path / "rgb16.png"
    p.write_bytes(_png(w, h, 16, 2, raw))
    rgb = load_for_detection(p).rgb
    assert np.array_equal(rgb, (arr.astype(np.uint16) >> 8).astype(np.uint8))


def test_cmyk_jpeg(tmp_path):
    p = tmp_path / "cmyk.jpg"
    Image.fromarray(_upright()).convert("CMYK").save(p, "JPEG", quality=95)
    assert Image.open(p).mode == "CMYK"
    photo = load_for_detection(p)
    expected = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    assert all(_close(c, e, 50) for c, e in zip(_quadrant_colors(photo.rgb), expected))


def test_alpha_palette_and_gray(tmp_path):
    rgba = np.zeros((10, 20, 4), np.uint8)
    rgba[:, :10] = (255, 0, 0, 255)  # opaque red | fully transparent (black underneath)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    rgb = load_for_detection(tmp_path / "a.png").rgb
    assert tuple(rgb[5, 2]) == (255, 0, 0) and tuple(rgb[5, 15]) == (255, 255, 255)  # on white
    Image.fromarray(_upright()).convert("P").save(tmp_path / "p.gif")
    assert load_for_detection(tmp_path / "p.gif").rgb.shape == (40, 64, 3)
    Image.fromarray(np.full((8, 8), 77, np.uint8), "L").save(tmp_path / "g.jpg", quality=100)
    g = load_for_detection(tmp_path / "g.jpg").rgb
    assert g.shape == (8, 8, 3) and np.all(np.abs(g.astype(int) - 77) <= 1)


# ---------------------------------------------------------------------------------------------
# orientation


@pytest.mark.parametrize("orientation", range(1, 9))
def test_all_exif_orientations(tmp_path, orientation):
    upright = _upright()
    p = _save_jpeg(tmp_path / f"o{orientation}.jpg", _STORED[orientation](upright), orientation)
    photo = load_for_detection(p)
    assert photo.rgb.shape == upright.shape
    assert photo.full_size == (64, 40)
    expected = _quadrant_colors(upright)
    got = _quadrant_colors(photo.rgb)
    assert all(_close(g, e) for g, e in zip(got, expected)), (orientation, got)
    full = np.asarray(load_full(p))
    assert all(_close(g, e) for g, e in zip(_quadrant_colors(full), expected))


@pytest.mark.parametrize("orientation", [3, 6, 7, 8])
def test_orientation_with_draft(tmp_path, orientation):
    upright = _upright(1280, 800)
    p = _save_jpeg(tmp_path / "o.jpg", _STORED[orientation](upright), orientation, quality=90)
    photo = load_for_detection(p, min_long_side=160)
    assert photo.rgb.shape == (100, 160, 3)  # libjpeg 1/8
    assert photo.full_size == (1280, 800) and photo.scale == 8.0
    expected = _quadrant_colors(upright)
    assert all(_close(g, e) for g, e in zip(_quadrant_colors(photo.rgb), expected))


def _provenance_rotated(faces_dir: Path) -> dict[str, int]:
    out = {}
    with open(faces_dir / "provenance.csv", newline="") as f:
        for row in csv.DictReader(f):
            m = re.search(r"EXIF Orientation=(\d)", row.get("note", ""))
            if m:
                out[row["file"]] = int(m.group(1))
    return out


def test_real_rotated_photos(faces_dir, labels):
    import dlib

    rotated = _provenance_rotated(faces_dir)
    assert len(rotated) == 3
    detector = dlib.get_frontal_face_detector()  # HOG: finds upright faces only
    for rel, orientation in rotated.items():
        path = faces_dir / rel
        assert labels[rel] not in ("none", "group")
        with Image.open(path) as im:
            assert im.getexif().get(0x0112) == orientation
            stored = np.asarray(im.convert("RGB"))
        # Orientation by an independent transform, pixel for pixel on the full decode.
        inverse = {3: lambda a: a[::-1, ::-1], 6: lambda a: np.rot90(a, -1), 8: lambda a: np.rot90(a, 1)}
        assert np.array_equal(np.asarray(load_full(path)), inverse[orientation](stored))
        photo = load_for_detection(path)
        h, w = stored.shape[:2]
        assert photo.full_size == ((h, w) if orientation in (6, 8) else (w, h))
        assert photo.rgb.shape[1] / photo.rgb.shape[0] == pytest.approx(
            photo.full_size[0] / photo.full_size[1], rel=0.01)
        upsample = 1 if max(photo.rgb.shape) < 400 else 0  # HOG finds faces ≥ 80 px
        assert len(detector(photo.rgb, upsample)) >= 1, f"no upright face in {rel}"


def test_heic_photos(faces_dir):
    import exifread

    heics = sorted(faces_dir.rglob("*.heic"))
    assert len(heics) >= 2
    sources = set()
    for path in heics:
        photo = load_for_detection(path)
        sources.add(photo.taken_at_source)
        assert photo.format == "HEIF"
        assert photo.rgb.dtype == np.uint8 and photo.rgb.ndim == 3 and photo.rgb.shape[2] == 3
        assert max(photo.rgb.shape[:2]) >= 640 or max(photo.full_size) < 640
        assert photo.rgb.std() > 10  # real content, not a grey placeholder
        with open(path, "rb") as f:
            tags = exifread.process_file(f, details=False)
        original = tags.get("EXIF DateTimeOriginal")
        if original:
            expect = datetime.strptime(str(original), "%Y:%m:%d %H:%M:%S").isoformat()
            assert (photo.taken_at, photo.taken_at_source) == (expect, "exif")
        else:
            assert photo.taken_at_source == "file"
    assert "exif" in sources  # the iPhone photo keeps its EXIF through pillow-heif


def test_webp_named_jpg(faces_dir, labels):
    webps = [f for f in labels if f.endswith(".jpg") and sniff_format(faces_dir / f) == "WEBP"]
    assert webps, "the shared set has a WebP named .jpg"
    for rel in webps:
        photo = load_for_detection(faces_dir / rel)
        assert photo.format == "WEBP"
        with Image.open(faces_dir / rel) as im:
            assert photo.full_size == im.size


# ---------------------------------------------------------------------------------------------
# reduced-scale decoding


def test_camera_jpeg_uses_draft_and_scale_maps_to_full_size(camera_jpeg, monkeypatch):
    path, (mx, my) = camera_jpeg
    calls = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        calls.append(size)
        return real_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    photo = load_for_detection(path, min_long_side=640)
    assert len(calls) == 1
    assert photo.full_size == (4000, 2667)
    # libjpeg at 1/4 gives 1000 px; a full decode + box reduce (4000 // 640 = 6) would give 667.
    assert photo.rgb.shape == (667, 1000, 3)
    assert 640 <= max(photo.rgb.shape) < 2 * 640
    assert photo.scale == pytest.approx(4.0, abs=0.01)
    cx, cy = _red_centroid(photo.rgb)
    assert (cx * photo.scale, cy * photo.scale) == pytest.approx((mx, my), abs=4)
    full_x, full_y = _red_centroid(np.asarray(load_full(path)))
    assert (full_x, full_y) == pytest.approx((mx, my), abs=1.5)


def test_min_and_max_long_side(camera_jpeg):
    path, (mx, my) = camera_jpeg
    small = load_for_detection(path, min_long_side=320)  # 1/8 → 500 px
    assert max(small.rgb.shape) == 500 and small.scale == pytest.approx(8.0, abs=0.02)
    capped = load_for_detection(path, min_long_side=640, max_long_side=800)
    assert max(capped.rgb.shape) == 800
    cx, cy = _red_centroid(capped.rgb)
    assert (cx * capped.scale, cy * capped.scale) == pytest.approx((mx, my), abs=6)
    big = load_for_detection(path, min_long_side=5000)  # never upscaled
    assert big.rgb.shape == (2667, 4000, 3) and big.scale == 1.0
    with pytest.raises(ValueError):
        load_for_detection(path, min_long_side=640, max_long_side=320)


def test_rotated_camera_jpeg_scale(tmp_path, camera_jpeg):
    """A drafted, 90°-rotated photo: box * scale lands on the same spot as in the full decode."""
    path, _ = camera_jpeg
    stored = np.rot90(np.asarray(Image.open(path).convert("RGB")), -1)  # orientation 8
    p = _save_jpeg(tmp_path / "rot8.jpg", stored, 8, quality=90)
    photo = load_for_detection(p)
    assert photo.full_size == (4000, 2667) and photo.rgb.shape == (667, 1000, 3)
    fx, fy = _red_centroid(np.asarray(load_full(p)))
    cx, cy = _red_centroid(photo.rgb)
    assert (cx * photo.scale, cy * photo.scale) == pytest.approx((fx, fy), abs=4)


def test_non_jpeg_is_reduced_with_exact_scale(tmp_path):
    arr = np.zeros((1003, 2011, 3), np.uint8)
    arr[500:520, 1500:1520] = (255, 0, 0)
    p = tmp_path / "big.png"
    Image.fromarray(arr).save(p, compress_level=1)
    photo = load_for_detection(p, min_long_side=640)
    assert photo.rgb.shape == (335, 671, 3)  # reduce(3), rounding up
    assert photo.full_size == (2011, 1003)
    cx, cy = _red_centroid(photo.rgb)
    assert (cx * photo.scale, cy * photo.scale) == pytest.approx((1510, 510), abs=3)


def test_load_full_downscaled(camera_jpeg):
    path, _ = camera_jpeg
    im = load_full(path, max_long_side=1200)
    assert im.mode == "RGB" and im.size == (1200, 800)
    assert load_full(path).size == (4000, 2667)


def test_face_thumbnail(camera_jpeg):
    path, (mx, my) = camera_jpeg
    data = face_thumbnail(path, (mx - 24, my - 24, mx + 24, my + 24), size=96)
    thumb = Image.open(io.BytesIO(data))
    assert thumb.format == "JPEG" and thumb.size == (96, 96)
    a = np.asarray(thumb)
    assert _close(tuple(int(v) for v in a[48, 48]), (255, 0, 0), 50)  # centred on the face
    # 25% margin each side: the 48-px marker spans half the crop (72 px), i.e. 64 of 96 px.
    red_cols = np.nonzero((a[48, :, 0] > 180) & (a[48, :, 1] < 90))[0]
    assert 56 <= len(red_cols) <= 72
    # A box in the corner is clamped into the photo, still square.
    corner = Image.open(io.BytesIO(face_thumbnail(path, (3960, 2620, 4000, 2667), size=64)))
    assert corner.size == (64, 64)
    with pytest.raises(ValueError):
        face_thumbnail(path, (10, 10, 10, 20))


# ---------------------------------------------------------------------------------------------
# capture dates


def test_capture_date_priority(tmp_path):
    a = _upright()
    p = _save_jpeg(tmp_path / "d1.jpg", a, DateTimeOriginal="2019:07:04 12:30:00",
                   DateTimeDigitized="2019:07:05 08:00:00", DateTime="2020:01:01 00:00:00")
    assert read_capture_date(p) == ("2019-07-04T12:30:00", "exif")
    assert load_for_detection(p).taken_at == "2019-07-04T12:30:00"
    p = _save_jpeg(tmp_path / "d2.jpg", a, DateTimeDigitized="2019:07:05 08:00:00",
                   DateTime="2020:01:01 00:00:00")
    assert read_capture_date(p) == ("2019-07-05T08:00:00", "exif")
    p = _save_jpeg(tmp_path / "d3.jpg", a, DateTime="2020:01:01 00:00:00")
    assert read_capture_date(p) == ("2020-01-01T00:00:00", "exif")
    with Image.open(p) as im:
        assert read_capture_date(p, image=im) == ("2020-01-01T00:00:00", "exif")


def test_invalid_date_falls_back_to_mtime(tmp_path):
    p = _save_jpeg(tmp_path / "zero.jpg", _upright(), DateTimeOriginal="0000:00:00 00:00:00",
                   DateTime="    :  :     :  :  ")
    t = datetime(2015, 3, 14, 9, 26, 53).timestamp()
    os.utime(p, (t, t))
    assert read_capture_date(p) == ("2015-03-14T09:26:53", "file")
    photo = load_for_detection(p)
    assert (photo.taken_at, photo.taken_at_source) == ("2015-03-14T09:26:53", "file")
    # An unreadable image still has a date; a vanished file does not.
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0garbage")
    assert read_capture_date(junk)[1] == "file"
    with pytest.raises(ImageLoadError) as ei:
        read_capture_date(tmp_path / "gone.jpg")
    assert ei.value.reason == "missing"


@pytest.mark.parametrize("value, expect", [
    ("2019:07:04 12:30:00", "2019-07-04T12:30:00"),
    ("2019-07-04 12:30:00", "2019-07-04T12:30:00"),
    ("2019:07:04 12:30:00.123+02:00", "2019-07-04T12:30:00"),
    (b"2019:07:04 12:30:00\x00", "2019-07-04T12:30:00"),
    ("0000:00:00 00:00:00", None),
    ("2019:13:40 12:30:00", None),
    ("    :  :     :  :  ", None),
    ("", None),
    (None, None),
])
def test_parse_exif_datetime(value, expect):
    assert photo_dates.parse_exif_datetime(value) == expect


# ---------------------------------------------------------------------------------------------
# camera RAW (synthetic containers: the loader only needs their embedded previews)


def _jpeg_bytes(arr: np.ndarray, orientation: int | None = None, taken: str | None = None) -> bytes:
    buf = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    Image.fromarray(arr).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


_LOSSLESS_SENSOR_JPEG = (  # SOF3 (lossless, 14-bit, 1 component, 6000×4000): must be skipped
    b"\xff\xd8\xff\xc3\x00\x0b\x0e" + struct.pack(">HH", 4000, 6000) + b"\x01\x01\x11\x00"
    + b"\xff\xda\x00\x08\x01\x01\x00\x00\x00\x00" + b"\x12\x34" * 500 + b"\xff\xd9"
)


def test_tiff_based_raw_uses_largest_preview_and_container_orientation(tmp_path):
    upright = _upright(1200, 800)
    preview = _jpeg_bytes(np.ascontiguousarray(_STORED[6](upright)))
    small = _jpeg_bytes(np.ascontiguousarray(_STORED[6](_upright(120, 80))))
    tiff = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x0132] = "2021:02:03 04:05:06"
    Image.fromarray(_upright(16, 16)).save(tiff, "TIFF", exif=exif)
    p = tmp_path / "DSC_0001.NEF"
    p.write_bytes(tiff.getvalue() + small + _LOSSLESS_SENSOR_JPEG + preview + os.urandom(2000))
    photo = load_for_detection(p, min_long_side=300)
    assert photo.format == "NEF"
    assert photo.full_size == (1200, 800)  # the preview, oriented by the container's tag
    assert photo.rgb.shape == (200, 300, 3) and photo.scale == 4.0  # drafted preview
    expected = _quadrant_colors(upright)
    assert all(_close(g, e) for g, e in zip(_quadrant_colors(photo.rgb), expected))
    assert (photo.taken_at, photo.taken_at_source) == ("2021-02-03T04:05:06", "exif")
    assert load_full(p).size == (1200, 800)
    assert read_capture_date(p) == ("2021-02-03T04:05:06", "exif")


def test_raf_preview_with_its_own_orientation(tmp_path):
    upright = _upright(900, 600)
    preview = _jpeg_bytes(np.ascontiguousarray(_STORED[8](upright)), orientation=8,
                          taken="2018:08:09 10:11:12")
    header = b"FUJIFILMCCD-RAW 0201FF383501" + b"\x00" * 120
    p = tmp_path / "DSCF0001.RAF"
    p.write_bytes(header + preview + os.urandom(5000))
    photo = load_for_detection(p)
    assert photo.format == "RAF" and photo.full_size == (900, 600)
    assert (photo.taken_at, photo.taken_at_source) == ("2018-08-09T10:11:12", "exif")
    assert read_capture_date(p) == ("2018-08-09T10:11:12", "exif")
    assert all(_close(g, e) for g, e in zip(_quadrant_colors(photo.rgb), _quadrant_colors(upright)))


def test_raw_without_preview_is_unsupported(tmp_path):
    tiff = io.BytesIO()
    Image.fromarray(_upright(16, 16)).save(tiff, "TIFF")
    p = tmp_path / "IMG.DNG"
    p.write_bytes(tiff.getvalue() + _LOSSLESS_SENSOR_JPEG)
    assert _reason(p) == "unsupported"


def test_decoded_photo_contract(faces_dir, labels):
    """Every photo of the shared set decodes to the documented shape, dtype and scale."""
    rel = sorted(labels)[::25]  # a spread of sources and sizes; the full set is the scan's job
    for r in rel:
        photo = load_for_detection(faces_dir / r)
        assert isinstance(photo, DecodedPhoto)
        h, w, c = photo.rgb.shape
        assert c == 3 and photo.rgb.dtype == np.uint8 and photo.rgb.flags.c_contiguous
        assert photo.scale >= 1.0
        assert w * photo.scale == pytest.approx(photo.full_size[0], abs=photo.scale)
        assert h * photo.scale == pytest.approx(photo.full_size[1], abs=photo.scale)
        assert max(h, w) >= min(640, max(photo.full_size))
        assert photo.taken_at_source in ("exif", "file")
        assert photo.taken_at is None or datetime.fromisoformat(photo.taken_at)


def test_concurrent_decoding_matches_serial(faces_dir, labels):
    """The scanner decodes in a thread pool: results must not depend on it."""
    from concurrent.futures import ThreadPoolExecutor

    paths = [faces_dir / r for r in sorted(labels)[1::30]] + sorted(faces_dir.rglob("*.heic"))[:1]
    serial = [load_for_detection(p) for p in paths]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(load_for_detection, paths))
    for a, b in zip(serial, parallel):
        assert a.scale == b.scale and a.full_size == b.full_size and np.array_equal(a.rgb, b.rgb)
