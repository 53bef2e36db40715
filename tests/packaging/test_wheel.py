"""The wheel works without the source tree: installed into a fresh venv in a temp folder, as pipx or
a plain ``pip install`` would, every command that reads package data works (issue 10: the manifest
used to be looked for beside ``site-packages`` and every model command failed)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from .conftest import REPO, bin_path, clean_env, wheel_names

pytestmark = pytest.mark.slow

PACKAGE_DATA = ["kinfolk/models/manifest.json", "kinfolk/resources/kinfolk.desktop",
                "kinfolk/resources/io.kinfolk.Kinfolk.metainfo.xml",
                "kinfolk/resources/icons/kinfolk.svg", "kinfolk/resources/icons/actions/scan.svg",
                "kinfolk/resources/icons/hicolor/256x256/apps/io.kinfolk.Kinfolk.png",
                "kinfolk/resources/selftest/drawn-face.png"]


def test_wheel_and_sdist_hold_the_package_data(built):
    names = wheel_names(built["wheel"])
    missing = [n for n in PACKAGE_DATA if n not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert not any(n.startswith(("tests/", "models/", "resources/")) for n in names)
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    import zipfile

    with zipfile.ZipFile(built["wheel"]) as zf:
        requires = [line for line in zf.read(meta).decode().splitlines()
                    if line.startswith("Requires-Dist:")]
    assert any("pyside6-essentials" in r.lower() for r in requires)
    assert not any(r.lower().startswith("requires-dist: pyside6>") or r.lower() == "requires-dist: pyside6"
                   for r in requires)


def test_installed_wheel_runs_away_from_the_checkout(wheel_venv, faces_dir, labels, models_dir,
                                                      tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    kinfolk = str(bin_path(wheel_venv, "kinfolk"))
    lib = tmp_path / "library.sqlite"
    env = clean_env(home, KINFOLK_LIBRARY=str(lib))

    def run(*args: str, **extra: str) -> str:
        r = subprocess.run([kinfolk, *args], cwd=home, env={**env, **extra}, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, f"kinfolk {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
        return r.stdout

    where = subprocess.run([str(bin_path(wheel_venv, "python")), "-c",
                            "import kinfolk; print(kinfolk.__file__)"], cwd=home, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(wheel_venv)) and not where.startswith(str(REPO))

    packs = {p["id"]: p for p in json.loads(run("models", "--json"))}
    assert {"sface", "buffalo_l"} <= packs.keys()
    # A new user has no ONNX pack: dlib is the default, from the installed dependencies.
    assert [i for i, p in packs.items() if p["installed"]] == ["dlib"] and packs["dlib"]["default"]

    photos = home / "Pictures"
    photos.mkdir()
    chosen = [rel for rel, ident in sorted(labels.items()) if ident not in ("none", "group")
              and ";" not in ident and rel.lower().endswith((".jpg", ".jpeg"))][:4]
    for rel in chosen:
        shutil.copyfile(faces_dir / rel, photos / rel.replace("/", "_"))
    run("scan", str(photos), KINFOLK_MODELS=str(models_dir))
    faces = json.loads(run("faces", "--json"))
    assert len(faces) >= len(chosen)
    people = json.loads(run("people", "--json"))
    assert isinstance(people, (list, dict))

    out = run("self-test")
    assert "6 passed, 0 failed" in out, out
