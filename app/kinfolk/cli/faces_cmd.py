"""``kinfolk faces --json``: every face in the library (the CLI contract other tools rely on)."""

from __future__ import annotations

from kinfolk.cli.common import open_library, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("faces", parents=[parents], help="list every face")
    p.add_argument("--json", action="store_true", help="JSON array (the stable format)")
    p.set_defaults(run=run)


def face_rows(conn) -> list[dict]:
    from kinfolk.db import faces as db_faces

    return [{
        "id": r["id"],
        "photo": r["photo"],
        "box": [round(r["x1"], 1), round(r["y1"], 1), round(r["x2"], 1), round(r["y2"], 1)],
        "score": round(r["score"], 4),
        "quality": round(r["quality"], 4),
        "model": r["model_id"],
        "cluster": r["cluster_id"],
        "person": r["person"],
        "source": r["source"],  # "detected", or "imported": the name came from the photo's metadata
    } for r in db_faces.faces(conn)]


def run(args) -> int:
    conn = open_library(args)
    rows = face_rows(conn)
    if args.json:
        print_json(rows)
    else:
        from kinfolk.core.filenames import readable

        for f in rows:  # the id first: move, reject, confirm and set --cover take it
            who = f["person"] or (f"group {f['cluster']}" if f["cluster"] is not None else "-")
            print(f"face {f['id']}: {who}  {readable(f['photo'])}  {f['box']}")
    return 0
