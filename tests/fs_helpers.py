"""File-system situations for tests: a read-only folder (even as root)."""

from __future__ import annotations

import contextlib
import os
import subprocess

import pytest


@contextlib.contextmanager
def read_only_folder(folder):
    """Make ``folder`` read-only for this process, even as root (a read-only bind mount)."""
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        try:
            yield
        finally:
            os.chmod(folder, 0o755)
        return
    ok = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode == 0
    if ok and subprocess.run(["mount", "-o", "remount,bind,ro", str(folder), str(folder)],
                             capture_output=True).returncode != 0:
        subprocess.run(["umount", str(folder)])
        ok = False
    if not ok:
        pytest.skip("running as root without permission to mount: cannot make a read-only folder")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)
