"""Every setting the app reads or writes, in one place: its key, default and where it is stored.

Two stores, on purpose:
- *Machine* settings (``QSettings``): which model pack and execution provider to use. They depend on
  this computer's hardware and installed models, so they do not travel with a library file.
- *Library* settings (``core.settings``): minimum face size and the matching thresholds. They change
  what is stored in the library, so they live in it (a library opened on another computer behaves
  the same) and the CLI reads the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings

PROVIDERS = ("auto", "cpu", "cuda", "directml", "coreml")
BACKENDS = ("auto", "onnx", "dlib")


# ------------------------------------------------------------------------------ machine (QSettings)

@dataclass(frozen=True)
class MachineSettings:
    """How to build the face backend on this computer (arguments of ``make_backend``)."""

    backend: str = "auto"  # auto | onnx | dlib
    pack: str = ""  # a pack id with backend="onnx"; "" = the best installed
    provider: str = "auto"  # one of PROVIDERS

    @property
    def make_backend_args(self) -> dict:
        return {"backend": self.backend, "pack": self.pack or None,
                "providers": None if self.provider == "auto" else self.provider}


_K_BACKEND = "models/backend"
_K_PACK = "models/pack"
_K_PROVIDER = "models/provider"
K_GEOMETRY = "window/geometry"
K_STATE = "window/state"
K_SPLITTER = "window/splitter"
K_VIEW = "window/view"


def load_machine(qs: QSettings | None = None) -> MachineSettings:
    qs = qs or QSettings()
    backend = str(qs.value(_K_BACKEND, "auto"))
    provider = str(qs.value(_K_PROVIDER, "auto"))
    return MachineSettings(backend=backend if backend in BACKENDS else "auto",
                           pack=str(qs.value(_K_PACK, "") or ""),
                           provider=provider if provider in PROVIDERS else "auto")


def save_machine(s: MachineSettings, qs: QSettings | None = None) -> None:
    qs = qs or QSettings()
    qs.setValue(_K_BACKEND, s.backend)
    qs.setValue(_K_PACK, s.pack)
    qs.setValue(_K_PROVIDER, s.provider)
    qs.sync()


# ------------------------------------------------------------------------------ library (SQLite)
# Defined in core, where the CLI reads them too.
from kinfolk.core.settings import MIN_FACE_SIZE, read_thresholds, write_thresholds  # noqa: E402,F401
