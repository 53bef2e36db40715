"""``kinfolk verify IMG1 IMG2``: are the largest faces in two photos the same person?"""

from __future__ import annotations


import numpy as np

from kinfolk.cli.common import UserError, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("verify", parents=[parents], help="compare the largest face in two photos")
    p.add_argument("image1", help="a photo (its largest face is compared)")
    p.add_argument("image2", help="another photo")
    p.add_argument("--backend", choices=["auto", "onnx", "dlib"], default="auto",
                   help="face models: auto (the best installed pack, else dlib), onnx or dlib")
    p.add_argument("--pack", help="ONNX model pack id (see 'kinfolk models')")
    p.add_argument("--threshold", type=float, default=None,
                   help="similarity threshold (default: the pack's calibrated one)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def largest_face_embedding(backend, path: str) -> np.ndarray:
    from kinfolk.core.imaging.imageio import ImageLoadError, load_for_detection

    try:
        photo = load_for_detection(path, min_long_side=backend.detect_size)
    except ImageLoadError as exc:
        raise UserError(f"{path}: {exc}") from exc
    dets = backend.detect(photo.rgb)
    if not dets:
        raise UserError(f"{path}: no face found")
    det = max(dets, key=lambda d: d.size)
    return backend.embed([backend.crop(photo.rgb, det)])[0]


def run(args) -> int:
    from kinfolk.core.faces.backend_choice import make_backend
    from kinfolk.core.people.thresholds import default_thresholds

    backend = make_backend(args.backend, args.pack, args.models)
    a = largest_face_embedding(backend, args.image1)
    b = largest_face_embedding(backend, args.image2)
    sim = float(np.dot(a, b))
    threshold = args.threshold if args.threshold is not None else default_thresholds(backend.model_id).match
    same = sim >= threshold
    if args.json:
        print_json({"similarity": round(sim, 4), "threshold": threshold, "same_person": same,
                    "model": backend.model_id})
    else:
        print(f"similarity {sim:.3f} (threshold {threshold:.3f}): "
              f"{'same person' if same else 'different people'}")
    return 0
