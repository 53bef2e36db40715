"""``kinfolk models``: list packs and their status, import a file, download a pack (asked for)."""

from __future__ import annotations

import sys

from kinfolk.cli.common import UserError, print_json


def add_parser(sub, parents) -> None:
    p = sub.add_parser("models", parents=[parents], help="list, import or download model packs")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    ls = msub.add_parser("list", parents=[parents], help="packs and their status (default)")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--verify", action="store_true", help="check every file's sha256")
    imp = msub.add_parser("import", parents=[parents], help="install a model file or zip you have")
    imp.add_argument("file")
    dl = msub.add_parser("download", parents=[parents],
                         help="download a pack from its official source (needs the internet)")
    dl.add_argument("pack")
    p.add_argument("--json", action="store_true", help=argparse_suppress())
    p.add_argument("--verify", action="store_true", help=argparse_suppress())
    p.set_defaults(run=run)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


def _mb(n: int | None) -> str:
    return f"{n / 1e6:.0f} MB" if n else "size unknown"


def run(args) -> int:
    from kinfolk.core.faces import models

    action = args.models_command or "list"
    if action == "import":
        try:
            for path in models.import_file(args.file):
                print(f"installed {path}")
        except models.ModelError as exc:
            raise UserError(str(exc)) from exc
        return 0
    if action == "download":
        specs = models.load_manifest()
        spec = specs.get(args.pack)
        if spec is None:
            raise UserError(f"unknown pack {args.pack!r}; known: {', '.join(specs)}")
        print(f"Downloading {spec.name} ({_mb(spec.download_size)})\nLicense: {spec.license}",
              file=sys.stderr)

        def progress(done: int, total: int | None) -> None:
            pct = f"{100 * done / total:5.1f}%" if total else ""
            sys.stderr.write(f"\r  {done / 1e6:8.1f} MB {pct}")
            sys.stderr.flush()

        try:
            paths = models.download_pack(args.pack, progress=progress)
        except models.ModelError as exc:
            sys.stderr.write("\n")
            raise UserError(str(exc)) from exc
        sys.stderr.write("\n")
        for path in paths:
            print(f"installed {path}")
        return 0
    packs = models.list_packs(verify=getattr(args, "verify", False))
    best = next((st for st in packs if st.installed), None)
    if getattr(args, "json", False):
        print_json([{
            "id": st.spec.id, "name": st.spec.name, "installed": st.installed,
            "missing": st.missing, "files": {k: str(v) for k, v in st.paths.items()},
            "license": st.spec.license, "commercial_use": st.spec.commercial_use,
            "download_size": st.spec.download_size, "downloadable": st.spec.downloadable,
            "model_id": st.spec.recognizer.model_id, "default": st is best,
        } for st in packs] + [{"id": "dlib", "name": "dlib HOG + ResNet (CPU fallback)",
                               "installed": True, "license": "Boost / CC0 (dlib models)",
                               "commercial_use": True, "model_id": "dlib_resnet_v1",
                               "default": best is None}])
        return 0
    print("Model packs (searched in: " + ", ".join(str(d) for d in models.search_dirs()) + ")")
    for st in packs:
        mark = "*" if st is best else " "
        state = "installed" if st.installed else (
            f"download {_mb(st.spec.download_size)}" if st.spec.downloadable else "import only")
        print(f" {mark} {st.spec.id:18} {state:22} {st.spec.name}")
        print(f"   {'':18} license: {st.spec.license}")
    print(f" {'*' if best is None else ' '} {'dlib':18} {'installed':22} dlib HOG + ResNet (CPU fallback)")
    print("\n* = used by 'auto'. Get a pack: kinfolk models download ID  |  kinfolk models import FILE")
    return 0
