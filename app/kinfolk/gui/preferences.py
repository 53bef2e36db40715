"""Every setting the app reads or writes, in one place: its key, default and where it is stored.

Two stores, on purpose:
- *Machine* settings (``QSettings``): which model pack and execution provider to use. They depend on
  this computer's hardware and installed models, so they do not travel with a library file.
- *Library* settings (``repo.get_setting``/``set_setting``): minimum face size and the matching
  thresholds. They change what is stored in the library, so they live in it (a library opened on
  another computer behaves the same). Thresholds are per recognizer model, because similarity scales
  differ between models; an unset threshold means "the measured default for the model"
  (``core.thresholds.default_thresholds``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

from PySide6.QtCore import QSettings

from ..core.thresholds import Thresholds, save_thresholds, thresholds_for
from ..db import repo
from ..db.connection import transaction

T = TypeVar("T")

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

@dataclass(frozen=True)
class LibrarySetting(Generic[T]):
    key: str
    default: T
    parse: Callable[[str], T]
    minimum: float | None = None
    maximum: float | None = None

    def read(self, conn: sqlite3.Connection) -> T:
        raw = repo.get_setting(conn, self.key)
        if raw is None:
            return self.default
        try:
            value = self.parse(raw)
        except (TypeError, ValueError):
            return self.default
        if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum):
            return self.default
        return value

    def write(self, conn: sqlite3.Connection, value: T) -> None:
        """Write one value (own transaction)."""
        with transaction(conn):
            repo.set_setting(conn, self.key, str(value))


MIN_FACE_SIZE: LibrarySetting[int] = LibrarySetting("scan.min_face_size", 20, int, 8, 2000)


def read_thresholds(conn: sqlite3.Connection, model_id: str) -> Thresholds:
    """The library's thresholds for ``model_id`` (calibrated or set here), else the measured defaults."""
    return thresholds_for(conn, model_id)


def write_thresholds(conn: sqlite3.Connection, model_id: str, t: Thresholds) -> None:
    """Store thresholds where ``core.thresholds.thresholds_for`` reads them (own transaction)."""
    with transaction(conn):
        save_thresholds(conn, model_id, t)
