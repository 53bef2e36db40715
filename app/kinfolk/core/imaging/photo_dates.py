"""When a photo was taken, from what the file can tell, and how much to trust it.

Sources, best first: the camera's EXIF date (parsed here, read by ``imageio.read_capture_date``),
then an XMP date (embedded in the file, or in a sidecar ``photo.jpg.xmp`` / ``photo.xmp`` as digiKam, darktable and
Lightroom write them: ``exif:DateTimeOriginal``, ``photoshop:DateCreated``, ``xmp:CreateDate``),
then a date in the file name as phones and messengers write them (``IMG_20190712_143005.jpg``, ``PXL_20210101_…``,
``IMG-20190712-WA0003.jpg``, ``2019-07-12 14.30.05.jpg``, ``Screenshot_2019-07-12-14-30-05.png``),
and last the file's modification time. The last one is usually when the photo was copied, not when
it was taken: it is a *guess*, shown as such and sorted with the undated photos, never as a date.
"""

from __future__ import annotations

import os
import re
from datetime import datetime

from PIL import Image

from kinfolk.core.imaging.raw_preview import ExifreadTags

_NAME_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])"
    r"(?:[-_ T.]?([01]\d|2[0-3])[-_.]?([0-5]\d)[-_.]?([0-5]\d)\d{0,3})?(?!\d)")  # (milliseconds)

SOURCES_TRUSTED = ("exif", "xmp", "filename")

# EXIF tags holding dates (the DateTime* of the Exif sub-IFD are the camera's; DateTime is the file's).
TAG_DATETIME = 0x0132
TAG_EXIF_IFD = 0x8769
TAG_DATETIME_ORIGINAL = 0x9003
TAG_DATETIME_DIGITIZED = 0x9004
_XMP_KEYS = ("exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate")
_XMP_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?)?")


def _datetime(y: str, mo: str, d: str, hh: str | None, mm: str | None, ss: str | None) -> datetime | None:
    """The date and time of a regex match's digit groups (missing time parts: 0); None if invalid."""
    try:
        return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None


def date_from_xmp_text(text: str | bytes | None) -> str | None:
    """The capture date in an XMP packet (attribute or element form), best key first."""
    if not text:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for key in _XMP_KEYS:
        m = re.search(re.escape(key) + r"""\s*=\s*["']([^"']+)["']""", text) or \
            re.search("<" + re.escape(key) + r">\s*([^<]+?)\s*</", text)
        if not m:
            continue
        d = _XMP_DATE.match(m.group(1).strip())
        if not d:
            continue
        dt = _datetime(*d.groups())
        if dt is not None and dt.year >= 1800:
            return dt.isoformat(timespec="seconds")
    return None


def date_from_xmp(path: str | os.PathLike[str], embedded: str | bytes | None = None) -> str | None:
    """The XMP capture date of a photo: its embedded packet, else a sidecar next to it."""
    found = date_from_xmp_text(embedded)
    if found:
        return found
    path = os.fspath(path)
    for sidecar in (path + ".xmp", os.path.splitext(path)[0] + ".xmp"):
        try:
            with open(sidecar, "rb") as f:
                found = date_from_xmp_text(f.read(1 << 20))
        except OSError:
            continue
        if found:
            return found
    return None


def date_from_filename(path: str | os.PathLike[str]) -> str | None:
    """An ISO date/time found in the file name (no folder), or None. Years 1900-2099; a time is
    kept when it directly follows the date."""
    name = os.path.basename(os.fspath(path))
    for m in _NAME_DATE.finditer(name):
        dt = _datetime(*m.groups())
        if dt is not None:
            return dt.isoformat(timespec="seconds")
    return None


def shown_date(taken_at: str | None, source: str | None, path: str) -> tuple[str | None, bool]:
    """(the date to show, is it only a guess). A file-time date is replaced by a date in the file
    name when there is one (libraries scanned before file names were read), else flagged a guess."""
    if taken_at and source in SOURCES_TRUSTED:
        return taken_at, False
    named = date_from_filename(path)
    if named:
        return named, False
    return taken_at, True


def date_from_exif(exif: Image.Exif | None) -> str | None:
    """The camera's date in Pillow's EXIF: DateTimeOriginal, else DateTimeDigitized, else DateTime."""
    if not exif:
        return None
    try:
        sub = exif.get_ifd(TAG_EXIF_IFD)
    except Exception:  # broken sub-IFD pointer
        sub = {}
    for value in (sub.get(TAG_DATETIME_ORIGINAL), sub.get(TAG_DATETIME_DIGITIZED),
                  exif.get(TAG_DATETIME)):
        parsed = parse_exif_datetime(value)
        if parsed:
            return parsed
    return None


def date_from_exifread(tags: ExifreadTags | None) -> str | None:
    """The same from exifread's tags (TIFF-based RAW containers)."""
    if not tags:
        return None
    for key in ("EXIF DateTimeOriginal", "EXIF DateTimeDigitized", "Image DateTime"):
        tag = tags.get(key)
        parsed = parse_exif_datetime(getattr(tag, "values", None) if tag is not None else None)
        if parsed:
            return parsed
    return None


def parse_exif_datetime(value: object) -> str | None:
    """"YYYY:MM:DD HH:MM:SS" (also with '-' or '/', fractional seconds, trailing NULs, or a tz
    suffix, which is dropped) → "YYYY-MM-DDTHH:MM:SS"; None for placeholders and invalid dates."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    text = value.strip().strip("\x00").strip()
    if len(text) < 19:
        return None
    date_part, time_part = text[:10], text[11:19]
    date_part = date_part.replace("-", ":").replace("/", ":")
    try:
        dt = datetime.strptime(f"{date_part} {time_part}", "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if dt.year < 1800:
        return None
    return dt.isoformat(timespec="seconds")
