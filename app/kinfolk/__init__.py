"""Kinfolk: organize a photo library by the people in it, offline."""

import os as _os

# Privacy: ONNX Runtime (1.17+) sends usage telemetry (DNS lookups of a Microsoft events host, and a
# queued event with a device id in ~/.cache/Microsoft) unless this variable is set *before* it is
# imported; ``disable_telemetry_events()`` afterwards is not enough. Every entry point (the
# ``kinfolk`` CLI, ``kinfolk-gui``, the frozen app's launcher, library use) imports this package
# first, so setting it here covers them all. Forced, not ``setdefault``: Kinfolk promises that
# nothing leaves the computer, whatever the environment says.
_os.environ["ORT_DISABLE_TELEMETRY"] = "1"

__version__ = "0.1.0"
