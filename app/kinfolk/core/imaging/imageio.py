"""Reading photos from disk: fast reduced-scale decoding, orientation, capture dates (the formats are
sniffed by ``imaging.formats``; failures are ``imaging.load_errors.ImageLoadError``, re-exported here).

Every photo the app touches goes through this module, so it owns three contracts:

- **Coordinates.** Everything returned is in the *oriented* pixel space (EXIF Orientation applied),
  and ``DecodedPhoto.scale`` maps decoded pixels to full-size oriented pixels. For camera RAW files
  the "full-size photo" is the largest embedded JPEG preview (usually the full sensor size), and the
  viewer and thumbnails decode that same preview, so stored boxes always line up.
- **Speed.** ``load_for_detection`` is on the scan's hot path (≥ 20 photos/s on 12 MP photos):
  JPEGs are decoded by libjpeg at 1/2, 1/4 or 1/8 scale via ``draft`` (one open, one decode), then
  reduced with a box filter only when still ≥ 2× larger than needed.
- **Failures.** Any unreadable file raises :class:`ImageLoadError` with a stable ``reason`` code
  and a human message; no other exception escapes for a bad file. Truncation is detected (we never
  set ``ImageFile.LOAD_TRUNCATED_IMAGES``), and decompression bombs are refused before any large
  allocation (:data:`MAX_PIXELS`).
"""

from __future__ import annotations

import io
import logging
import mmap
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import BinaryIO, Literal, Sequence, TextIO, Union

import numpy as np
import numpy.typing as npt
from PIL import Image

from kinfolk.core.imaging.formats import RAW_FORMATS, SNIFF_BYTES, sniff_format, sniff_head
from kinfolk.core.imaging.load_errors import (MAX_PIXELS, REASONS, ImageLoadError, classify, header_truncated,
    truncated)
from kinfolk.core.imaging.photo_dates import (date_from_exif, date_from_exifread, date_from_filename,
    date_from_xmp)
from kinfolk.core.imaging.thumbnails import thumbnail_square
from kinfolk.core.imaging.raw_preview import (ExifreadTags, exifread_tags, largest_jpeg,
    raw_orientation)

log = logging.getLogger(__name__)

__all__ = [
    "MAX_PIXELS", "RAW_FORMATS", "REASONS", "DecodedPhoto", "ImageLoadError", "face_thumbnail",
    "load_for_detection", "load_full", "read_capture_date", "sniff_format",
]

PathLike = Union[str, "os.PathLike[str]"]

#: Largest decode we attempt, in bytes of decoded pixels (after JPEG ``draft``): a 250 MP RGB PNG
#: is 750 MB, a 250 MP RGBA one 1 GB. Formats without reduced-scale decoding (PNG, TIFF, WebP...)
#: must be decoded whole, so this, not the pixel count, is what bounds a worker's memory.
MAX_DECODE_BYTES = 1 << 30

#: Decodes larger than this many bytes run one at a time, on one dedicated thread (``_BIG_DECODER``),
#: so four workers meeting four huge PNGs need the memory of one, not four. (One thread, not just a
#: lock: glibc keeps freed memory in the arena of the thread that used it, so big decodes spread
#: over four workers would still hold four images' worth.) Camera JPEGs (drafted) and ordinary
#: photos never wait.
BIG_DECODE_BYTES = 96 << 20
_BIG_DECODER = ThreadPoolExecutor(1, thread_name_prefix="kinfolk-big-decode")

# Sniffed format -> Pillow plugin id used to open it.
_PILLOW_FORMAT = {
    "JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "GIF", "BMP": "BMP", "TIFF": "TIFF",
    "HEIF": "HEIF", "AVIF": "AVIF", "JXL": "JXL",
}

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_TAG_ORIENTATION = 0x0112

@dataclass(frozen=True, eq=False)
class DecodedPhoto:
    """A photo decoded for face detection.

    ``rgb`` is (H, W, 3) uint8, oriented, at reduced scale. ``scale`` is full-size oriented pixels
    per decoded pixel: ``box * scale`` gives full-size coordinates. It is the mean of the width and
    height ratios ``full_size / decoded size``; the two differ only by the rounding of the decoded
    size (less than one decoded pixel over the whole image).
    """

    rgb: npt.NDArray[np.uint8]
    scale: float
    full_size: tuple[int, int]  # (w, h) of the oriented full-size photo
    format: str  # as sniff_format names it: "JPEG", "HEIF", "NEF", ...
    taken_at: str | None  # ISO 8601 local time, no tz, e.g. "2019-07-04T12:30:00"
    taken_at_source: str  # "exif", "xmp", "filename" (a date in the name) or "file" (mtime: a guess)


# --------------------------------------------------------------------------------------------
# One-time Pillow setup

_setup_lock = threading.Lock()
_setup_done = False


def _setup() -> None:
    """Register pillow-heif and set Pillow's bomb guard, once (lazily: importing stays cheap)."""
    global _setup_done
    if _setup_done:
        return
    with _setup_lock:
        if _setup_done:
            return
        # Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that; we refuse above
        # MAX_PIXELS ourselves, so raise its figure to ours (its default, 89 MP, warns on real photos).
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        try:
            from pillow_heif import register_heif_opener

            # HEIC thumbnails/depth maps are never used: skip decoding their metadata.
            register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
        except ImportError:  # pragma: no cover - pillow-heif is a dependency
            log.warning("pillow-heif is not installed: HEIC photos cannot be read")
        Image.init()
        _route_decoder_warnings()
        _setup_done = True


_reading = threading.local()  # the path this thread is reading, for warnings


def _route_decoder_warnings() -> None:
    """Pillow (and pillow-heif, exifread) report damaged-but-readable files with ``warnings.warn``
    ("Possibly corrupt EXIF data", "Truncated File Read", DecompressionBombWarning...), which
    Python prints raw on stderr, once per code line, without the file. Send them to this module's
    log instead (INFO, with the photo's path; ``kinfolk -v`` shows them); other warnings are untouched."""
    previous = warnings.showwarning
    pil_dir = os.path.dirname(Image.__file__)

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        fn = os.fspath(filename or "")
        if fn.startswith(pil_dir) or fn == __file__ or os.sep + "pillow_heif" + os.sep in fn \
                or os.sep + "exifread" + os.sep in fn:
            where = getattr(_reading, "path", None)
            log.info("%s%s: %s", f"{where}: " if where else "", category.__name__, message)
            return
        previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    warnings.filterwarnings("always", module=r"(PIL|pillow_heif|exifread)(\.|$)")


class _Guard:
    """Owns the open file of one read and turns any exception raised inside it into an
    ImageLoadError, using what is known so far (format, size, the still-open file to probe)."""

    def __init__(self, path: str):
        self.path = path
        self.fmt: str | None = None
        self.size: int | None = None
        self.f: BinaryIO | None = None
        _reading.path = path

    def open(self) -> BinaryIO:
        self.f = open(self.path, "rb")
        return self.f

    def __enter__(self) -> "_Guard":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        try:
            if exc is None or isinstance(exc, ImageLoadError) or not isinstance(exc, Exception):
                return False
            raise classify(exc, self.path, self.fmt, self.size, self.f) from exc
        finally:
            _reading.path = None
            if self.f is not None:
                self.f.close()


# --------------------------------------------------------------------------------------------
# Opening


@dataclass
class _Opened:
    """An identified image (stored orientation); ``exif``/``orientation`` are filled in by
    :func:`_read_meta` after decoding, because for PNG reading EXIF may itself decode the image."""

    im: Image.Image
    fmt: str
    size: tuple[int, int]  # full stored size (``im.size`` shrinks when drafted)
    raw_meta: ExifreadTags | None = None  # exifread tags of a RAW container
    exif: Image.Exif | None = None
    orientation: int = 1


def _open(f: BinaryIO, guard: _Guard) -> _Opened:
    """Identify the file behind ``f`` from its header. Decodes nothing."""
    _setup()
    size = os.fstat(f.fileno()).st_size
    guard.size, guard.f = size, f
    if size == 0:
        raise ImageLoadError("empty", "empty file (0 bytes)", guard.path)
    head = f.read(SNIFF_BYTES)
    fmt = sniff_head(head, os.path.splitext(guard.path)[1])
    guard.fmt = fmt
    if fmt is None:
        raise ImageLoadError("not_image", _not_image_message(head), guard.path)
    if fmt in ("WEBP", "HEIF", "AVIF", "CR3") and header_truncated(fmt, f, size):
        raise truncated(fmt, size, guard.path)
    raw_meta = None
    if fmt in RAW_FORMATS:
        im, raw_meta = _open_raw_preview(f, fmt, guard.path)
    else:
        plugins = [_PILLOW_FORMAT[fmt]]
        if fmt in ("HEIF", "AVIF"):  # same container: let the other plugin try as well
            plugins.append("AVIF" if fmt == "HEIF" else "HEIF")
        plugins = [p for p in plugins if p in Image.OPEN]
        if not plugins:
            raise ImageLoadError("unsupported", f"unsupported format: {fmt} (no decoder installed)",
                                 guard.path)
        f.seek(0)
        im = Image.open(f, formats=plugins)
        if fmt in ("HEIF", "AVIF") and im.format in ("HEIF", "AVIF"):
            fmt = guard.fmt = im.format
    w, h = im.size
    if w * h > MAX_PIXELS:
        raise ImageLoadError(
            "too_large",
            f"image too large: {w:,}×{h:,} = {w * h / 1e6:,.0f} megapixels "
            f"(limit {MAX_PIXELS / 1e6:,.0f})", guard.path)
    if w <= 0 or h <= 0:
        raise ImageLoadError("corrupt", f"corrupt {fmt}: zero-sized image", guard.path)
    return _Opened(im, fmt, (w, h), raw_meta)


def _read_meta(op: _Opened) -> None:
    """Fill in EXIF and orientation (the RAW container's, unless the preview has its own)."""
    op.exif = _safe_exif(op.im)
    op.orientation = _orientation(op.exif)
    if op.raw_meta is not None and (not op.exif or _TAG_ORIENTATION not in op.exif):
        op.orientation = raw_orientation(op.raw_meta)


def _not_image_message(head: bytes) -> str:
    try:
        text = head.decode("utf-8")
        if all(c.isprintable() or c in "\r\n\t" for c in text):
            return "not an image: the file holds text"
    except UnicodeDecodeError:
        pass
    return f"not an image: unrecognised content (starts with {head[:8].hex(' ')})"


def _safe_exif(im: Image.Image) -> Image.Exif | None:
    """The image's EXIF, or None. Broken EXIF never fails a photo: it only loses its metadata.
    (Call it after decoding: for PNG, Pillow decodes the image to reach an eXIf chunk.)"""
    try:
        return im.getexif()
    except Exception as e:
        log.debug("unreadable EXIF ignored: %s", e)
        return None


def _orientation(exif: Image.Exif | None) -> int:
    if not exif:
        return 1
    value = exif.get(_TAG_ORIENTATION, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _oriented_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


# --------------------------------------------------------------------------------------------
# Camera RAW (core.raw_preview finds the preview)

def _open_raw_preview(f: BinaryIO, fmt: str, path: str,
                      with_tags: bool = True) -> tuple[Image.Image, ExifreadTags | None]:
    """Open the largest embedded JPEG preview of a RAW file, plus the container's EXIF tags.

    Scanning for JPEG streams works for every RAW flavour (TIFF-based, RAF, CR3) without a RAW
    library; lossless-JPEG sensor data (SOF3, 12-14 bit) is skipped by the header parser.
    """
    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        found = largest_jpeg(mm)
        if found is None:
            raise ImageLoadError("unsupported", f"unsupported {fmt}: no embedded JPEG preview", path)
        start, end, _, _ = found
        data = mm[start:end]
    im = Image.open(io.BytesIO(data), formats=["JPEG"])
    raw_meta = exifread_tags(f) if with_tags and fmt not in ("RAF", "CR3") else None
    return im, raw_meta


# --------------------------------------------------------------------------------------------
# Decoding


def _draft_request(size: tuple[int, int], s: int) -> tuple[int, int]:
    """The size to pass to ``draft`` so that Pillow picks scale 1/``s`` exactly.

    Pillow picks ``min(w // rw, h // rh)`` rounded down to 8, 4, 2 or 1; with ``rw = w // s`` that
    quotient lies in [s, 2s), so it rounds to s.
    """
    return max(1, size[0] // s), max(1, size[1] // s)


def _jpeg_scale(long_side: int, target_long: int) -> int:
    """Largest libjpeg reduction (8, 4, 2, 1) keeping the long side ≥ ``target_long``."""
    for s in (8, 4, 2):
        if -(-long_side // s) >= target_long:
            return s
    return 1


def _decode_rgb(op: _Opened, jpeg_scale: int = 1, min_long_side: int | None = None) -> Image.Image:
    """Decode to an RGB image in stored orientation (JPEG at 1/``jpeg_scale``).

    With ``min_long_side``, the decoded image is box-reduced by the largest integer factor keeping
    its long side ≥ that, *before* the RGB conversion (which would copy a full-size image, three
    times for RGBA). Refuses decodes above :data:`MAX_DECODE_BYTES`; serializes those above
    :data:`BIG_DECODE_BYTES` (on ``_BIG_DECODER``). Fills in ``op``'s EXIF and orientation
    (:func:`_read_meta`)."""
    im = op.im
    if jpeg_scale > 1 and im.format in ("JPEG", "MPO"):
        im.draft("RGB", _draft_request(im.size, jpeg_scale))
    need = _decoded_bytes(im)
    if need > MAX_DECODE_BYTES:
        raise ImageLoadError(
            "too_large", f"image too large to decode safely: {im.size[0]:,}×{im.size[1]:,} "
            f"{im.mode} needs {need / 2**20:,.0f} MB (limit {MAX_DECODE_BYTES / 2**20:,.0f} MB)")
    if need > BIG_DECODE_BYTES:
        return _BIG_DECODER.submit(_load_reduced, op, min_long_side).result()
    return _load_reduced(op, min_long_side)


def _load_reduced(op: _Opened, min_long_side: int | None) -> Image.Image:
    im = op.im
    im.load()
    _read_meta(op)  # before any reduction: for PNG, EXIF comes from the loaded image
    if min_long_side:
        k = max(im.size) // min_long_side
        if k >= 2:
            small = _reduce(im, k) if im.mode in _REDUCIBLE_MODES else _to_rgb(im).reduce(k)
            im.close()  # free the full-size pixels now, before the next big decode starts
            im = small
    return _to_rgb(im)


def _reduce(im: Image.Image, k: int) -> Image.Image:
    """``im.reduce(k)`` without the full-size premultiplied copy Pillow makes for RGBA/LA (the
    straight average differs only at soft alpha edges, which face detection does not care about)."""
    if im.mode in ("RGBA", "LA") and hasattr(im.im, "reduce"):
        return im._new(im.im.reduce((k, k), (0, 0) + im.size))
    return im.reduce(k)


# Modes Image.reduce accepts (it refuses 1, P and the 16-bit ones).
_REDUCIBLE_MODES = frozenset({"L", "LA", "La", "RGB", "RGBA", "RGBa", "CMYK", "YCbCr", "I", "F",
                              "LAB", "HSV", "PA"})


def _decoded_bytes(im: Image.Image) -> int:
    """Bytes of pixels ``im.load()`` allocates (Pillow stores 3-band modes in 4 bytes per pixel)."""
    per = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2, "LA": 4, "PA": 4,
           "La": 4}.get(im.mode, 4)
    return im.size[0] * im.size[1] * per


def _to_rgb(im: Image.Image) -> Image.Image:
    """Any mode to 8-bit RGB: alpha composited on white, 16/32-bit and float scaled (not clipped)."""
    mode = im.mode
    if mode == "RGB":
        return im
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        a = np.asarray(im)
        if mode == "I" and a.max(initial=0) <= 255:  # 8-bit data in an int container
            a8 = np.clip(a, 0, 255).astype(np.uint8)
        else:
            a8 = (np.clip(a, 0, 65535).astype(np.uint32) >> 8).astype(np.uint8)
        return Image.fromarray(a8, "L").convert("RGB")
    if mode == "F":
        a = np.nan_to_num(np.asarray(im, dtype=np.float32))
        lo, hi = float(a.min(initial=0.0)), float(a.max(initial=0.0))
        if lo >= 0.0 and hi <= 1.0:
            a = a * 255.0
        elif hi > lo:
            a = (a - lo) * (255.0 / (hi - lo))
        return Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8), "L").convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    return im.convert("RGB")  # L, 1, P, CMYK (Adobe-inverted handled by Pillow), YCbCr, LAB, HSV


def _orient(im: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE.get(orientation)
    return im.transpose(method) if method is not None else im


def _fit(im: Image.Image, max_long: int, resample: Image.Resampling) -> Image.Image:
    w, h = im.size
    long_side = max(w, h)
    if long_side <= max_long:
        return im
    f = max_long / long_side
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return im.resize(size, resample, reducing_gap=3.0)


# --------------------------------------------------------------------------------------------
# Public API


def load_for_detection(path: PathLike, min_long_side: int = 640,
                       max_long_side: int | None = None) -> DecodedPhoto:
    """Decode ``path`` for face detection: oriented RGB whose long side is ≥ ``min_long_side``
    (unless the photo is smaller; it is never upscaled) and < 2 × ``min_long_side`` when the
    format allows reducing that far, then capped to ``max_long_side`` if given.

    JPEG: libjpeg decodes at 1/8, 1/4 or 1/2 scale (``draft``), the largest reduction that keeps
    the long side ≥ ``min_long_side``. Other formats are decoded in full, then box-reduced by an
    integer factor. Raises :class:`ImageLoadError`.
    """
    if min_long_side < 1:
        raise ValueError("min_long_side must be ≥ 1")
    if max_long_side is not None and max_long_side < min_long_side:
        raise ValueError("max_long_side must be ≥ min_long_side")
    path = os.fspath(path)
    with _Guard(path) as guard:
        f = guard.open()
        op = _open(f, guard)
        img = _decode_rgb(op, _jpeg_scale(max(op.size), min_long_side), min_long_side)
        if max_long_side is not None:
            img = _fit(img, max_long_side, Image.Resampling.BILINEAR)
        img = _orient(img, op.orientation)
        full = _oriented_size(op.size, op.orientation)
        rgb = np.array(img, dtype=np.uint8)  # writable, C-contiguous copy
        taken_at, source = _capture_date(op, f, path)
    if rgb.ndim != 3 or rgb.shape[2] != 3:  # pragma: no cover - _to_rgb guarantees it
        raise ImageLoadError("corrupt", f"corrupt {op.fmt}: unexpected pixel layout", path)
    dh, dw = rgb.shape[:2]
    scale = (full[0] / dw + full[1] / dh) / 2.0
    return DecodedPhoto(rgb, scale, full, op.fmt, taken_at, source)


def load_full(path: PathLike, max_long_side: int | None = None) -> Image.Image:
    """The oriented RGB photo at full size, or fitted to ``max_long_side`` (high-quality filter;
    JPEGs are drafted to the smallest scale still ≥ that size first). Raises ImageLoadError."""
    path = os.fspath(path)
    with _Guard(path) as guard:
        op = _open(guard.open(), guard)
        s = _jpeg_scale(max(op.size), max_long_side) if max_long_side else 1
        img = _decode_rgb(op, s)
        if max_long_side is not None:
            img = _fit(img, max_long_side, Image.Resampling.LANCZOS)
        img = _orient(img, op.orientation)
    return img  # decoded: no longer needs the (now closed) file


def face_thumbnail(path: PathLike, box: Sequence[float], size: int = 160, margin: float = 0.25,
                   quality: int = 85) -> bytes:
    """A ``size``×``size`` JPEG of the face at ``box`` (x1, y1, x2, y2 in full-size oriented
    pixels) with ``margin`` × the box's long side added on each side, kept inside the photo.

    JPEGs are decoded at the smallest libjpeg scale that still gives the crop ≥ ``size`` pixels.
    Raises :class:`ImageLoadError` (and ValueError for an empty box).
    """
    x1, y1, x2, y2 = (float(v) for v in box)
    if not (x2 > x1 and y2 > y1):
        raise ValueError(f"empty face box {tuple(box)}")
    path = os.fspath(path)
    with _Guard(path) as guard:
        op = _open(guard.open(), guard)
        full_w, full_h = _oriented_size(op.size, op.orientation)
        left, top, side = thumbnail_square((x1, y1, x2, y2), full_w, full_h, margin)
        s = 1  # libjpeg scale: the largest that keeps the crop at ≥ size pixels
        for cand in (8, 4, 2):
            if side / cand >= size:
                s = cand
                break
        img = _decode_rgb(op, s)
        img = _orient(img, op.orientation)
        sx, sy = full_w / img.size[0], full_h / img.size[1]
        crop_box = (left / sx, top / sy, (left + side) / sx, (top + side) / sy)
        thumb = img.resize((size, size), Image.Resampling.LANCZOS, box=crop_box)
        out = io.BytesIO()
        thumb.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def read_capture_date(path: PathLike, image: Image.Image | None = None) -> tuple[str | None, str]:
    """When the photo was taken: ``(iso_local_time, "exif")`` from EXIF DateTimeOriginal, else
    DateTimeDigitized, else DateTime; else an XMP date (embedded or sidecar, ``"xmp"``); else a
    date in the file name (``core.photo_dates``, ``"filename"``); otherwise ``(mtime, "file")``,
    a guess. Placeholder dates such as
    "0000:00:00 00:00:00" are ignored. ``image``, if given, is the already-open Pillow image of
    ``path`` (saves reopening). Raises ImageLoadError only when the file itself is gone/unreadable.
    """
    path = os.fspath(path)
    exif = None
    if image is not None:
        exif = _safe_exif(image)
    else:
        try:
            _setup()
            with open(path, "rb") as f:
                head = f.read(SNIFF_BYTES)
                fmt = sniff_head(head, os.path.splitext(path)[1])
                if fmt in RAW_FORMATS:
                    found = date_from_exifread(exifread_tags(f))
                    if not found:  # RAF, CR3: the preview JPEG carries the EXIF
                        im, _ = _open_raw_preview(f, fmt, path, with_tags=False)
                        found = date_from_exif(_safe_exif(im))
                    if found:
                        return found, "exif"
                elif fmt is not None and _PILLOW_FORMAT.get(fmt) in Image.OPEN:
                    f.seek(0)
                    with Image.open(f, formats=[_PILLOW_FORMAT[fmt]]) as im:
                        exif = _safe_exif(im)
        except Exception as e:  # noqa: BLE001 - any bad file still has an mtime
            if isinstance(e, OSError) and e.errno is not None:
                raise classify(e, path, None, None) from e
            exif = None  # an undecodable image still has an mtime
    found = date_from_exif(exif)
    if found:
        return found, "exif"
    found = date_from_xmp(path, image.info.get("xmp") if image is not None else None)
    if found:
        return found, "xmp"
    named = date_from_filename(path)
    if named:
        return named, "filename"
    return _mtime_date(path), "file"


def _capture_date(op: _Opened, f: BinaryIO, path: str) -> tuple[str | None, str]:
    found = date_from_exif(op.exif)
    if not found and op.fmt in RAW_FORMATS:
        found = date_from_exifread(op.raw_meta)
    if found:
        return found, "exif"
    found = date_from_xmp(path, getattr(op.im, "info", {}).get("xmp"))
    if found:
        return found, "xmp"
    named = date_from_filename(path)
    if named:
        return named, "filename"
    try:
        st = os.fstat(f.fileno())
        return datetime.fromtimestamp(st.st_mtime).isoformat(timespec="seconds"), "file"
    except (OSError, ValueError, OverflowError):
        return None, "file"


def _mtime_date(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError as e:
        raise classify(e, path, None, None) from e
    return datetime.fromtimestamp(st.st_mtime).isoformat(timespec="seconds")
