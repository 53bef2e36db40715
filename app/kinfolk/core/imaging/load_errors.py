"""Why a photo cannot be read: ``ImageLoadError`` with a stable reason code, and the mapping of any
exception raised while reading a file onto it (truncation probed from the file's own structure)."""

from __future__ import annotations

import errno
import re
import struct
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from kinfolk.core.imaging.raw_preview import jpeg_segments

#: Largest photo we decode, in pixels (w × h of the stored image). Larger headers are refused as
#: ``too_large`` before decoding; Pillow's own bomb guard is set to the same figure.
MAX_PIXELS = 250_000_000

REASONS = frozenset(
    {"missing", "empty", "permission", "not_image", "unsupported", "truncated", "corrupt", "too_large"}
)

# errnos that mean "the file (or the volume it was on) is gone".
_MISSING_ERRNOS = {
    errno.ENOENT, errno.ENOTDIR, errno.ESTALE, errno.ENODEV, errno.ENXIO,
    getattr(errno, "ENOTCONN", -1), getattr(errno, "EHOSTDOWN", -1), getattr(errno, "ENOMEDIUM", -1),
}


class ImageLoadError(Exception):
    """A photo that cannot be read. ``reason`` is a stable code (one of :data:`REASONS`) for the
    database and UI filters; ``str(e)`` is a message for people; ``path`` is the file."""

    def __init__(self, reason: str, message: str, path: str | None = None):
        if reason not in REASONS:
            raise ValueError(f"unknown ImageLoadError reason {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.path = path

    def __reduce__(self) -> tuple[type[ImageLoadError], tuple[str, str, str | None]]:
        # picklable across process pools
        return (ImageLoadError, (self.reason, str(self), self.path))


def classify(e: BaseException, path: str, fmt: str | None, size: int | None,
              f: BinaryIO | None = None) -> ImageLoadError:
    """Map any exception raised while reading ``path`` to an :class:`ImageLoadError`."""
    if isinstance(e, ImageLoadError):
        return e
    name = fmt or "image"
    if isinstance(e, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        m = re.search(r"\((\d+) pixels\)", str(e))
        what = f"{int(m.group(1)) / 1e6:,.0f} megapixels" if m else "too many pixels"
        return ImageLoadError("too_large", f"image too large: {what} (limit "
                              f"{MAX_PIXELS / 1e6:,.0f}); possibly a decompression bomb", path)
    if isinstance(e, MemoryError):
        return ImageLoadError("too_large", f"not enough memory to decode this {name}", path)
    if isinstance(e, PermissionError) or getattr(e, "errno", None) in (errno.EACCES, errno.EPERM):
        return ImageLoadError("permission", f"permission denied: {path}", path)
    if isinstance(e, IsADirectoryError):
        return ImageLoadError("not_image", f"not an image: {path} is a directory", path)
    if isinstance(e, OSError) and e.errno is not None:
        if e.errno in _MISSING_ERRNOS:
            return ImageLoadError("missing", f"file not found: {path}", path)
        return ImageLoadError("corrupt", f"cannot read {path}: {e.strerror or e}", path)
    if isinstance(e, UnidentifiedImageError):
        if fmt is None:
            return ImageLoadError("not_image", "not an image", path)
        if header_truncated(fmt, f, size):
            return truncated(fmt, size, path)
        return ImageLoadError("corrupt", f"corrupt {name}: the header cannot be parsed", path)
    msg = str(e)
    low = msg.lower()
    if "truncated" in low or isinstance(e, EOFError) or header_truncated(fmt, f, size):
        return truncated(fmt, size, path)
    if any(k in low for k in ("not supported", "unsupported", "not available", "unknown compression",
                              "unknown raw mode", "no decoder", "not implemented")):
        return ImageLoadError("unsupported", f"unsupported {name}: {msg}", path)
    return ImageLoadError("corrupt", f"corrupt {name}: {msg or type(e).__name__}", path)


def truncated(fmt: str | None, size: int | None, path: str) -> ImageLoadError:
    where = f"file ends after {size:,} bytes" if size is not None else "file ends early"
    return ImageLoadError("truncated", f"truncated {fmt or 'image'}: {where}", path)


def header_truncated(fmt: str | None, f: BinaryIO | None, size: int | None) -> bool:
    """Whether the file ends inside the structure its header announces (cheap, best effort)."""
    if f is None or size is None or fmt is None:
        return False
    try:
        f.seek(0)
        if fmt == "JPEG":
            head = f.read(min(size, 1 << 20))
            return len(head) >= size and jpeg_segments(head, 0, len(head)) == "eof"
        if fmt == "PNG":
            return size < 33 or _bmff_or_png_overflows(f, size, png=True)
        if fmt == "WEBP":
            head = f.read(12)
            return len(head) < 12 or struct.unpack_from("<I", head, 4)[0] + 8 > size
        if fmt in ("HEIF", "AVIF", "CR3"):
            return _bmff_or_png_overflows(f, size, png=False)
        if fmt in ("GIF", "BMP", "TIFF"):
            return size < 32
    except Exception:  # a best-effort probe must not mask the original error
        return False
    return False


def _bmff_or_png_overflows(f: BinaryIO, size: int, *, png: bool) -> bool:
    """Walk top-level ISO-BMFF boxes (or PNG chunks); True if one runs past the end of the file.

    libheif happily decodes a HEIC whose image data is cut off (missing grid tiles come out grey),
    so this structural check is the only way to see such truncation.
    """
    pos = 8 if png else 0
    for _ in range(10_000):
        if pos == size:
            return False
        f.seek(pos)
        hdr = f.read(16)
        if len(hdr) < 8:
            return True
        if png:
            length: int = struct.unpack_from(">I", hdr, 0)[0]
            end = pos + 12 + length
            if hdr[4:8] == b"IEND":
                return end > size
        else:
            box: int = struct.unpack_from(">I", hdr, 0)[0]
            if box == 1:
                if len(hdr) < 16:
                    return True
                box = struct.unpack_from(">Q", hdr, 8)[0]
            elif box == 0:  # extends to end of file
                return False
            if box < 8:
                return False  # malformed, not our call: let the decoder decide
            end = pos + box
        if end > size:
            return True
        pos = end
    return False
