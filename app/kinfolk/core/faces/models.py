"""The model manager: which model packs exist, which are installed, and how to get them.

A *pack* is a detector + recognizer pair described in the manifest, ``kinfolk/models/manifest.json``
(package data: files, published sha256, download URL, input spec, license; no weights). Packs are
looked for, in order, in ``$KINFOLK_MODELS`` (or ``--models``) and the user data dir. Files are
accepted either flat in a search dir or in a sub-folder named after the pack (how the InsightFace
zips unpack).

Integrity: a file is used only if its sha256 matches the manifest; a file whose checksum is not
published (``sha256: null``) is accepted only when it came out of an archive whose checksum matched
(the importer records that in ``<file>.verified``). Network is used only by ``download_pack``, which
the user asks for explicitly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

import platformdirs

from kinfolk.core.package_data import data_path

log = logging.getLogger(__name__)

APP_NAME = "Kinfolk"
MANIFEST = ("models", "manifest.json")  # package data (see core/package_data.py)


class ModelError(Exception):
    """A model pack is missing, damaged or could not be obtained (message is for the user)."""


@dataclass(frozen=True)
class ModelFile:
    role: str  # "detector" | "recognizer"
    file: str
    sha256: str | None
    size: int | None = None
    url: str | None = None
    kind: Literal["scrfd", "yunet"] | None = None  # detector kind
    model_id: str | None = None  # recognizer: the id stored with each embedding
    color: Literal["RGB", "BGR"] = "RGB"
    mean: float = 127.5
    std: float = 127.5
    dim: int = 512


@dataclass(frozen=True)
class PackSpec:
    id: str
    name: str
    rank: int
    license: str
    commercial_use: bool
    detector: ModelFile
    recognizer: ModelFile
    archive_url: str | None = None
    archive_size: int | None = None
    archive_sha256: str | None = None

    @property
    def files(self) -> tuple[ModelFile, ModelFile]:
        return (self.detector, self.recognizer)

    @property
    def download_size(self) -> int | None:
        if self.archive_size:
            return self.archive_size
        sizes = [f.size for f in self.files if f.url]
        return sum(s or 0 for s in sizes) if sizes and all(sizes) else None

    @property
    def downloadable(self) -> bool:
        return bool(self.archive_url) or all(f.url for f in self.files)


@dataclass
class PackStatus:
    spec: PackSpec
    paths: dict[str, Path] = field(default_factory=dict)  # role -> file found
    missing: list[str] = field(default_factory=list)

    @property
    def installed(self) -> bool:
        return not self.missing


def manifest_path() -> Path:
    """The shipped manifest (raises ``ModelError`` when the install lacks it)."""
    try:
        return data_path(*MANIFEST)
    except FileNotFoundError as exc:
        raise ModelError(str(exc)) from exc


def load_manifest(path: Path | None = None) -> dict[str, PackSpec]:
    """Packs from the manifest (the shipped one unless ``path`` is given), by id."""
    path = path or manifest_path()
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"the model manifest is missing: {path}") from exc
    packs = {}
    for pack_id, p in data["packs"].items():
        arch = p.get("archive") or {}
        packs[pack_id] = PackSpec(
            id=pack_id, name=p["name"], rank=int(p["rank"]), license=p["license"],
            commercial_use=bool(p.get("commercial_use")),
            detector=ModelFile(role="detector", **p["detector"]),
            recognizer=ModelFile(role="recognizer", **p["recognizer"]),
            archive_url=arch.get("url"), archive_size=arch.get("size"), archive_sha256=arch.get("sha256"),
        )
    return packs


def user_models_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "models"


def search_dirs(override: str | os.PathLike[str] | None = None) -> list[Path]:
    """Where packs are looked for, in priority order (override or $KINFOLK_MODELS first)."""
    first = override or os.environ.get("KINFOLK_MODELS")
    dirs = [Path(first).expanduser().resolve()] if first else []
    dirs.append(user_models_dir())
    return list(dict.fromkeys(dirs))


_verified: dict[tuple[str, int, int], str] = {}
_verified_lock = threading.Lock()


def sha256_of(path: Path) -> str:
    """sha256 of a file, memoised per (path, size, mtime) for this process."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _verified_lock:
        if key in _verified:
            return _verified[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with _verified_lock:
        _verified[key] = digest
    return digest


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _file_ok(path: Path, mf: ModelFile) -> bool:
    if mf.size and path.stat().st_size != mf.size:
        return False
    if mf.sha256:
        return sha256_of(path) == mf.sha256
    # No published checksum: trust it only if it came from a verified archive (stamp written on import).
    stamp = _stamp_path(path)
    return stamp.exists() and stamp.read_text().strip() == sha256_of(path)


def _candidates(d: Path, spec: PackSpec, mf: ModelFile) -> list[Path]:
    return [d / mf.file, d / spec.id / mf.file]


def locate(spec: PackSpec, dirs: list[Path], verify: bool = False) -> PackStatus:
    """Find a pack's files. With ``verify`` the checksums are checked (slow for big files)."""
    status = PackStatus(spec)
    for mf in spec.files:
        found = None
        for d in dirs:
            for cand in _candidates(d, spec, mf):
                if cand.is_file() and (not verify or _file_ok(cand, mf)):
                    found = cand
                    break
            if found:
                break
        if found:
            status.paths[mf.role] = found
        else:
            status.missing.append(mf.file)
    return status


def list_packs(models_dir: str | os.PathLike[str] | None = None, verify: bool = False) -> list[PackStatus]:
    """Every manifest pack with its install status, best (highest rank) first."""
    dirs = search_dirs(models_dir)
    specs = sorted(load_manifest().values(), key=lambda s: -s.rank)
    return [locate(s, dirs, verify) for s in specs]


def best_installed(models_dir: str | os.PathLike[str] | None = None) -> PackStatus | None:
    """The highest-ranked pack whose files are present and verified."""
    for st in list_packs(models_dir):
        if st.installed and locate(st.spec, search_dirs(models_dir), verify=True).installed:
            return st
    return None


# ------------------------------------------------------------------------------ import / download

def _known_files(packs: dict[str, PackSpec]) -> dict[str, ModelFile]:
    """Published sha256 → model file, across all packs."""
    return {f.sha256: f for p in packs.values() for f in p.files if f.sha256}


def import_file(src: str | os.PathLike[str], dest: Path | None = None) -> list[str]:
    """Import a model file (.onnx) or archive (.zip) the user already has. Returns the files installed.

    A file is accepted when its sha256 is a published one; an archive when its own sha256 is published
    (all its model files are then trusted) or for each member whose sha256 is published.
    """
    src = Path(src)
    dest = dest or user_models_dir()
    dest.mkdir(parents=True, exist_ok=True)
    packs = load_manifest()
    known = _known_files(packs)
    if not src.is_file():
        raise ModelError(f"no such file: {src}")
    digest = sha256_of(src)
    if zipfile.is_zipfile(src):
        trusted_pack = next((p for p in packs.values() if p.archive_sha256 == digest), None)
        wanted = {f.file: f for p in packs.values() for f in p.files}
        installed = []
        with zipfile.ZipFile(src) as zf:
            for info in zf.infolist():
                name = Path(info.filename).name
                if name not in wanted or info.is_dir():
                    continue
                mf = wanted[name]
                # Files with a published checksum go flat (packs share them, e.g. det_500m.onnx);
                # the others into the pack's folder, each stamped with the checksum we saw.
                target = dest / ("" if mf.sha256 else trusted_pack.id if trusted_pack else "") / name
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(target.name + ".part")
                with zf.open(info) as fin, open(tmp, "wb") as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
                got = sha256_of(tmp)
                if mf.sha256 and got != mf.sha256:
                    tmp.unlink()
                    raise ModelError(f"{name} in {src.name} does not match its published checksum")
                if not mf.sha256 and not trusted_pack:
                    tmp.unlink()
                    continue  # unverifiable member of an unknown archive: refuse it silently
                os.replace(tmp, target)
                if not mf.sha256:
                    _stamp_path(target).write_text(got)
                installed.append(str(target))
        if not installed:
            raise ModelError(f"{src.name} holds no model file Kinfolk can verify")
        return installed
    match = known.get(digest)
    if match is None:
        raise ModelError(
            f"{src.name} is not a model Kinfolk knows (its sha256 matches no published checksum)")
    target = dest / match.file
    shutil.copyfile(src, target.with_name(target.name + ".part"))
    os.replace(target.with_name(target.name + ".part"), target)
    return [str(target)]


ProgressFn = Callable[[int, int | None], None]


def _download(url: str, target: Path, expected_sha: str | None, progress: ProgressFn | None,
              cancel: Callable[[], bool] | None = None) -> None:
    tmp = target.with_name(target.name + ".part")
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=30) as resp, open(tmp, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            done = 0
            while chunk := resp.read(1 << 16):
                if cancel and cancel():
                    raise ModelError("download cancelled")
                out.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, ModelError):
            raise
        raise ModelError(
            f"could not download {target.name} ({getattr(exc, 'reason', exc)}). If this computer "
            f"is offline, download {url} on one that is online, then import the file: "
            "“Import a model file…” in the app, or 'kinfolk models import FILE'") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if expected_sha and h.hexdigest() != expected_sha:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"{target.name}: downloaded data does not match the published sha256")
    os.replace(tmp, target)


def download_pack(pack_id: str, dest: Path | None = None, progress: ProgressFn | None = None,
                  cancel: Callable[[], bool] | None = None) -> list[str]:
    """Download a pack from its official URL with sha256 verification (the only network use)."""
    packs = load_manifest()
    if pack_id not in packs:
        raise ModelError(f"unknown model pack {pack_id!r}; known: {', '.join(packs)}")
    spec = packs[pack_id]
    if not spec.downloadable:
        raise ModelError(f"{pack_id} has no official download; import its files with "
                         "'kinfolk models import FILE'")
    dest = dest or user_models_dir()
    dest.mkdir(parents=True, exist_ok=True)
    if spec.archive_url:
        with tempfile.TemporaryDirectory(dir=dest) as tmpdir:
            archive = Path(tmpdir) / f"{pack_id}.zip"
            _download(spec.archive_url, archive, spec.archive_sha256, progress, cancel)
            return import_file(archive, dest)
    out = []
    for mf in spec.files:
        target = dest / mf.file
        assert mf.url, "downloadable without an archive: every file has a url"
        _download(mf.url, target, mf.sha256, progress, cancel)
        out.append(str(target))
    return out
