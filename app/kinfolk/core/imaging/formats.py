"""Which image format a file is, by content (magic bytes), never by extension — except that TIFF-based
camera RAW files (NEF, ARW, DNG, ...) are TIFF by content and recognised by extension."""

from __future__ import annotations

import os
import struct
from typing import Union

from kinfolk.core.imaging.load_errors import classify

PathLike = Union[str, "os.PathLike[str]"]

#: Bytes read to sniff a format (enough for an ISO-BMFF ``ftyp`` box with its compatible brands).
SNIFF_BYTES = 64

#: Camera RAW formats; all are decoded through their largest embedded JPEG preview.
RAW_FORMATS = frozenset(
    {"CR2", "CR3", "CRW", "NEF", "NRW", "ARW", "SR2", "SRF", "DNG", "ORF", "RW2", "RWL", "RAF", "PEF",
     "SRW", "3FR", "ERF", "KDC", "DCR", "MEF", "MOS", "IIQ", "RAW"}
)

# TIFF-magic files with these extensions are RAWs (CR2, ORF and RW2 also have magic of their own).
_TIFF_RAW_EXTENSIONS = {
    ".cr2": "CR2", ".nef": "NEF", ".nrw": "NRW", ".arw": "ARW", ".sr2": "SR2", ".srf": "SRF",
    ".dng": "DNG", ".orf": "ORF", ".rw2": "RW2", ".rwl": "RWL", ".pef": "PEF", ".srw": "SRW",
    ".3fr": "3FR", ".erf": "ERF", ".kdc": "KDC", ".dcr": "DCR", ".mef": "MEF", ".mos": "MOS",
    ".iiq": "IIQ", ".raw": "RAW",
}

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_GENERIC_BRANDS = {b"mif1", b"msf1"}


def sniff_format(path_or_bytes_head: PathLike | bytes) -> str | None:
    """The image format of a file or of its first bytes, by content; ``None`` if not an image.

    Names: JPEG, PNG, WEBP, GIF, BMP, TIFF, HEIF, AVIF, JXL, or a RAW name (:data:`RAW_FORMATS`).
    From bytes alone a TIFF-based RAW without magic of its own (NEF, ARW, DNG, ...) is "TIFF";
    from a path its extension tells. Raises :class:`ImageLoadError` when a path cannot be read.
    """
    if isinstance(path_or_bytes_head, (bytes, bytearray, memoryview)):
        return sniff_head(bytes(path_or_bytes_head[:SNIFF_BYTES]), "")
    path = os.fspath(path_or_bytes_head)
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except Exception as e:
        raise classify(e, path, None, None) from e
    return sniff_head(head, os.path.splitext(path)[1])


def sniff_head(head: bytes, ext: str) -> str | None:
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM" and len(head) >= 18:
        if struct.unpack_from("<I", head, 14)[0] in (12, 16, 40, 52, 56, 64, 108, 124):
            return "BMP"
    if head[:16] == b"FUJIFILMCCD-RAW ":
        return "RAF"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        if head[8:10] == b"CR":
            return "CR2"
        return _TIFF_RAW_EXTENSIONS.get(ext.lower(), "TIFF")
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "ORF"
    if head[:4] == b"IIU\x00":
        return "RW2"
    if head[4:8] == b"ftyp" and len(head) >= 12:
        box_size = struct.unpack_from(">I", head, 0)[0]
        major = head[8:12]
        compatible = {head[i:i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
        if major == b"crx ":
            return "CR3"
        if major in _AVIF_BRANDS:
            return "AVIF"
        if major in _HEIF_BRANDS - _GENERIC_BRANDS:
            return "HEIF"
        # Generic image brands (mif1/msf1) say "HEIF container"; the codec brand tells which.
        if compatible & _AVIF_BRANDS:
            return "AVIF"
        if compatible & _HEIF_BRANDS or major in _GENERIC_BRANDS:
            return "HEIF"
        return None  # MP4/MOV video and other ISO-BMFF files
    if head[:2] == b"\xff\x0a" or head[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n":
        return "JXL"
    return None
