"""Camera RAW files without a RAW library: the largest embedded JPEG preview and the container's
EXIF tags.

Scanning the file for JPEG streams works for every RAW flavour (TIFF-based, RAF, CR3); lossless-JPEG
sensor data (SOF3, 12-14 bit) is skipped by the header parser, so what is found is a preview Pillow
can decode, usually at the full sensor size.
"""

from __future__ import annotations

import logging
import mmap
from typing import Any, BinaryIO, Literal

log = logging.getLogger(__name__)

_SOF_DECODABLE = {0xC0, 0xC1, 0xC2, 0xC9, 0xCA}  # baseline/extended/progressive, Huffman/arith.
_SOF_ALL = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}

#: A file's contents: read into memory or mapped.
Buffer = bytes | mmap.mmap
#: exifread's tags: name → ``IfdTag`` (its values in ``.values``), as ``exifread.process_file`` types them.
ExifreadTags = dict[str, Any]


def jpeg_segments(buf: Buffer, start: int, end: int) -> tuple[int, int, int] | Literal["eof"] | None:
    """Parse a JPEG header at ``buf[start:]`` up to its first SOS.

    Returns ``(width, height, sos_offset)`` for an 8-bit 1- or 3-component JPEG Pillow can
    decode, ``"eof"`` if the buffer ends inside the header, or None if it is not such a JPEG.
    """
    p = start + 2
    dims = None
    for _ in range(2000):
        if p + 4 > end:
            return "eof"
        if buf[p] != 0xFF:
            return None
        marker = buf[p + 1]
        if marker == 0xFF:  # fill byte
            p += 1
            continue
        if marker == 0xDA:
            return (dims[0], dims[1], p) if dims else None
        if marker in (0xD8, 0xD9) or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            return None
        seg = (buf[p + 2] << 8) | buf[p + 3]
        if seg < 2:
            return None
        if marker in _SOF_ALL:
            if p + 10 > end:
                return "eof"
            precision = buf[p + 4]
            h = (buf[p + 5] << 8) | buf[p + 6]
            w = (buf[p + 7] << 8) | buf[p + 8]
            comps = buf[p + 9]
            if marker not in _SOF_DECODABLE or precision != 8 or comps not in (1, 3) or not w or not h:
                return None
            dims = (w, h)
        p += 2 + seg
    return None


def largest_jpeg(buf: Buffer) -> tuple[int, int, int, int] | None:
    """(start, end, w, h) of the largest decodable JPEG stream embedded in ``buf``."""
    best = None
    n = len(buf)
    pos = buf.find(b"\xff\xd8\xff")
    while pos != -1:
        parsed = jpeg_segments(buf, pos, n)
        nxt = pos + 1
        if isinstance(parsed, tuple):
            w, h, sos = parsed
            eoi = buf.find(b"\xff\xd9", sos)
            if eoi != -1:
                if best is None or w * h > best[2] * best[3]:
                    best = (pos, eoi + 2, w, h)
                nxt = eoi + 2  # thumbnails nested inside this JPEG's APP1 are smaller anyway
        pos = buf.find(b"\xff\xd8\xff", nxt)
    return best


def exifread_tags(f: BinaryIO) -> ExifreadTags | None:
    """EXIF tags via exifread (for TIFF-based RAWs, whose metadata Pillow cannot reach)."""
    try:
        import exifread

        f.seek(0)
        tags = exifread.process_file(f, details=False, extract_thumbnail=False)
        return tags or None
    except Exception as e:  # metadata is optional: never fail a photo on it
        log.debug("exifread failed: %s", e)
        return None


def raw_orientation(tags: ExifreadTags | None) -> int:
    """The container's EXIF Orientation (1-8; 1 when absent or unreadable)."""
    tag = (tags or {}).get("Image Orientation")
    if tag is None:
        return 1
    try:
        value = int(tag.values[0])
    except (AttributeError, IndexError, TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1
