"""Write an LFW-layout pairs file for an LFW-style labeled folder (not collected by pytest).

    python tests/bench/make_lfw_pairs.py ../shared/data/lfw-dev /work/cache/crowd/lfw-dev-pairs.txt

People are dealt into 10 disjoint folds, as in LFW's own pairs.txt (see kinfolk.core.evaluation.lfw_pairs).
The file names images of the folder only; it is generated, never committed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "app"))

from kinfolk.core.evaluation.labeled_set import read_labels  # noqa: E402
from kinfolk.core.evaluation.lfw_pairs import make_pairs, write_pairs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--per-fold", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    folds = make_pairs(sorted(read_labels(a.folder / "labels.csv")), a.folds, a.per_fold, a.seed)
    write_pairs(folds, a.out)
    print(f"{a.out}: {len(folds)} folds of {sum(s for _, s in folds[0])} same + "
          f"{sum(not s for _, s in folds[0])} different pairs")


if __name__ == "__main__":
    main()
