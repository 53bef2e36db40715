"""What face models and hardware a scan will use, described for people (welcome and settings dialogs).

``describe_setup`` checks pack files' checksums and imports onnxruntime, so call it in a background
task. It never raises for a setup problem: the problem is returned as ``SetupInfo.problem`` and the
description falls back to what ``make_backend`` would do (dlib when no ONNX pack can be used).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from kinfolk.core.faces.backend_choice import resolve_pack
from kinfolk.core.faces.models import ModelError, PackSpec, list_packs
from kinfolk.gui.preferences import MachineSettings

PROVIDER_NAMES = {
    "CUDAExecutionProvider": "NVIDIA GPU (CUDA)",
    "DmlExecutionProvider": "GPU (DirectML)",
    "CoreMLExecutionProvider": "Apple GPU / Neural Engine (CoreML)",
    "CPUExecutionProvider": "CPU",
    "dlib": "CPU (dlib)",
}

DLIB_NAME = "dlib (HOG detector + ResNet recognizer)"
DLIB_LICENSE = "Boost Software License (dlib); models CC0 / public domain (face_recognition_models)"


@dataclass
class SetupInfo:
    pack_id: str  # "dlib" when no ONNX pack is used
    pack_name: str
    model_id: str | None  # the recognizer id stored with embeddings (None if unknown yet)
    license: str
    commercial_use: bool
    provider: str  # what will run the models, for people (e.g. "CPU")
    available_providers: list[str] = field(default_factory=list)  # onnxruntime's list
    problem: str | None = None  # why the asked-for setup cannot be used, if it cannot
    better: list[PackSpec] = field(default_factory=list)  # downloadable, not installed, ranked higher
    installed: list[PackSpec] = field(default_factory=list)

    @property
    def is_dlib(self) -> bool:
        return self.pack_id == "dlib"


def plain_quality(spec: PackSpec | None) -> str:
    """"Most accurate", "Accurate", "Good", "For testing"; "Basic" for the dlib fallback (None)."""
    if spec is None:
        return "Basic"
    if spec.rank >= 95:
        return "Most accurate"
    if spec.rank >= 80:
        return "Accurate"
    return "Good" if spec.rank >= 60 else "For testing"


def plain_words(spec: PackSpec | None) -> str:
    """What a model pack means for the user, in words ("Most accurate · personal use only"); the
    engineering name stays in tooltips. ``None`` is the dlib fallback."""
    if spec is None:
        return "Basic (always available, slower and less accurate) · free for any use"
    quality = plain_quality(spec)
    small = any(k in spec.name.lower() for k in ("500mf", "yunet", "mobilefacenet"))
    parts = [quality + (", fastest" if small and spec.rank >= 60 else "")]
    parts.append("free for any use" if spec.commercial_use else "personal use only")
    size = spec.download_size
    if size and spec.rank >= 60:
        parts.append(f"{human_size(size)} download")
    return " · ".join(parts)


def describe_setup(machine: MachineSettings, models_dir: str | os.PathLike | None = None) -> SetupInfo:
    """Describe the backend ``make_backend(**machine.make_backend_args)`` would build."""
    problem = None
    try:
        st = resolve_pack(machine.backend, machine.pack or None, models_dir)
    except ModelError as exc:
        problem, st = str(exc), None
    statuses = list_packs(models_dir)
    installed = [s.spec for s in statuses if s.installed]
    available: list[str] = []
    if st is None:
        info = SetupInfo("dlib", DLIB_NAME, _dlib_model_id(), DLIB_LICENSE, True,
                         PROVIDER_NAMES["dlib"], problem=problem, installed=installed)
        rank = -1
    else:
        spec = st.spec
        provider = "CPU"
        try:
            import onnxruntime as ort

            from kinfolk.core.faces.providers import choose_providers

            available = list(ort.get_available_providers())
            override = machine.make_backend_args["providers"]
            chosen = choose_providers(available, override)
            provider = PROVIDER_NAMES.get(chosen[0], chosen[0])
        except ValueError as exc:
            problem = str(exc)
        except ImportError as exc:
            problem = f"ONNX Runtime is not installed ({exc})"
        info = SetupInfo(spec.id, spec.name, spec.recognizer.model_id, spec.license,
                         spec.commercial_use, provider, available, problem, installed=installed)
        rank = spec.rank
    info.available_providers = available
    # Offered best first, but the one pack anyone may use (commercial photographers too) leads:
    # the InsightFace packs are licensed for non-commercial use only.
    info.better = sorted((s.spec for s in statuses
                          if not s.installed and s.spec.downloadable and s.spec.rank > rank),
                         key=lambda spec: (not spec.commercial_use, -spec.rank))
    return info


def _dlib_model_id() -> str | None:
    try:
        from kinfolk.core.faces.dlib_backend import DlibBackend
    except ImportError:
        return None
    return getattr(DlibBackend, "model_id", None)


def human_size(n: int | None) -> str:
    if not n:
        return "unknown size"
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"
