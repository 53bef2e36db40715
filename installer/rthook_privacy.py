# PyInstaller runtime hook: runs before any of the app's imports in the frozen programs.
# ONNX Runtime sends telemetry (on Windows) unless this is set before it is imported.
import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
