"""Building the recognition backend the user asked for: ``auto`` = best installed ONNX pack, else dlib."""

from __future__ import annotations

import os

from kinfolk.core.faces.backend import FaceBackend
from kinfolk.core.faces.models import (ModelError, PackStatus, best_installed, load_manifest, locate,
    search_dirs)

BACKENDS = ("auto", "onnx", "dlib")


def resolve_pack(backend: str = "auto", pack: str | None = None,
                 models_dir: str | os.PathLike[str] | None = None) -> PackStatus | None:
    """The ONNX pack to use (verified), or None for dlib. Raises ``ModelError`` with advice."""
    if backend not in BACKENDS:
        raise ModelError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "dlib":
        return None
    if pack:
        specs = load_manifest()
        if pack not in specs:
            raise ModelError(f"unknown model pack {pack!r}; known: {', '.join(specs)}")
        st = locate(specs[pack], search_dirs(models_dir), verify=True)
        if not st.installed:
            raise ModelError(f"model pack {pack} is not installed (missing or damaged: "
                             f"{', '.join(st.missing)}); run 'kinfolk models download {pack}' "
                             "or 'kinfolk models import FILE'")
        return st
    best = best_installed(models_dir)
    if best is None and backend == "onnx":
        raise ModelError("no ONNX model pack is installed; run 'kinfolk models' to see the options")
    return best


def make_backend(backend: str = "auto", pack: str | None = None,
                 models_dir: str | os.PathLike[str] | None = None, providers: str | None = None,
                 threads: int | None = None) -> FaceBackend:
    """Construct the backend (loads model weights: call off the GUI thread)."""
    st = resolve_pack(backend, pack, models_dir)
    if st is None:
        from kinfolk.core.faces.dlib_backend import DlibBackend

        return DlibBackend()
    from kinfolk.core.faces.onnx_backend import OnnxBackend, RecognizerSpec

    spec = st.spec
    rec = spec.recognizer
    if rec.model_id is None:
        raise ModelError(f"model pack {spec.id}: the manifest names no model_id for its recognizer")
    return OnnxBackend(
        pack_id=spec.id,
        detector_path=st.paths["detector"],
        recognizer_path=st.paths["recognizer"],
        recognizer=RecognizerSpec(model_id=rec.model_id, color=rec.color, mean=rec.mean,
                                  std=rec.std, dim=rec.dim),
        detector_kind=spec.detector.kind or "scrfd",
        providers_override=providers,
        threads=threads,
    )
