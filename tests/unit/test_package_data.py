"""Run-time files are package data inside ``kinfolk/`` (issue 10): found through importlib.resources,
never beside the source tree."""

from pathlib import Path

import pytest

import kinfolk
from kinfolk.core.faces import models
from kinfolk.core.package_data import data_path

PKG = Path(kinfolk.__file__).resolve().parent


def test_manifest_and_resources_live_inside_the_package():
    assert models.manifest_path() == PKG / "models" / "manifest.json"
    assert "sface" in models.load_manifest()
    for parts in (("resources", "kinfolk.desktop"), ("resources", "io.kinfolk.Kinfolk.metainfo.xml"),
                  ("resources", "icons", "kinfolk.svg"), ("resources", "selftest", "drawn-face.png")):
        assert data_path(*parts).is_file() and PKG in data_path(*parts).parents


def test_packs_are_looked_for_only_where_weights_belong(tmp_path, monkeypatch):
    monkeypatch.delenv("KINFOLK_MODELS", raising=False)
    assert models.search_dirs() == [models.user_models_dir()]
    assert models.search_dirs(tmp_path) == [tmp_path.resolve(), models.user_models_dir()]


def test_a_missing_data_file_is_reported_as_a_broken_install():
    with pytest.raises(FileNotFoundError, match="installation is incomplete: models/nope.json"):
        data_path("models", "nope.json")
