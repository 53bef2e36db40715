"""Picasa's per-folder ``.picasa.ini``: named face rectangles (read-only; Picasa is discontinued).

Format (as Picasa 3.x writes it; reverse-engineered in F. Buchinger's public ".picasa.ini decoded"
and ExifTool's ``picasa_faces.config``)::

    [Contacts2]
    8e62398ebda8c1a5=Anna Smith;;
    [IMG_0001.JPG]
    faces=rect64(3f845bcb59418507),8e62398ebda8c1a5;rect64(9eb15e89b6b584c1),ffffffffffffffff

``rect64`` is 64 bits in hex (leading zeros dropped): left, top, right, bottom as 16-bit fractions
of the stored image (÷ 65535). The id after the comma names a contact: from ``[Contacts2]`` in any
``.picasa.ini`` of the folder, else from Picasa's ``contacts.xml`` (``<contact id=… name=…/>``) when
the user points Kinfolk at it. ``ffffffffffffffff`` is an unnamed face and is skipped.
A rotation made inside Picasa (``rotate=rotate(N)``, never written to the photo) is not applied.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import defusedxml.ElementTree as SafeET

from kinfolk.core.metadata.regions import Box, Region, clean_box

log = logging.getLogger(__name__)

INI_NAMES = (".picasa.ini", "Picasa.ini", "picasa.ini")
_RECT = re.compile(r"rect64\(([0-9a-fA-F]{1,16})\)\s*,\s*([0-9a-fA-F]+)")
UNNAMED = "ffffffffffffffff"


def parse_ini(text: str) -> dict[str, dict[str, str]]:
    """Sections → keys → values. Lenient (Picasa writes no quoting and duplicate sections)."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif current is not None and "=" in line:
            k, v = line.split("=", 1)
            current[k.strip()] = v.strip()
    return sections


def contacts_from_xml(path: str | os.PathLike[str]) -> dict[str, str]:
    """Contact id → name from Picasa's ``contacts.xml`` (untrusted XML: parsed with defusedxml)."""
    try:
        root = SafeET.parse(os.fspath(path)).getroot()
    except Exception as exc:  # unreadable or hostile: no names from it, never a crash
        log.warning("cannot read Picasa contacts %s: %s", path, exc)
        return {}
    return {c.get("id", "").lower(): (c.get("name") or c.get("display") or "").strip()
            for c in root.iter("contact") if c.get("id")}


def _decode_rect64(hexstr: str) -> Box | None:
    v = int(hexstr.rjust(16, "0"), 16)
    left, top, right, bottom = ((v >> s) & 0xFFFF for s in (48, 32, 16, 0))
    return clean_box(left / 65535, top / 65535, right / 65535, bottom / 65535)


class PicasaFolder:
    """The ``.picasa.ini`` files of one folder, read once."""

    def __init__(self, folder: str | os.PathLike[str], contacts: dict[str, str] | None = None) -> None:
        self.folder = Path(folder)
        self.files: list[str] = []
        self.photos: dict[str, str] = {}  # section (file name) -> faces value
        self.contacts: dict[str, str] = dict(contacts or {})
        for name in INI_NAMES:
            p = self.folder / name
            try:
                text = p.read_text("utf-8", errors="replace")
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                log.warning("cannot read %s: %s", p, exc)
                continue
            if str(p) in self.files:
                continue
            self.files.append(str(p))
            for section, keys in parse_ini(text).items():
                if section in ("Contacts2", "Contacts"):
                    for cid, value in keys.items():
                        name_ = value.split(";", 1)[0].strip()
                        if section == "Contacts" or not name_:
                            continue  # [Contacts] maps to web-album ids, not names
                        self.contacts[cid.lower()] = name_
                elif "faces" in keys:
                    self.photos.setdefault(section, keys["faces"])

    def regions(self, filename: str) -> list[Region]:
        """Named regions of one photo of this folder (by file name, case-insensitive fallback)."""
        faces = self.photos.get(filename)
        if faces is None:
            folded = filename.casefold()
            faces = next((v for k, v in self.photos.items() if k.casefold() == folded), None)
        if not faces:
            return []
        out = []
        src = self.files[0] if self.files else str(self.folder)
        for hexrect, cid in _RECT.findall(faces):
            cid = cid.lower()
            name = self.contacts.get(cid, "")
            if cid == UNNAMED or not name:
                continue
            box = _decode_rect64(hexrect)
            if box:
                out.append(Region(name, box, "picasa", src))
        return out
