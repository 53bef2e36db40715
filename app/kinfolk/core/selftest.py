"""``kinfolk --self-test``: prove an install (above all a frozen one) is whole, in a few seconds.

Each check exercises the real code path a scan uses, on package data only (no photo of anyone, no
network, nothing written outside a temporary folder):

``decode``      Pillow decodes the bundled drawn face (PNG) and a HEIC made from it (pillow-heif's
                libheif is bundled), through ``core.imageio`` as a scan does.
``dlib``        dlib's HOG detector finds the drawn face, the 5-point predictor aligns it and the
                ResNet recognizer embeds it (128-d, unit norm): the fallback works with no pack.
``onnx``        ONNX Runtime loads the best pack found (``--models DIR`` / ``$KINFOLK_MODELS`` / the
                user data dir), runs its detector on the image and its recognizer on the face dlib
                found. With no pack installed it says so and passes (Kinfolk then runs on dlib) —
                unless a models folder was given explicitly and holds none: then it fails.
``clustering``  ``cluster_embeddings`` separates three synthetic groups of embeddings.
``sqlite``      a new library opens with WAL, synchronous=NORMAL, foreign_keys and secure_delete,
                migrated to the latest schema.
The GUI adds ``qt`` (the main window offscreen, see ``gui/selftest.py``); this module never imports Qt.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from kinfolk.core.package_data import data_path

if TYPE_CHECKING:
    from kinfolk.core.faces.backend import Detection, ImageArray

TEST_IMAGE = ("resources", "selftest", "drawn-face.png")


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str  # one line for people: what was proven, or what failed
    seconds: float


class CheckFailed(Exception):
    """A self-test check found the install broken (message says what is wrong)."""


@dataclass
class Context:
    """What the checks share: a scratch folder and what earlier checks produced."""

    workdir: Path
    models_dir: str | None
    explicit_models: bool
    rgb: ImageArray | None = None
    face: Detection | None = None  # the dlib Detection of the drawn face


Check = Callable[[Context], str]


def check_decode(ctx: Context) -> str:
    from PIL import Image

    from kinfolk.core.imaging.imageio import load_for_detection

    png = data_path(*TEST_IMAGE)
    photo = load_for_detection(png)  # 160 px: never upscaled
    ctx.rgb = photo.rgb
    heic = ctx.workdir / "drawn-face.heic"
    import pillow_heif

    pillow_heif.from_pillow(Image.fromarray(photo.rgb)).save(heic, quality=90)
    h = load_for_detection(heic)
    if h.format != "HEIF" or h.rgb.shape != photo.rgb.shape:
        raise CheckFailed(f"HEIC decoded as {h.format} {h.rgb.shape}, expected HEIF {photo.rgb.shape}")
    return f"PNG and HEIC decoded ({photo.rgb.shape[1]}×{photo.rgb.shape[0]}, libheif {pillow_heif.libheif_version()})"


def check_dlib(ctx: Context) -> str:
    from kinfolk.core.faces.dlib_backend import DlibBackend

    if ctx.rgb is None:
        raise CheckFailed("no test image (the decode check failed)")
    backend = DlibBackend()
    faces = backend.detect(ctx.rgb)
    if not faces:
        raise CheckFailed("dlib found no face in the self-test image")
    ctx.face = faces[0]
    emb = backend.embed([backend.crop(ctx.rgb, faces[0])])
    if emb.shape != (1, 128) or not np.isfinite(emb).all() or abs(np.linalg.norm(emb) - 1) > 1e-3:
        raise CheckFailed(f"dlib embedding is malformed: shape {emb.shape}")
    return f"face found (score {faces[0].score:.2f}) and embedded (128-d)"


def check_onnx(ctx: Context) -> str:
    import onnxruntime as ort

    from kinfolk.core.faces.backend_choice import make_backend
    from kinfolk.core.faces.models import best_installed, search_dirs

    where = ", ".join(str(d) for d in search_dirs(ctx.models_dir))
    st = best_installed(ctx.models_dir)
    if st is None:
        if ctx.explicit_models:
            raise CheckFailed(f"no verified model pack in {ctx.models_dir} (looked in {where})")
        return (f"ONNX Runtime {ort.__version__} imported; no model pack is installed, so Kinfolk "
                "uses dlib ('kinfolk models' lists the packs)")
    if ctx.rgb is None:
        raise CheckFailed("no test image (the decode check failed)")
    backend = make_backend("onnx", pack=st.spec.id, models_dir=ctx.models_dir)
    found = backend.detect(ctx.rgb)  # a drawing may or may not look like a face to this detector
    face = found[0] if found else ctx.face
    if face is None:
        raise CheckFailed("no face to embed (the dlib check failed)")
    emb = backend.embed([backend.crop(ctx.rgb, face)])
    if emb.shape != (1, backend.embedding_dim) or not np.isfinite(emb).all():
        raise CheckFailed(f"{st.spec.id}: embedding is malformed: shape {emb.shape}")
    return (f"ONNX Runtime {ort.__version__} ran {st.spec.id} on {', '.join(backend.providers)} "
            f"({len(found)} face(s) detected, {backend.embedding_dim}-d embedding)")


def check_clustering(ctx: Context) -> str:
    from kinfolk.core.clustering.agglomeration import cluster_embeddings

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 128))
    emb = np.repeat(centres, 8, axis=0) + 0.15 * rng.normal(size=(24, 128))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    labels = np.asarray(cluster_embeddings(emb.astype(np.float32)))
    truth = np.repeat(np.arange(3), 8)
    groups = {tuple(sorted(set(labels[truth == t]))) for t in range(3)}
    if len(groups) != 3 or any(len(g) != 1 or g[0] < 0 for g in groups):
        raise CheckFailed(f"3 synthetic groups clustered as {labels.tolist()}")
    return "3 synthetic groups of 8 faces found"


def check_sqlite(ctx: Context) -> str:
    import sqlite3

    from kinfolk.db.connection import connect, pragmas
    from kinfolk.db.migrations import LATEST

    conn = connect(ctx.workdir / "selftest.sqlite")
    try:
        got = pragmas(conn, ("journal_mode", "synchronous", "foreign_keys", "secure_delete",
                             "user_version"))
    finally:
        conn.close()
    want = {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "secure_delete": 1,
            "user_version": LATEST}
    if got != want:
        raise CheckFailed(f"library pragmas {got}, expected {want}")
    return f"SQLite {sqlite3.sqlite_version}: WAL, synchronous=NORMAL, foreign keys, secure delete, schema {LATEST}"


CHECKS: dict[str, Check] = {"decode": check_decode, "dlib": check_dlib, "onnx": check_onnx,
                            "clustering": check_clustering, "sqlite": check_sqlite}


def run_checks(checks: dict[str, Check], models_dir: str | os.PathLike[str] | None = None,
               report: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run ``checks`` in order (each gets the shared :class:`Context`); never raises for a failed
    check: its exception becomes a failed :class:`CheckResult`. ``report`` sees each as it ends."""
    explicit = models_dir is not None
    models = os.fspath(models_dir) if models_dir is not None else os.environ.get("KINFOLK_MODELS")
    results = []
    with tempfile.TemporaryDirectory(prefix="kinfolk-selftest-") as tmp:
        ctx = Context(Path(tmp), models, explicit)
        for name, check in checks.items():
            t0 = time.perf_counter()
            try:
                res = CheckResult(name, True, check(ctx), 0.0)
            except Exception as exc:  # every failure is reported, the others still run
                res = CheckResult(name, False, f"{type(exc).__name__}: {exc}", 0.0)
            res.seconds = time.perf_counter() - t0
            results.append(res)
            if report:
                report(res)
    return results
