"""Per-model similarity thresholds, measured on labeled data (docs/evaluation.md says how).

Cosine similarity of L2-normalized embeddings. ``match`` is the verification threshold (EER point on
the labeled set); ``auto`` assigns a face to a named person without asking (a low false-accept rate);
``suggest`` is the floor for proposing a person to the user. A user's own calibration (``kinfolk
calibrate``) overrides these in the library's settings.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass

from kinfolk.db import settings as db_settings


@dataclass(frozen=True)
class Thresholds:
    match: float
    auto: float
    suggest: float
    link: float | None = None  # clustering never links faces below this; None = ``auto``

    @property
    def cluster_link(self) -> float:
        return self.auto if self.link is None else self.link


# Measured on ../shared/data/faces with ``kinfolk evaluate`` (largest face of the 203 single-person
# photos: 496 same-person and 20,007 different-person pairs). The rule (evaluation.proposed_thresholds,
# docs/evaluation.md): match = EER threshold; suggest = the similarity only 1 different-person pair in
# 1,000 exceeds (FAR 1e-3); auto = just above the most similar different-person pair; rounded up to 0.01.
MEASURED: dict[str, Thresholds] = {
    # impostor FAR1e-3 0.339, max 0.454; genuine 1st percentile 0.445, min 0.385
    "faceplugin_mbf512": Thresholds(match=0.385, auto=0.46, suggest=0.35),
    # impostor FAR1e-3 0.363, max 0.411; genuine 1st percentile 0.479, min 0.435. auto raised from
    # 0.42 to 0.48 by a crowd test on lfw-dev (tests/bench/bench_auto_threshold.py: 200 named people,
    # 3 confirmed faces each, 6,457 other faces, 4,289 of strangers): at 0.42, 21 of 2,184 automatic
    # names were wrong (0.96 %); at 0.48, 1 of 2,159, and 99.5 % of the named people's faces are
    # still found without asking.
    "sface_2021dec_int8": Thresholds(match=0.435, auto=0.48, suggest=0.37),
    # dlib's unit-normalised 128-d vectors live on a compressed scale: impostor median 0.825,
    # FAR1e-3 0.923, max 0.960; genuine median 0.959, 1st percentile 0.893. EER 1.0% at 0.90.
    # Its same- and different-person similarities overlap (5 % of same-person pairs score below the
    # FAR 1e-3 threshold), so linking only above ``auto`` leaves many faces unclustered (BCubed
    # recall 0.43). link = 0.95 is the lowest value keeping clustering precision ≥ 0.99 here.
    "dlib_resnet_v1": Thresholds(match=0.901, auto=0.97, suggest=0.93, link=0.95),
}
# The fp32 SFace the "sface" pack downloads is the model the int8 file was quantized from (identical
# architecture, embeddings within quantization noise): it starts from the int8 measurements.
MEASURED["sface_2021dec"] = MEASURED["sface_2021dec_int8"]

# Models not measured here (the InsightFace ArcFace packs could not be obtained offline): conservative
# ArcFace-family values. ``kinfolk calibrate`` replaces them with the user's own measurements.
FALLBACK = Thresholds(match=0.35, auto=0.5, suggest=0.35)


def default_thresholds(model_id: str) -> Thresholds:
    return MEASURED.get(model_id, FALLBACK)


def thresholds_for(conn: sqlite3.Connection, model_id: str) -> Thresholds:
    """The library's calibrated thresholds for a model (``kinfolk calibrate --apply``), else defaults."""
    raw = db_settings.get_setting(conn, threshold_key(model_id))
    if raw:
        d = json.loads(raw)
        return Thresholds(match=d["match"], auto=d["auto"], suggest=d["suggest"], link=d.get("link"))
    return default_thresholds(model_id)


def threshold_key(model_id: str) -> str:
    """The library setting that holds a model's thresholds (JSON ``{match, auto, suggest}``)."""
    return f"thresholds.{model_id}"


def save_thresholds(conn: sqlite3.Connection, model_id: str, thresholds: Thresholds) -> None:
    """Store thresholds for a model in the library, where ``thresholds_for`` reads them (the
    caller's transaction, or autocommit)."""
    db_settings.set_setting(conn, threshold_key(model_id), json.dumps(asdict(thresholds)))
