"""Every setting the app reads or writes, in one place: its key, default and where it is stored.

Two stores, on purpose:
- *Machine* settings (``QSettings``): which model pack and execution provider to use. They depend on
  this computer's hardware and installed models, so they do not travel with a library file. The
  window's layout and how the user left the views (``ViewChoices``: thumbnail size, sort orders)
  are kept there too: they are this user's habits, not part of a library.
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
K_GROUPS_SPLITTER = "window/groups-splitter"  # Unnamed groups: groups above, their faces below
K_VIEWER_GEOMETRY = "viewer/geometry"
K_VIEWER_SPLITTER = "viewer/splitter"


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


# ------------------------------------------------------------------------------ view choices (QSettings)

@dataclass(frozen=True)
class ViewChoices:
    """How the user left the views, restored at the next start. Values are checked by the views
    that apply them (a stored value they do not know falls back to its default)."""

    photo_size: int = 160  # photo grids' thumbnail side in pixels (View → Larger / Smaller Photos)
    photo_order: str = "newest"  # photo grids: newest | oldest | name (View → Sort Photos)
    people_sort: str = "Most photos"  # People: "Sort by" (people_view.SORTS)
    people_show_hidden: bool = False  # People: "Show hidden"


_K_PHOTO_SIZE = "view/photo-size"
_K_PHOTO_ORDER = "view/photo-order"
_K_PEOPLE_SORT = "view/people-sort"
_K_PEOPLE_HIDDEN = "view/people-show-hidden"


def load_view(qs: QSettings | None = None) -> ViewChoices:
    qs = qs or QSettings()
    d = ViewChoices()
    try:
        size = int(qs.value(_K_PHOTO_SIZE, d.photo_size))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        size = d.photo_size
    hidden = qs.value(_K_PEOPLE_HIDDEN, d.people_show_hidden)
    return ViewChoices(photo_size=size, photo_order=str(qs.value(_K_PHOTO_ORDER, d.photo_order)),
                       people_sort=str(qs.value(_K_PEOPLE_SORT, d.people_sort)),
                       people_show_hidden=hidden in (True, "true", "1", 1))


def save_view(v: ViewChoices, qs: QSettings | None = None) -> None:
    qs = qs or QSettings()
    qs.setValue(_K_PHOTO_SIZE, v.photo_size)
    qs.setValue(_K_PHOTO_ORDER, v.photo_order)
    qs.setValue(_K_PEOPLE_SORT, v.people_sort)
    qs.setValue(_K_PEOPLE_HIDDEN, v.people_show_hidden)


# ------------------------------------------------------------------------------ library (SQLite)
# Defined in core, where the CLI reads them too.
from kinfolk.core.settings import MIN_FACE_SIZE, write_thresholds  # noqa: E402,F401
