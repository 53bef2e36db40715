"""``kinfolk calibrate``: propose thresholds from your own confirmed faces (ROC/EER)."""

from __future__ import annotations

from kinfolk.cli.common import UserError, open_library, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("calibrate", parents=[parents],
                       help="measure thresholds on your confirmed faces")
    p.add_argument("--far", type=float, default=1e-3,
                   help="target false-accept rate for automatic matches (default 0.001)")
    p.add_argument("--apply", action="store_true", help="use the proposed thresholds from now on")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args) -> int:
    from kinfolk.core.people.calibration import CalibrationError, apply, calibrate
    from kinfolk.core.clustering.grouping import models_in_library
    from kinfolk.core.people.thresholds import thresholds_for

    conn = open_library(args)
    results = []
    for model in models_in_library(conn):
        try:
            cal = calibrate(conn, model, args.far)
        except CalibrationError as exc:
            if len(models_in_library(conn)) == 1:
                raise UserError(str(exc)) from exc
            continue
        current = thresholds_for(conn, model)
        if args.apply:
            apply(conn, cal)
        results.append(cal)
        if not args.json:
            p = cal.proposed
            print(f"{model}: {cal.faces} confirmed faces of {cal.people} people, "
                  f"{cal.genuine_pairs} same / {cal.impostor_pairs} different pairs")
            print(f"  ROC AUC {cal.auc:.4f}, EER {cal.eer:.2%}")
            print(f"  proposed: auto ≥ {p.auto:.3f} (FAR {cal.target_far:g}), suggest ≥ {p.suggest:.3f}, "
                  f"match {p.match:.3f}   (now: auto {current.auto:.3f}, suggest {current.suggest:.3f})")
            if not cal.far_measurable:
                print(f"  note: {cal.impostor_pairs:,} different-person pairs are too few to measure a "
                      f"false-accept rate of {cal.target_far:g} (that takes {cal.pairs_needed:,}); name and "
                      "confirm faces of more people before using these numbers")
            print("  applied." if args.apply else "  run with --apply to use them.")
    if args.json:
        print_json([c.as_dict() for c in results])
    if not results:
        raise UserError("nothing to calibrate: no model has enough confirmed faces")
    return 0
