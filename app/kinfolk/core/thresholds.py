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


# Measured on ../shared/data/faces (largest face of the 203 single-person photos: 496 same-person and
# 20,007 different-person pairs) with ``kinfolk evaluate``; the rule (docs/evaluation.md):
#   match   = the EER threshold;
#   suggest = the different-person similarity exceeded by 1 pair in 1,000 (FAR 1e-3), to 0.05;
#   auto    = just above the highest different-person similarity seen (FAR < 5e-5), to 0.05.
MEASURED: dict[str, Thresholds] = {
    # impostor FAR1e-3 0.339, max 0.454; genuine 1st percentile 0.445, min 0.385; EER at 0.385
    "faceplugin_mbf512": Thresholds(match=0.385, auto=0.45, suggest=0.35),
    # impostor FAR1e-3 0.363, max 0.411; genuine 1st percentile 0.479, min 0.435; EER at 0.435
    "sface_2021dec_int8": Thresholds(match=0.42, auto=0.45, suggest=0.35),
}

# Models not measured here (the InsightFace ArcFace packs could not be obtained offline): conservative
# ArcFace-family values. ``kinfolk calibrate`` replaces them with the user's own measurements.
FALLBACK = Thresholds(match=0.35, auto=0.5, suggest=0.35)


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
