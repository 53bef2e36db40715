"""Every named face region of one photo, from wherever other tools keep them.

Sources, most authoritative first (a later region on the same face, IoU ≥ 0.5, is a duplicate):
1. the sidecar ``photo.jpg.xmp`` (digiKam, darktable),
2. the sidecar ``photo.xmp`` (Lightroom, Capture One; shared by RAW+JPEG pairs),
3. the XMP packet embedded in the photo (JPEG APP1, PNG iTXt, TIFF tag 700, WebP, HEIC),
4. the folder's ``.picasa.ini``.
Sidecars come first because tools that write them treat them as the newer copy of the metadata.
Reading a photo's header decodes no pixels (except PNG, whose EXIF may follow the image data).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from kinfolk.core.imaging import imageio
from kinfolk.core.metadata.picasa_ini import PicasaFolder
from kinfolk.core.metadata.regions import Region, iou
from kinfolk.core.metadata.xmp_regions import XmpError, read_regions

log = logging.getLogger(__name__)

MAX_SIDECAR_BYTES = 16 * 1024 * 1024  # a sidecar is kilobytes; anything this big is not one
MAX_NAME = 200  # characters kept of a name read from a file (untrusted input)


@dataclass
class PhotoHeader:
    stored_size: tuple[int, int]  # before EXIF orientation (HEIC: before the EXIF/irot turn libheif applies)
    orientation: int
    xmp: bytes | None

    @property
    def oriented_size(self) -> tuple[int, int]:
        return imageio._oriented_size(self.stored_size, self.orientation)


def _packet(im: Image.Image) -> bytes | None:
    info = im.info
    for key in ("xmp", "XML:com.adobe.xmp"):
        v = info.get(key)
        if v:
            return v.encode("utf-8") if isinstance(v, str) else bytes(v)
    tags = getattr(im, "tag_v2", None)
    if tags is not None and 700 in tags:
        v = tags[700]
        return v.encode("utf-8") if isinstance(v, str) else bytes(v)
    return None


def read_header(path: str | os.PathLike[str]) -> PhotoHeader:
    """Stored size, EXIF orientation and embedded XMP of a photo. Raises ``imageio.ImageLoadError``.
    (Uses imageio's own opener so sniffing, HEIC and RAW previews behave exactly as in scanning.)"""
    path = os.fspath(path)
    with imageio._Guard(path) as guard:
        op = imageio._open(guard.open(), guard)
        imageio._read_meta(op)
        size, orientation = op.size, op.orientation
        heif = op.im.info.get("original_orientation")  # pillow-heif: pixels already turned by it
        if orientation == 1 and isinstance(heif, int) and 2 <= heif <= 8:
            orientation = heif
            size = imageio._oriented_size(size, heif)
        return PhotoHeader(size, orientation, _packet(op.im))


def sidecar_path(photo: str, naming: str = "ext") -> str:
    """``ext``: ``photo.jpg.xmp`` (digiKam, darktable); ``replace``: ``photo.xmp`` (Lightroom)."""
    if naming == "ext":
        return photo + ".xmp"
    if naming == "replace":
        return os.path.splitext(photo)[0] + ".xmp"
    raise ValueError(f"unknown sidecar naming {naming!r} (ext or replace)")


def existing_sidecars(photo: str) -> list[str]:
    """Sidecars of a photo that exist, in precedence order (either case of the extension)."""
    out: list[str] = []
    for base in (photo, os.path.splitext(photo)[0]):
        for ext in (".xmp", ".XMP"):
            p = base + ext
            if p != photo and os.path.isfile(p) and p not in out:
                out.append(p)
                break
    return out


def read_sidecar(path: str) -> bytes:
    with open(path, "rb") as f:
        data = f.read(MAX_SIDECAR_BYTES + 1)
    if len(data) > MAX_SIDECAR_BYTES:
        raise XmpError("too large to be an XMP sidecar")
    return data


@dataclass
class PhotoRegions:
    regions: list[Region] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, message)


def photo_regions(photo: str, header: PhotoHeader, picasa: PicasaFolder | None = None) -> PhotoRegions:
    """All named regions of ``photo``, de-duplicated across sources (see the module docstring).
    Unreadable metadata is reported in ``errors`` and never stops the others."""
    out = PhotoRegions()
    found: list[Region] = []
    packets: list[tuple[str, bytes]] = []
    for sc in existing_sidecars(photo):
        try:
            packets.append((sc, read_sidecar(sc)))
        except (OSError, XmpError) as exc:
            out.errors.append((sc, f"cannot read the sidecar: {exc}"))
    if header.xmp:
        packets.append((photo, header.xmp))
    for file, data in packets:
        try:
            found += read_regions(data, file, header.stored_size, header.orientation)
        except XmpError as exc:
            out.errors.append((file, str(exc)))
    if picasa is not None:
        found += picasa.regions(Path(photo).name)
    for r in found:
        r.name = " ".join("".join(c for c in r.name if c.isprintable()).split())[:MAX_NAME]
        if not r.name:
            continue
        if not any(iou(r.box, k.box) >= 0.5 and r.displayed == k.displayed for k in out.regions):
            out.regions.append(r)
    return out
