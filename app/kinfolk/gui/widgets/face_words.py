"""What a face's state says in words: its label and kind, the colour of its box, and "Why is this
face here?" from ``core.matching.explain``. Pure functions of the data (tested without a window)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from PySide6.QtGui import QColor

from kinfolk.core.people import matching
from kinfolk.db.faces import FaceInPhoto
from kinfolk.gui.views.suggestions_view import confidence_words
from kinfolk.gui.widgets.common import fmt_count


def face_label(f: FaceInPhoto) -> str:
    """The text drawn under a face box."""
    if f.person:
        return f.person
    if f.state == "ignored":
        return "Not someone I know"
    if f.suggested:
        return f"{f.suggested}?"
    if f.cluster_id is not None:
        return "Unnamed group"
    return "Unknown"


def face_kind(f: FaceInPhoto) -> str:
    """confirmed | auto | suggested | unknown | ignored (picks the box colour)."""
    if f.person:
        return "confirmed" if f.state == "confirmed" else "auto"
    if f.state == "ignored":
        return "ignored"
    return "suggested" if f.suggested else "unknown"


COLORS = {"confirmed": QColor(46, 157, 91), "auto": QColor(59, 130, 196),
          "suggested": QColor(224, 160, 48), "unknown": QColor(235, 235, 235),
          "ignored": QColor(140, 140, 140)}


@dataclass
class Explanation:
    """``core.matching.explain`` put in words, and the closest confirmed faces to show."""

    text: str
    neighbours: list[tuple[int, str, float]]  # (face id, person name, similarity)


def explain_face(info: matching.FaceExplanation | None, names: dict[int, str], group_sizes: dict[int, int],
                 rejected: Sequence[str] = ()) -> Explanation:
    """Why a face is where it is, from ``matching.explain(conn, face_id)``; ``names`` maps person
    ids to names (the evidence stores ids), ``group_sizes`` cluster ids to face counts."""
    if info is None:
        return Explanation("This face is no longer in the library.", [])
    lines: list[str] = []
    evidence: matching.Evidence | None = None
    if info.state == "confirmed":
        lines.append(f"You said this is {info.person}.")
    elif info.state == "auto":
        evidence = info.evidence
        line = f"Recognized automatically as {info.person}"
        if info.similarity is not None:
            line += f": similarity {info.similarity:.2f}"
            if evidence is not None:
                line += f" (automatic from {evidence.auto:.2f}, with a lead of at least " \
                        f"{evidence.margin:.2f} over anyone else)"
        lines.append(line + ".")
    elif info.state == "ignored":
        lines.append("You said this group of faces is nobody you know; it is not grouped or "
                     "suggested again.")
    elif info.suggestions:
        best = info.suggestions[0]
        evidence = best.evidence
        line = f"{confidence_words(best.similarity, evidence)} {best.person} (similarity {best.similarity:.2f})"
        if evidence is not None:
            line += f", not enough to be sure (automatic from {evidence.auto:.2f})"
        lines.append(line + ": Kinfolk asks you in Suggestions.")
        others = [f"{c.person} ({c.similarity:.2f})" for c in info.suggestions[1:]]
        if others:
            lines.append("Also possible: " + ", ".join(others) + ".")
    else:
        lines.append("Not close enough to anyone you named.")
        if info.cluster is not None and info.cluster in group_sizes:
            n = group_sizes[info.cluster]
            lines.append(f"Grouped with {fmt_count(n - 1, 'similar face')} in Unnamed groups."
                         if n > 1 else "It is in a group of its own in Unnamed groups.")
    if evidence is not None and evidence.runner_up is not None:
        lines.append(f"Runner-up (the next most similar person): {evidence.runner_up:.2f}.")
    if rejected:
        lines.append("You said it is not " + ", ".join(rejected) + ".")
    neighbours = [(n.face, names.get(n.person, "?"), n.similarity)
                  for n in (evidence.neighbours if evidence is not None else ())]
    if neighbours:
        lines.append("The closest faces you confirmed:")
    return Explanation("\n".join(lines), neighbours)


def state_text(f: FaceInPhoto) -> str:
    kind = face_kind(f)
    return {"confirmed": "Confirmed by you",
            "auto": "Recognized automatically",
            "suggested": f"Might be {f.suggested}: is it?",
            "ignored": "In a group you hid (not someone you know)",
            "unknown": ("In an unnamed group" if f.cluster_id is not None
                        else "Not recognized yet")}[kind]
