"""First run for a home user with no model pack (issue 10, item 5): the app works on dlib; the
welcome dialog's offer of the permissive pack downloads it, checks its sha256 and switches to it
without a restart; offline, the user gets a clear message and can import the file instead.

The pack is served by a local HTTP server (127.0.0.1) with real model files from
``$KINFOLK_MODELS``. The real URLs serve the fp32 files whose checksums the shipped manifest holds;
here the manifest's ``sface`` entry is replaced (in a temp copy) by the int8 files we have, with
their checksums computed now and URLs on the local server. The shipped manifest is never changed.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import socket
import sqlite3
import threading
from pathlib import Path

import pytest

from kinfolk.core.faces import models

from .test_main_window import db_counts, wait_idle

SERVED = {"detector": "face_detection_yunet_2023mar_int8bq.onnx",
          "recognizer": "face_recognition_sface_2021dec_int8bq_ort.onnx"}
SFACE_MODEL_ID = "sface_2021dec"  # the shipped entry's recognizer id, kept


class _Server:
    """Serves ``www`` on 127.0.0.1; ``tamper`` makes it send wrong bytes for every file."""

    def __init__(self, www: Path) -> None:
        self.www, self.tamper, self.requests = www, False, []
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=str(www), **kw)

            def do_GET(self):
                outer.requests.append(self.path)
                if outer.tamper:
                    body = b"\0" * 1000
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                super().do_GET()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="test-http",
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connections are refused, as offline
    return port


@pytest.fixture
def fresh_user(tmp_path, monkeypatch, models_dir):
    """No pack anywhere (empty user data dir, no $KINFOLK_MODELS), a manifest whose ``sface``
    entry points at the local server. Yields (server, manifest dict, manifest path)."""
    monkeypatch.delenv("KINFOLK_MODELS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert models.best_installed(None) is None
    www = tmp_path / "www"
    www.mkdir()
    server = _Server(www)
    manifest = json.loads(models.manifest_path().read_text("utf-8"))
    entry = manifest["packs"]["sface"]
    for role, name in SERVED.items():
        src = Path(models_dir) / name
        shutil.copyfile(src, www / name)
        data = src.read_bytes()
        entry[role].update(file=name, url=f"{server.base}/models/{name}", size=len(data),
                           sha256=hashlib.sha256(data).hexdigest())
    (www / "models").mkdir()
    for name in SERVED.values():
        (www / name).rename(www / "models" / name)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), "utf-8")
    monkeypatch.setattr(models, "manifest_path", lambda: path)
    yield server, manifest, path
    server.close()


@pytest.fixture
def new_window(tmp_path, fresh_user, show_window):
    from kinfolk.gui.session import Session

    return show_window(Session(tmp_path / "library.sqlite", None, workers=2))


def _face_models(w) -> set[str]:
    conn = sqlite3.connect(w.session.path)
    try:
        return {r[0] for r in conn.execute("SELECT DISTINCT model_id FROM faces")}
    finally:
        conn.close()


def test_first_run_on_dlib_then_download_the_permissive_pack(qtbot, new_window, fresh_user,
                                                             photo_folder, tmp_path):
    w = new_window
    server, _, _ = fresh_user
    dlg = w.maybe_show_welcome()
    panel = dlg.models
    qtbot.waitUntil(lambda: panel.info is not None, timeout=20000)
    assert panel.info.is_dlib and "Basic" in panel.pack_label.text()
    assert panel.better_combo.itemData(0) == "sface"  # the pack anyone may use, offered first

    # No pack: the first scan runs on dlib.
    dlg.choose_folder = lambda: str(photo_folder)
    dlg.add_folder_interactive()
    dlg.start_button.click()
    wait_idle(qtbot, w)
    assert db_counts(w)["faces"] > 0 and _face_models(w) == {"dlib_resnet_v1"}

    # The settings dialog holds the same panel; a tampered download is refused and installs nothing.
    sdlg = w.open_settings()
    panel = sdlg.models
    qtbot.waitUntil(lambda: panel.info is not None and panel.better_combo.count() > 0, timeout=20000)
    assert panel.better_combo.itemData(0) == "sface"
    server.tamper = True
    panel.start_download()
    qtbot.waitUntil(lambda: not panel.busy, timeout=20000)
    assert "does not match the published sha256" in panel.status.text()
    assert models.best_installed(None) is None
    assert not list(models.user_models_dir().glob("*.onnx*"))

    # The real files: downloaded, verified, and used by the next scan without a restart.
    server.tamper = False
    panel.start_download()
    qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
    assert panel.status.text().startswith("Installed 2"), panel.status.text()
    qtbot.waitUntil(lambda: panel.info is not None and panel.info.pack_id == "sface", timeout=20000)
    assert not panel.better_box.isVisibleTo(panel) or panel.better_combo.findData("sface") < 0
    sdlg.reject()
    w.refresh_setup()
    qtbot.waitUntil(lambda: w.setup_info is not None and w.setup_info.pack_id == "sface", timeout=20000)
    assert {p.split("/")[-1] for p in server.requests} >= set(SERVED.values())

    w.library_view.scan_now()
    wait_idle(qtbot, w)
    assert SFACE_MODEL_ID in _face_models(w)
    assert w.session.scans.backend_description.startswith("sface")


def test_offline_download_says_so_and_offers_import(qtbot, new_window, fresh_user, models_dir,
                                                    monkeypatch):
    w = new_window
    _, manifest, path = fresh_user
    port = _closed_port()
    for role in ("detector", "recognizer"):
        entry = manifest["packs"]["sface"][role]
        entry["url"] = f"http://127.0.0.1:{port}/{entry['file']}"
    path.write_text(json.dumps(manifest), "utf-8")

    dlg = w.maybe_show_welcome()
    panel = dlg.models
    qtbot.waitUntil(lambda: panel.info is not None and panel.better_combo.count() > 0, timeout=20000)
    panel.start_download()
    qtbot.waitUntil(lambda: not panel.busy, timeout=30000)
    text = panel.status.text()
    assert "offline" in text and "Import a model file" in text, text
    assert f"127.0.0.1:{port}" in text  # where to get the file on another computer
    assert panel.import_button.isEnabled() and dlg.start_button.isEnabled() is False  # no folder yet
    assert models.best_installed(None) is None

    # The import path: the user brings both files (e.g. on a USB stick).
    for role in ("detector", "recognizer"):
        panel.choose_file = lambda name=SERVED[role]: str(Path(models_dir) / name)
        panel.import_interactive()
        qtbot.waitUntil(lambda: panel.status.text().startswith("Installed 1"), timeout=20000)
        qtbot.waitUntil(lambda: panel.import_button.isEnabled(), timeout=20000)
    qtbot.waitUntil(lambda: panel.info is not None and panel.info.pack_id == "sface", timeout=20000)
    dlg.reject()
    qtbot.waitUntil(lambda: not w.session.runner.active, timeout=20000)
