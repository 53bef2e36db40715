"""``kinfolk evaluate LABELS.csv [--folder DIR]``: accuracy on a labeled folder;
``kinfolk evaluate --pairs PAIRS.txt --folder LFW_ROOT``: the LFW verification protocol."""

from __future__ import annotations

import sys

from kinfolk.cli.common import UserError, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("evaluate", parents=[parents], help="measure accuracy on a labeled folder",
                       description="Scan a labeled folder and report detection, verification and "
                       "grouping accuracy; or, with --pairs, run the LFW verification protocol "
                       "(10-fold accuracy over an LFW-layout pairs file).")
    p.add_argument("labels", metavar="LABELS.csv", nargs="?")
    p.add_argument("--folder", help="photo folder (default: the labels file's folder; with --pairs: "
                   "the LFW-layout root holding NAME/NAME_0001.jpg)")
    p.add_argument("--pairs", metavar="PAIRS.txt", help="LFW pairs file (LFW's pairs.txt layout)")
    p.add_argument("--backend", choices=["auto", "onnx", "dlib"], default="auto")
    p.add_argument("--pack")
    p.add_argument("--workers", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from kinfolk.core.faces.backend_choice import make_backend
    from kinfolk.core.evaluation.labeled_set import evaluate

    if args.pairs:
        return run_pairs(args)
    if not args.labels:
        raise UserError("give a labels file (LABELS.csv), or --pairs PAIRS.txt --folder LFW_ROOT")
    if not Path(args.labels).is_file():
        raise UserError(f"no such labels file: {args.labels}")
    check_labeled_photos(args.labels, args.folder)  # before loading models or scanning anything
    backend = make_backend(args.backend, args.pack, args.models)
    print(f"Evaluating {backend.pack_id} ({backend.model_id})...", file=sys.stderr)
    r = evaluate(args.labels, args.folder, backend, workers=args.workers)
    if args.json:
        print_json(r.as_dict())
        return 0
    print(f"model {r.model_id}: {r.photos} labeled photos, {r.single_person_photos} single-person, "
          f"{r.identities} identities (scan {r.scan_seconds:.1f} s)")
    print(f"detection: {len(r.detection_misses)} single-person photos without a face; "
          f"{r.faces_in_no_face_photos} faces in no-face photos")
    for m in r.detection_misses:
        print(f"  missed: {m}")
    print(f"verification ({r.pairs_same} same / {r.pairs_different} different pairs): "
          f"AUC {r.auc:.4f}, EER {r.eer:.2%} at {r.eer_threshold:.3f}, "
          f"TAR@FAR1e-2 {r.tar_at_far_1e2:.2%}, TAR@FAR1e-3 {r.tar_at_far_1e3:.2%}, rank-1 {r.rank1:.2%}")
    t = r.proposed_thresholds
    if t:
        print(f"thresholds by the documented rule: match {t['match']:.3f}, suggest {t['suggest']:.2f}, "
              f"auto {t['auto']:.2f} (most similar different-person pair {r.impostor_max:.3f})")
    print(f"clustering: BCubed P {r.bcubed_precision:.4f} R {r.bcubed_recall:.4f} "
          f"F1 {r.bcubed_f1:.4f}; pairwise P {r.pairwise_precision:.4f} R {r.pairwise_recall:.4f} "
          f"F1 {r.pairwise_f1:.4f}; {r.share_clustered:.1%} of faces in {r.clusters} groups")
    if r.one_photo_identities:
        print(f"one-photo identities wrongly grouped: {r.glued_one_photo:.1%} of {r.one_photo_identities}")
    return 0


def check_labeled_photos(labels_csv: str, folder: str | None) -> None:
    """A labels file that cannot be read, or that names photos not in the folder, is refused with
    what to fix: a missing photo would be counted as a face the detector missed."""
    from pathlib import Path

    from kinfolk.core.evaluation.labeled_set import read_labels

    try:
        labels = read_labels(labels_csv)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not labels:
        raise UserError(f"{labels_csv} lists no photos")
    root = Path(folder or Path(labels_csv).parent)
    missing = [rel for rel in labels if not (root / rel).is_file()]
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise UserError(f"{len(missing)} of the {len(labels)} labeled photos are not in {root}: {shown} "
                        "(the file column is relative to the labels file's folder, or to --folder)")


def run_pairs(args) -> int:
    from pathlib import Path

    from kinfolk.core.faces.backend_choice import make_backend
    from kinfolk.core.evaluation.lfw_pairs import evaluate_pairs, read_pairs

    if args.labels:
        raise UserError("--pairs takes no labels file: give --folder LFW_ROOT")
    if not Path(args.pairs).is_file():
        raise UserError(f"no such pairs file: {args.pairs}")
    if not args.folder or not Path(args.folder).is_dir():
        raise UserError("--pairs needs --folder LFW_ROOT, the folder holding NAME/NAME_0001.jpg")
    try:
        read_pairs(args.pairs)  # a malformed file fails before any model loads
    except ValueError as exc:
        raise UserError(str(exc)) from None
    backend = make_backend(args.backend, args.pack, args.models)
    print(f"LFW pairs protocol with {backend.pack_id} ({backend.model_id})...", file=sys.stderr)
    try:
        r = evaluate_pairs(args.pairs, args.folder, backend)
    except (ValueError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print_json(r.as_dict())
        return 0
    print(f"model {r.model_id}: {r.pairs} pairs in {r.folds} folds over {r.images} images "
          f"({len(r.images_without_face)} without a face)")
    print(f"accuracy {r.accuracy:.2%} ± {r.accuracy_std:.2%} (10-fold, threshold from the other folds)")
    return 0
