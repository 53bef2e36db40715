"""``kinfolk gui`` (and ``kinfolk`` alone) opens the window on the chosen library, with the welcome
dialog on a library without folders; closing the window ends the program cleanly."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from kinfolk.cli.main import main as cli_main
from kinfolk.gui.main_window import MainWindow
from kinfolk.gui.dialogs.welcome_dialog import WelcomeDialog


def test_kinfolk_gui_opens_the_library_and_closes_cleanly(qapp, tmp_path, models_dir):
    lib = tmp_path / "lib.sqlite"
    seen = {}

    def look_and_close() -> None:
        wins = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, WelcomeDialog)]
        seen["windows"] = len(wins)
        seen["library"] = str(wins[0].session.path) if wins else None
        seen["welcome"] = any(d.isVisible() for d in dialogs) or any(
            isinstance(c, WelcomeDialog) and c.isVisible() for w in wins for c in w.children())
        seen["app"] = (QCoreApplication.applicationName(), QCoreApplication.organizationName())
        for w in wins:
            w.close()
        QTimer.singleShot(0, QApplication.quit)

    QTimer.singleShot(1500, look_and_close)
    rc = cli_main(["gui", "--library", str(lib), "--models", str(models_dir)])
    assert rc == 0
    assert seen["windows"] == 1 and seen["library"] == str(lib)
    assert seen["welcome"] is True
    assert seen["app"] == ("Kinfolk", "Kinfolk")
    assert lib.exists()
