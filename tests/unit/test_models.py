"""The model manager: manifest, discovery with sha256, import, download (loopback only), offline."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile

import pytest

from kinfolk.core.faces import models



def test_manifest_lists_real_packs_with_published_checksums():
    packs = models.load_manifest()
    assert {"buffalo_l", "buffalo_s", "buffalo_sc", "antelopev2", "sface"} <= set(packs)
    assert packs["buffalo_l"].archive_sha256 == "80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f"
    assert not packs["buffalo_l"].commercial_use and "non-commercial" in packs["buffalo_l"].license
    assert packs["sface"].commercial_use
    for p in packs.values():
        for f in p.files:
            assert f.sha256 is None or len(f.sha256) == 64
        assert p.archive_url is None or p.archive_url.startswith("https://")


def test_test_packs_are_found_and_verified_in_shared_models(models_dir):
    status = {s.spec.id: s for s in models.list_packs(models_dir, verify=True)}
    assert status["scrfd_sface_int8"].installed and status["scrfd_mbf512"].installed
    assert not status["buffalo_l"].installed and "w600k_r50.onnx" in status["buffalo_l"].missing
    assert models.best_installed(models_dir).spec.id == "scrfd_sface_int8"


def test_a_damaged_file_is_not_used(tmp_path, models_dir):
    data = bytearray((models_dir / "det_500m.onnx").read_bytes())
    data[1000] ^= 0xFF
    (tmp_path / "det_500m.onnx").write_bytes(bytes(data))
    spec = models.load_manifest()["buffalo_sc"]
    assert models.locate(spec, [tmp_path], verify=True).missing == ["det_500m.onnx", "w600k_mbf.onnx"]


def test_import_accepts_known_files_and_refuses_others(tmp_path, models_dir):
    dest = tmp_path / "models"
    assert models.import_file(models_dir / "det_500m.onnx", dest) == [str(dest / "det_500m.onnx")]
    junk = tmp_path / "w600k_r50.onnx"
    junk.write_bytes(b"not really a model")
    with pytest.raises(models.ModelError, match="matches no published checksum"):
        models.import_file(junk, dest)
    # A zip of unknown origin: only members with a published checksum are taken.
    z = tmp_path / "mine.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(models_dir / "faceplugin_fr_feature.onnx", "pack/faceplugin_fr_feature.onnx")
        zf.writestr("pack/glintr100.onnx", b"unverifiable")
    assert models.import_file(z, dest) == [str(dest / "faceplugin_fr_feature.onnx")]
    assert not (dest / "glintr100.onnx").exists() and not (dest / "antelopev2").exists()


@pytest.fixture
def loopback_server(tmp_path):
    (tmp_path / "www").mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(tmp_path / "www"), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield tmp_path / "www", f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_checks_sha256_and_reports_progress(loopback_server, tmp_path):
    www, base = loopback_server
    payload = b"model bytes" * 10000
    (www / "m.onnx").write_bytes(payload)
    seen = []
    target = tmp_path / "m.onnx"
    models._download(f"{base}/m.onnx", target, hashlib.sha256(payload).hexdigest(),
                     lambda done, total: seen.append((done, total)))
    assert target.read_bytes() == payload and seen[-1] == (len(payload), len(payload))
    with pytest.raises(models.ModelError, match="does not match the published sha256"):
        models._download(f"{base}/m.onnx", tmp_path / "bad.onnx", "0" * 64, None)
    assert not (tmp_path / "bad.onnx").exists() and not (tmp_path / "bad.onnx.part").exists()


def test_offline_download_gives_a_clear_error(tmp_path):
    with pytest.raises(models.ModelError, match="offline"):
        models._download("http://127.0.0.1:9/none.zip", tmp_path / "x.zip", None, None)


def test_import_only_pack_cannot_be_downloaded():
    with pytest.raises(models.ModelError, match="import"):
        models.download_pack("scrfd_mbf512")
