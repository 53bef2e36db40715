"""Face regions in XMP: read MWG and Microsoft Photo regions; merge Kinfolk's into a packet.

XML library: XMP is untrusted input (any file on the user's disk), so packets are parsed with
``defusedxml.ElementTree`` (the stdlib ElementTree API with DTDs, entity expansion and external
references refused: no billion-laughs or external-entity tricks). Documents are then edited and
serialized with the stdlib ``xml.etree.ElementTree``, never from string templates, so names with
``<``, ``&`` or quotes are escaped correctly. RDF allows the same struct to be written several ways
(attributes, ``rdf:parseType="Resource"``, a nested ``rdf:Description``); the readers below accept
all of them, the writer emits the ``parseType="Resource"`` form ExifTool writes.

Merging keeps every other element of the document as parsed (ratings, keywords, other tools'
regions, unknown namespaces and their prefixes); only regions Kinfolk wrote are removed or added.
Comments and processing instructions inside the packet are not kept (none of the tools writing
sidecars puts meaning in them).
"""

from __future__ import annotations

import io
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Iterable, Sequence

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from kinfolk.core.metadata.regions import Box, Region, clean_box, iou, stored_to_displayed

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
X = "adobe:ns:meta/"
MWG_RS = "http://www.metadataworkinggroup.com/schemas/regions/"
ST_AREA = "http://ns.adobe.com/xmp/sType/Area#"
ST_DIM = "http://ns.adobe.com/xap/1.0/sType/Dimensions#"
MP = "http://ns.microsoft.com/photo/1.2/"
MPRI = "http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
MPREG = "http://ns.microsoft.com/photo/1.2/t/Region#"
PREFIXES = {"x": X, "rdf": RDF, "mwg-rs": MWG_RS, "stArea": ST_AREA, "stDim": ST_DIM, "MP": MP,
            "MPRI": MPRI, "MPReg": MPREG}

_PARSE_TYPE = f"{{{RDF}}}parseType"
_DESC = f"{{{RDF}}}Description"
_LI = f"{{{RDF}}}li"
_CONTAINERS = {f"{{{RDF}}}Bag", f"{{{RDF}}}Seq", f"{{{RDF}}}Alt"}
_ns_lock = threading.Lock()


class XmpError(Exception):
    """A packet that cannot be read (not XML, refused DTD/entities, not RDF)."""


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


# ------------------------------------------------------------------------------------ parsing

def parse(data: bytes | str) -> tuple[ET.Element, dict[str, str]]:
    """The packet's root element and its prefix → namespace map. Raises ``XmpError``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = data.strip(b"\x00 \t\r\n")
    prefixes: dict[str, str] = {}
    try:
        it = SafeET.iterparse(io.BytesIO(data), events=("start-ns",), forbid_dtd=True)
        for _event, (prefix, uri) in it:
            prefixes.setdefault(prefix, uri)
        root = it.root
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise XmpError(f"not a readable XMP packet: {exc}") from exc
    if root is None:
        raise XmpError("not a readable XMP packet: empty")
    return root, prefixes


def _descriptions(root: ET.Element) -> list[ET.Element]:
    """The top-level rdf:Description elements (which hold the properties)."""
    rdf = root if root.tag == _q(RDF, "RDF") else root.find(f".//{{{RDF}}}RDF")
    return [] if rdf is None else [d for d in rdf if d.tag == _DESC]


def _fields(node: ET.Element) -> dict[str, object]:
    """A struct's fields, whichever way RDF wrote it: attributes of the node, children of a
    ``parseType="Resource"`` node, or attributes/children of a nested rdf:Description."""
    out: dict[str, object] = {k: v for k, v in node.attrib.items() if not k.startswith(f"{{{RDF}}}")}
    for child in node:
        if child.tag == _DESC:
            out.update(_fields(child))
        elif not child.tag.startswith(f"{{{RDF}}}"):
            out.setdefault(child.tag, child)
    return out


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, ET.Element):
        for c in value.iter():
            if c.tag in _CONTAINERS:  # a language alternative: its first item
                li = c.find(_LI)
                return (li.text or "").strip() if li is not None else ""
        v = value.get(_q(RDF, "value"))
        return (v if v is not None else (value.text or "")).strip()
    return ""


def _items(value: object) -> list[ET.Element]:
    if not isinstance(value, ET.Element):
        return []
    for c in value.iter():
        if c.tag in _CONTAINERS:
            return [li for li in c if li.tag == _LI]
    return []


def _float(v: object) -> float | None:
    try:
        return float(_text(v))
    except ValueError:
        return None


def _properties(root: ET.Element, tag: str) -> list[ET.Element]:
    return [c for d in _descriptions(root) for c in d if c.tag == tag]


def applied_dimensions(root: ET.Element) -> tuple[int, int] | None:
    for regions in _properties(root, _q(MWG_RS, "Regions")):
        dims = _fields(regions).get(_q(MWG_RS, "AppliedToDimensions"))
        if isinstance(dims, ET.Element):
            f = _fields(dims)
            w, h = _float(f.get(_q(ST_DIM, "w"), "")), _float(f.get(_q(ST_DIM, "h"), ""))
            if w and h and w > 0 and h > 0:
                return int(round(w)), int(round(h))
    return None


def mwg_regions(root: ET.Element, file: str) -> list[Region]:
    """Named MWG regions of type Face (or without a type), normalized areas only."""
    out = []
    for regions in _properties(root, _q(MWG_RS, "Regions")):
        for li in _items(_fields(regions).get(_q(MWG_RS, "RegionList"))):
            f = _fields(li)
            name = _text(f.get(_q(MWG_RS, "Name"), ""))
            rtype = _text(f.get(_q(MWG_RS, "Type"), "Face")) or "Face"
            area = f.get(_q(MWG_RS, "Area"))
            if not name or rtype.lower() != "face" or not isinstance(area, ET.Element):
                continue
            a = _fields(area)
            unit = _text(a.get(_q(ST_AREA, "unit"), "normalized")) or "normalized"
            x, y, w, h = (_float(a.get(_q(ST_AREA, k), "")) for k in "xywh")
            if unit != "normalized" or x is None or y is None or w is None or h is None:
                continue
            box = clean_box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            if box:
                out.append(Region(name, box, "mwg", file))
    return out


def mp_regions(root: ET.Element, file: str) -> list[Region]:
    """Named Microsoft Photo regions (``MPReg:Rectangle`` = "left, top, width, height")."""
    out = []
    for info in _properties(root, _q(MP, "RegionInfo")):
        for li in _items(_fields(info).get(_q(MPRI, "Regions"))):
            found = mp_region_of_li(li)
            if found is None or not found[0]:
                continue
            box = clean_box(*found[1])
            if box:
                out.append(Region(found[0], box, "mp", file))
    return out


def in_displayed_space(dims: tuple[int, int] | None, stored_size: tuple[int, int] | None,
                       orientation: int) -> bool:
    """Whether a packet's regions were written against the displayed image: its
    ``AppliedToDimensions`` (``dims``) is the size of the photo turned by 90°, not its stored size
    (see ``core.metadata.regions``)."""
    return bool(dims and stored_size and orientation in (5, 6, 7, 8)
                and stored_size[0] != stored_size[1] and dims == (stored_size[1], stored_size[0]))


def read_regions(data: bytes | str, file: str, stored_size: tuple[int, int] | None = None,
                 orientation: int = 1) -> list[Region]:
    """Named face regions of a packet: MWG first, then Microsoft regions that add a face MWG does
    not have (digiKam writes both for the same faces). Raises ``XmpError``."""
    root, _ = parse(data)
    mwg = mwg_regions(root, file)
    if mwg and in_displayed_space(applied_dimensions(root), stored_size, orientation):
        for r in mwg:
            r.displayed = True
    out = list(mwg)
    displayed = bool(mwg) and mwg[0].displayed
    for r in mp_regions(root, file):
        r.displayed = displayed  # the same writer wrote both
        if not any(iou(r.box, m.box) >= 0.5 for m in mwg):
            out.append(r)
    return out


# ------------------------------------------------------------------------------------ writing

@dataclass(frozen=True)
class OwnedRegion:
    """A region Kinfolk writes (and later recognizes as its own): name + normalized stored box."""

    name: str
    box: Box

    def matches(self, name: str, box: Sequence[float], tol: float = 2e-3) -> bool:
        return (name.casefold() == self.name.casefold()
                and all(abs(a - b) <= tol for a, b in zip(box, self.box)))

    def to_json(self) -> list[str | float]:
        return [self.name, *[round(v, 6) for v in self.box]]

    @classmethod
    def from_json(cls, v: Sequence[str | float]) -> "OwnedRegion":
        return cls(str(v[0]), (float(v[1]), float(v[2]), float(v[3]), float(v[4])))


def _skeleton() -> ET.Element:
    meta = ET.Element(_q(X, "xmpmeta"))
    rdf = ET.SubElement(meta, _q(RDF, "RDF"))
    ET.SubElement(rdf, _DESC, {_q(RDF, "about"): ""})
    return meta


def _struct_body(prop: ET.Element) -> ET.Element:
    """Where a struct property's field elements live (the node itself or its rdf:Description)."""
    desc = prop.find(_DESC)
    return desc if desc is not None else prop


def _get_or_add_struct(parent: ET.Element, tag: str) -> ET.Element:
    for c in parent:
        if c.tag == tag:
            return _struct_body(c)
    return ET.SubElement(parent, tag, {_PARSE_TYPE: "Resource"})


def _bag(parent_body: ET.Element, tag: str) -> ET.Element:
    """The rdf:Bag of an array field of a struct (created if missing)."""
    for c in parent_body:
        if c.tag == tag:
            for b in c.iter():
                if b.tag in _CONTAINERS:
                    return b
            return ET.SubElement(c, _q(RDF, "Bag"))
    prop = ET.SubElement(parent_body, tag)
    return ET.SubElement(prop, _q(RDF, "Bag"))


def _fmt(v: float) -> str:
    return f"{v:.6f}".rstrip("0").rstrip(".") if v else "0"


def merge(existing: bytes | str | None, remove: Iterable[OwnedRegion], add: Sequence[OwnedRegion],
          stored_size: tuple[int, int], orientation: int = 1) -> tuple[bytes, list[OwnedRegion]]:
    """A packet with the ``remove`` regions taken out (MWG and MP; only those that match exactly,
    i.e. the ones Kinfolk wrote) and ``add`` put in. An ``add`` region that another tool already
    holds (same name, same face) is not duplicated. Returns (packet bytes, regions written).
    Raises ``XmpError`` if ``existing`` cannot be read (the caller then leaves the file alone).

    Boxes are in the stored image's space. If the packet's regions were written against the
    displayed image (see ``core.regions``), Kinfolk's are written the same way, so that one packet
    never mixes the two conventions."""
    remove, stored_add = list(remove), list(add)
    if existing is not None and existing.strip():
        root, prefixes = parse(existing)
    else:
        root, prefixes = _skeleton(), {}
    if in_displayed_space(applied_dimensions(root), stored_size, orientation):
        def conv(o: OwnedRegion) -> OwnedRegion:
            return OwnedRegion(o.name, stored_to_displayed(o.box, orientation))
        remove, add = [conv(o) for o in remove], [conv(o) for o in stored_add]
    else:
        add = stored_add
    descs = _descriptions(root)
    if not descs:
        rdf = root if root.tag == _q(RDF, "RDF") else root.find(f".//{{{RDF}}}RDF")
        if rdf is None:
            raise XmpError("not an XMP packet: no rdf:RDF element")
        descs = [ET.SubElement(rdf, _DESC, {_q(RDF, "about"): ""})]

    # Take out Kinfolk's regions (MWG and MP), wherever they are.
    kept_mwg: list[tuple[str, Box]] = []
    for prop in _properties(root, _q(MWG_RS, "Regions")):
        for bag_li in _items(_fields(prop).get(_q(MWG_RS, "RegionList"))):
            r = mwg_region_of_li(bag_li)
            if r and any(o.matches(r[0], r[1]) for o in remove):
                _drop(root, bag_li)
            elif r:
                kept_mwg.append(r)
    for prop in _properties(root, _q(MP, "RegionInfo")):
        for bag_li in _items(_fields(prop).get(_q(MPRI, "Regions"))):
            r = mp_region_of_li(bag_li)
            if r and any(o.matches(r[0], r[1]) for o in remove):
                _drop(root, bag_li)

    keep_idx = [i for i, o in enumerate(add) if not any(
        n.casefold() == o.name.casefold() and iou(b, o.box) >= 0.5 for n, b in kept_mwg)]
    written = [add[i] for i in keep_idx]
    if written:
        holder = next((d for d in descs if any(c.tag == _q(MWG_RS, "Regions") for c in d)), descs[0])
        regions = _get_or_add_struct(holder, _q(MWG_RS, "Regions"))
        if not any(c.tag == _q(MWG_RS, "AppliedToDimensions") for c in regions):
            dims_el = ET.Element(_q(MWG_RS, "AppliedToDimensions"), {_PARSE_TYPE: "Resource"})
            for k, text in (("w", str(stored_size[0])), ("h", str(stored_size[1])), ("unit", "pixel")):
                ET.SubElement(dims_el, _q(ST_DIM, k)).text = text
            regions.insert(0, dims_el)
        bag = _bag(regions, _q(MWG_RS, "RegionList"))
        mp_holder = next((d for d in descs if any(c.tag == _q(MP, "RegionInfo") for c in d)), holder)
        mp_bag = _bag(_get_or_add_struct(mp_holder, _q(MP, "RegionInfo")), _q(MPRI, "Regions"))
        for o in written:
            x1, y1, x2, y2 = o.box
            li = ET.SubElement(bag, _LI, {_PARSE_TYPE: "Resource"})
            area = ET.SubElement(li, _q(MWG_RS, "Area"), {_PARSE_TYPE: "Resource"})
            for k, v in (("x", (x1 + x2) / 2), ("y", (y1 + y2) / 2), ("w", x2 - x1), ("h", y2 - y1)):
                ET.SubElement(area, _q(ST_AREA, k)).text = _fmt(v)
            ET.SubElement(area, _q(ST_AREA, "unit")).text = "normalized"
            ET.SubElement(li, _q(MWG_RS, "Name")).text = o.name
            ET.SubElement(li, _q(MWG_RS, "Type")).text = "Face"
            mli = ET.SubElement(mp_bag, _LI, {_PARSE_TYPE: "Resource"})
            ET.SubElement(mli, _q(MPREG, "PersonDisplayName")).text = o.name
            ET.SubElement(mli, _q(MPREG, "Rectangle")).text = ", ".join(
                _fmt(v) for v in (x1, y1, x2 - x1, y2 - y1))
    _prune_empty(root)
    return serialize(root, prefixes), [stored_add[i] for i in keep_idx]


def mwg_region_of_li(li: ET.Element) -> tuple[str, Box] | None:
    f = _fields(li)
    area = f.get(_q(MWG_RS, "Area"))
    if not isinstance(area, ET.Element):
        return None
    a = _fields(area)
    x, y, w, h = (_float(a.get(_q(ST_AREA, k), "")) for k in "xywh")
    if x is None or y is None or w is None or h is None:
        return None
    return _text(f.get(_q(MWG_RS, "Name"), "")), (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def mp_region_of_li(li: ET.Element) -> tuple[str, Box] | None:
    f = _fields(li)
    parts = _text(f.get(_q(MPREG, "Rectangle"), "")).split(",")
    try:
        x, y, w, h = (float(p) for p in parts)
    except ValueError:
        return None
    return _text(f.get(_q(MPREG, "PersonDisplayName"), "")), (x, y, x + w, y + h)


def _drop(root: ET.Element, li: ET.Element) -> None:
    for parent in root.iter():
        if li in list(parent):
            parent.remove(li)
            return


def _prune_empty(root: ET.Element) -> None:
    """Remove region structs left with no region (so a sidecar holds no empty husk)."""
    for d in _descriptions(root):
        for prop in list(d):
            if prop.tag == _q(MWG_RS, "Regions"):
                lst = _fields(prop).get(_q(MWG_RS, "RegionList"))
            elif prop.tag == _q(MP, "RegionInfo"):
                lst = _fields(prop).get(_q(MPRI, "Regions"))
            else:
                continue
            if not _items(lst):
                d.remove(prop)


def serialize(root: ET.Element, prefixes: dict[str, str]) -> bytes:
    """The packet as UTF-8 bytes in an ``<?xpacket?>`` wrapper, keeping the file's own prefixes."""
    with _ns_lock:  # ElementTree's prefix registry is process-wide
        for prefix, uri in {**PREFIXES, **prefixes}.items():
            if prefix and not prefix.startswith("ns") and prefix != "xml":
                try:
                    ET.register_namespace(prefix, uri)
                except ValueError:
                    pass
        for prefix, uri in PREFIXES.items():  # ours win if a file reused one of these prefixes
            ET.register_namespace(prefix, uri)
        body = ET.tostring(root, encoding="unicode")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' + body
            + '\n<?xpacket end="w"?>\n').encode("utf-8")


def has_content(root: ET.Element) -> bool:
    """Whether a packet says anything (a property in any rdf:Description)."""
    return any(len(d) or any(not k.startswith(f"{{{RDF}}}") for k in d.attrib)
               for d in _descriptions(root))
