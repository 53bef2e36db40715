"""Entry point of the frozen desktop app (``kinfolk-gui``; no console window on Windows/macOS)."""
import sys

from kinfolk.gui.app import main

sys.exit(main())
